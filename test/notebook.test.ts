/**
 * The tutorial (docs/notebook.md) cannot drift from the library: every TypeScript block in it is
 * an excerpt of an example under examples/notebook/, and each example runs here on the PubMed
 * sample that ships with slmkit, as a reader runs it (`node dist/examples/notebook/NN-*.js`,
 * importing `slmkit` and `slmkit/node`), with small budgets: the data section with the notebook's
 * own tokenizer (its vocabulary size, memory and parameter figures and prompt ids are exact), the
 * model sections with a 500-token WordPiece vocabulary trained on the sample and 4 steps per
 * training run (SLM_VOCAB, SLM_STEPS). What they print is checked: shapes, parameter counts, the
 * three ways of computing the loss agreeing, a loss that falls, samples that continue the prompt.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { allModelTypes } from '../src/models/registry.js';

const run = promisify(execFile);
const examples = fileURLToPath(new URL('../examples/notebook/', import.meta.url)); // compiled
const sources = fileURLToPath(new URL('../../examples/notebook/', import.meta.url));
const doc = fileURLToPath(new URL('../../docs/notebook.md', import.meta.url));
const V = 500;
const STEPS = 4;

let cache = '';
async function example(name: string, env: Record<string, string> = { SLM_VOCAB: String(V), SLM_STEPS: String(STEPS) }): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(examples, `${name}.js`)], {
    env: { ...process.env, SLM_CACHE: cache, SLM_DATA: '', ...env }, maxBuffer: 1 << 24,
  });
  return stdout.split('\n');
}

/** The number after `label` on the first line that holds it. */
function numberAfter(lines: string[], label: string): number {
  const line = lines.find((l) => l.includes(label));
  assert.ok(line, `a line with '${label}' in:\n${lines.join('\n')}`);
  const m = /-?\d+(\.\d+)?(e-?\d+)?/.exec(line.slice(line.indexOf(label) + label.length));
  assert.ok(m, `a number after '${label}' in '${line}'`);
  return Number(m[0]);
}

/** Training losses as the notebook prints them: "Batch 3 training loss: 6.91…". */
function trainingLosses(lines: string[]): number[] {
  return lines.flatMap((l) => /^Batch \d+ training loss: (\S+)$/.exec(l)?.slice(1).map(Number) ?? []);
}

describe('the notebook tutorial', () => {
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'slm-notebook-'));
  });
  after(() => rmSync(cache, { recursive: true, force: true }));

  test("every TypeScript block of docs/notebook.md is an excerpt of an example", () => {
    const files = readdirSync(sources).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(sources, f), 'utf8').split('\n').map((l) => l.trimEnd()));
    const blocks = [...readFileSync(doc, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd().split('\n').map((l) => l.trimEnd()));
    assert.ok(blocks.length >= 10, `the tutorial shows its code (${blocks.length} blocks)`);
    for (const block of blocks) {
      const found = files.some((lines) => lines.some((_, i) => block.every((b, j) => lines[i + j] === b)));
      assert.ok(found, `this block of docs/notebook.md is not in examples/notebook/*.ts as written:\n${block.join('\n')}`);
    }
  });

  test("01-data: the notebook's batch, vocabulary, memory and parameter count", async () => {
    const out = await example('01-data', {});
    assert.ok(out.some((l) => /read train\.txt\.gz as the notebook's CSV-quoted lines/.test(l)));
    assert.equal(numberAfter(out, 'train:'), 2062);
    assert.equal(numberAfter(out, 'test:'), 230);
    assert.ok(out.includes("[ 'ids', 'mask' ]"));
    const ids = out.find((l) => l.startsWith('ids '))!;
    const T = Number(/^ids \[ 3, (\d+) \] tensor\(\[\[  101,/.exec(ids)?.[1]);
    assert.ok(T > 100 && T <= 512, ids);
    assert.match(out.find((l) => l.startsWith('mask '))!, new RegExp(`^mask \\[ 3, ${T} \\] tensor\\(\\[\\[1, 1, 1, \\.\\.\\., `));
    assert.ok(out.includes('prompt ids 101 1195 3402 1103 22760 1104 102'));
    assert.ok(out.includes('decoded [CLS] we compared the prevalence of [SEP]'));
    assert.equal(numberAfter(out, 'vocabulary size'), 28996);
    assert.ok(out.includes('transition matrix, GB (float32) 3.363072064'));
    assert.ok(out.includes('Markov chain parameters 840,768,016'));
  });

  test('02-markov: hand-written = library, shapes, the loss three ways, training, samples', async () => {
    const out = await example('02-markov');
    assert.ok(out.includes('hand-written vs library (V = 50): names equal, weights equal'));
    assert.equal(numberAfter(out, 'Trainable params (millions):'), (V * V) / 1e6);
    assert.ok(out.includes(`  (t_logits): Embedding(${V}, ${V})`));
    const T = Number(/^logits \[ 3, (\d+), (\d+) \]$/.exec(out.find((l) => l.startsWith('logits '))!)?.[1]);
    assert.ok(out.includes(`logits [ 3, ${T}, ${V} ]`));
    assert.ok(out.includes(`predLogits [ 3, ${T - 1}, ${V} ] targets [ 3, ${T - 1} ] tokenLoss [ 3, ${T - 1} ]`));
    const sums = out.slice(out.findIndex((l) => l.startsWith('probabilities sum to')), out.findIndex((l) => l.startsWith('prompt ids')));
    assert.equal(sums.length, 3);
    for (const l of sums) assert.match(l, /\[1\.0000, 1\.0000, 1\.0000, \.\.\., 1\.0000, 1\.0000, 1\.0000\]/);
    const written = numberAfter(out, 'masked cross-entropy tensor(');
    assert.ok(written > Math.log(V) && written < Math.log(V) + 3, `untrained loss ${written}`);
    assert.equal(numberAfter(out, 'F.maskedCrossEntropy tensor('), written);
    assert.equal(numberAfter(out, 'batchLoss (fused)    tensor('), written);
    assert.ok(numberAfter(out, "the first batch's gradient fills") < V, 'a row-sparse gradient');
    const losses = trainingLosses(out);
    assert.equal(losses.length, STEPS, 'one line per batch on the sample (17 batches an epoch)');
    assert.ok(losses[STEPS - 1]! < losses[0]! - 0.2, `the training loss falls: ${losses.join(', ')}`);
    assert.match(out.find((l) => l.startsWith('trained '))!, new RegExp(`^trained ${STEPS} steps `));
    const test = numberAfter(out, 'test loss:');
    assert.ok(test < written, `test loss ${test} below the untrained ${written}`);
    const samples = out.filter((l) => l.startsWith('[CLS] we compared the prevalence of'));
    assert.equal(samples.length, 6, 'three samples before training, three after');
    for (const s of samples) assert.ok(s.length > '[CLS] we compared the prevalence of'.length + 10, s);
  });

  test('03-lowrank: the notebook settings through trainLoop, test loss per epoch, samples', async () => {
    const out = await example('03-lowrank');
    assert.equal(numberAfter(out, 'Trainable params (millions):'), (2 * V * 256) / 1e6);
    assert.ok(out.includes(`    (2): Linear(in_features=256, out_features=${V}, bias=false)`));
    assert.ok(out.includes('batch 128, 2 epochs, AdamW lr 0.001'));
    const losses = trainingLosses(out);
    assert.equal(losses.length, STEPS);
    assert.ok(losses[STEPS - 1]! < losses[0]!, `the training loss falls: ${losses.join(', ')}`);
    assert.ok(numberAfter(out, 'test loss (end):') < losses[0]!);
    assert.match(out.find((l) => l.startsWith('trained '))!, new RegExp(`^trained ${STEPS} steps \\(steps\\)`));
    const samples = out.filter((l) => l.startsWith('we compared the prevalence of'));
    assert.equal(samples.length, 3);
  });

  test('04-counting: counted tables against the same table trained by gradient descent', async () => {
    const out = await example('04-counting');
    assert.ok(out.includes(`gradient descent: ${STEPS} steps of batch 128, AdamW lr 0.1`));
    const unseen = numberAfter(out, 'never occurs in the training split:');
    assert.ok(unseen > 0 && unseen < 50, `${unseen}% unseen`);
    const row = (name: string) => {
      const line = out.find((l) => l.startsWith(name));
      assert.ok(line, name);
      return line.slice(32).trim().split(/\s+/).map((x) => (x === '∞' ? Infinity : Number(x)));
    };
    const [mleTrain, mleTest, mleSeen, mleUnseen] = row('counts (maximum likelihood)');
    assert.equal(mleTest, Infinity);
    assert.equal(mleUnseen, Infinity);
    assert.ok(Number.isFinite(mleSeen!));
    for (const name of ['add-k, k = 0.01', 'Kneser-Ney', `gradient descent (${STEPS} steps)`]) {
      const [train, test, seen, notSeen] = row(name);
      assert.ok([train, test, seen, notSeen].every((x) => Number.isFinite(x)), `${name}: finite losses`);
      // Counted relative frequencies are the lowest training loss any bigram table can reach.
      assert.ok(train! >= mleTrain! - 1e-3, `${name}: train ${train} >= the counts' ${mleTrain}`);
      assert.ok(notSeen! > seen!, `${name}: unseen pairs cost more than seen ones`);
    }
    assert.ok(out.includes('after "of":  counted   trained'));
  });

  test('05-architectures: every registered model type, one batch through each neural one', async () => {
    const out = await example('05-architectures');
    for (const type of allModelTypes) assert.ok(out.some((l) => l.startsWith(`--model ${type}: `)), `--model ${type} is listed`);
    const losses = out.filter((l) => l.includes('untrained loss'));
    assert.equal(losses.length, allModelTypes.length - 1, 'every neural family takes the batch (the counted n-gram aside)');
    for (const l of losses) assert.ok(Number(/: (\S+)$/.exec(l)?.[1]) > 1, l);
  });
});
