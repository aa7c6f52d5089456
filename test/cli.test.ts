/**
 * The `slm` command as a user runs it: prepare → train → eval → generate on a tiny corpus, the
 * JSON outputs' keys, and bad inputs that must fail with a clear message and exit code 1.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliJson, cliMain, cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const { work, slm } = cliRunner('cli');
const tiny = makeTinyCorpus(80, 16);

const json = cliJson;
describe('slm end to end', () => {
  const store = join(work, 'store');
  const run = join(work, 'run');
  test('prepare, train, eval and generate', () => {
    const p = json(slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json'));
    assert.equal((p.train as { documents: number }).documents, 80);
    const again = json(slm('prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--json'));
    assert.equal(again.reused, true, 'unchanged inputs and options reuse the store');
    const t = json(slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '8', '--batch-size', '8', '--max-steps', '12', '--lr', '0.02', '--out', run, '--json'));
    for (const k of ['trainLoss', 'testLoss', 'steps', 'tokens', 'seconds', 'tokensPerSecond']) assert.ok(k in t, `train --json lacks ${k}`);
    assert.equal(t.steps, 12);
    const e = json(slm('eval', '--model', run, '--data', store, '--json'));
    for (const k of ['loss', 'perplexity', 'bitsPerToken', 'tokens']) assert.ok(typeof e[k] === 'number', `eval --json lacks ${k}`);
    assert.ok(Math.abs((e.loss as number) - (t.testLoss as number)) < 1e-4, 'eval matches the test loss training reported');
    const g1 = json(slm('generate', '--model', run, '--prompt', 'the cat', '--prompt', 'a big', '--num-samples', '2', '--seed', '7', '--json'));
    const g2 = json(slm('generate', '--model', run, '--prompt', 'the cat', '--prompt', 'a big', '--num-samples', '2', '--seed', '7', '--json'));
    const samples = g1.samples as { prompt: string; text: string; ids: number[] }[];
    assert.equal(samples.length, 4);
    assert.ok(samples[0]!.text.startsWith('the cat'));
    assert.deepEqual(g1, g2, 'the same seed gives the same text');
  });

  test('prepare trains a WordPiece, byte-level BPE or character tokenizer on the training split', () => {
    for (const spec of ['wordpiece:60', 'bpe:300', 'char']) {
      const out = join(work, `store-${spec.replace(':', '-')}`);
      const p = json(slm('prepare', '--input', tiny.dir, '--tokenizer', spec, '--out', out, '--json'));
      assert.ok((p.vocabSize as number) > 10, `${spec}: vocabulary ${p.vocabSize}`);
      const t = json(slm('tokenize', '--tokenizer', join(out, 'tokenizer.json'), '--text', 'the cat', '--json'));
      assert.ok((t.ids as number[]).length >= 3, `${spec} tokenizes`); // specials around the words
      const run = join(work, `run-${spec.replace(':', '-')}`);
      json(slm('train', '--data', out, '--model', 'lowrank', '--embed-dim', '4', '--max-steps', '2', '--out', run, '--json'));
      const g = json(slm('generate', '--model', run, '--prompt', 'the cat', '--max-new-tokens', '3', '--past-end', '--json'));
      const s = (g.samples as { ids: number[] }[])[0]!;
      assert.equal(s.ids.length, (t.ids as number[]).length - 1 + 3, `${spec}: prompt without its end token, plus 3 new`);
    }
  });

  test('slm run: the notebook\'s flow in one command reports losses and samples', () => {
    const r = json(slm('run', tiny.dir, '--minutes', '0.02', '--eval-docs', '3', '--samples', '2', '--batch-size', '4', '--out', join(work, 'run-quick'), '--json'));
    assert.ok((r.steps as number) >= 1);
    assert.ok(Number.isFinite(r.testLoss) && Number.isFinite(r.testLossBefore));
    assert.equal((r.samples as string[]).length, 2);
    assert.ok((r.samples as string[])[0]!.startsWith('we compared the prevalence of'));
    assert.ok(Number.isFinite((r.bigram as { testLoss: number }).testLoss));
    assert.ok(existsSync(join(work, 'run-quick', 'model.safetensors')));
  });

  test('train budgets and evaluation caps: --minutes, --eval-docs, --eval-every, --no-eval, --no-save-optimizer', () => {
    const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const capped = join(work, 'run-capped');
    const t = json(slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '4', '--batch-size', '8', '--max-steps', '6',
      '--eval-every', '3', '--eval-docs', '2', '--no-save-optimizer', '--out', capped, '--json'));
    assert.equal(t.stop, 'steps');
    assert.deepEqual(metrics(capped).filter((m) => m.testLoss !== undefined).map((m) => [m.step, m.testDocs]), [[3, 2], [6, 2]]);
    assert.equal(existsSync(join(capped, 'optimizer.safetensors')), false);
    assert.ok(existsSync(join(capped, 'best', 'model.safetensors')), 'the best weights are kept beside the last');
    const noEval = join(work, 'run-no-eval');
    const n = json(slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '4', '--batch-size', '8', '--max-steps', '3', '--no-eval', '--out', noEval, '--json'));
    assert.equal(n.testLoss, null);
    assert.ok(metrics(noEval).every((m) => m.testLoss === undefined));
    // A time budget ends the run (and says so) even with epochs left.
    const timed = slm('train', '--data', store, '--model', 'lowrank', '--embed-dim', '4', '--batch-size', '8', '--epochs', '100000',
      '--minutes', '0.02', '--out', join(work, 'run-timed'));
    assert.equal(timed.code, 0, timed.stderr);
    assert.match(timed.stdout, /done \(time budget used\)/);
  });

  test('a folder with train.txt/test.txt trains directly (prepared on the fly)', () => {
    const t = json(slm('train', '--data', tiny.dir, '--model', 'lowrank', '--embed-dim', '4', '--batch-size', '16', '--max-steps', '2', '--out', join(work, 'run-dir'), '--json'));
    assert.equal(t.steps, 2);
  });

  test('a transformer with a short context trains on padded batches: longer documents are cut to it, with a note', () => {
    const r = slm('train', '--data', store, '--model', 'transformer', '--max-len', '6', '--embed-dim', '8', '--heads', '2', '--layers', '1',
      '--batch-size', '8', '--max-steps', '2', '--out', join(work, 'run-short-ctx'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /note: \d+ training documents are longer than the model's 6 positions and are cut to 7 tokens/);
    const e = json(slm('eval', '--model', join(work, 'run-short-ctx'), '--data', store, '--json'));
    assert.ok(Number.isFinite(e.loss as number));
    const packed = slm('train', '--data', store, '--model', 'transformer', '--max-len', '6', '--embed-dim', '8', '--heads', '2', '--layers', '1',
      '--batching', 'packed', '--block-size', '16', '--max-steps', '1', '--out', join(work, 'run-short-packed'));
    assert.equal(packed.code, 1);
    assert.match(packed.stderr, /packed rows of 16 tokens give 15 inputs, more than the model's 6 positions/);
  });

  test('Ctrl-C saves a checkpoint and exits 130; --resume finishes the run', async () => {
    const run2 = join(work, 'run-sigint');
    const child = spawn(process.execPath, [cliMain, 'train', '--data', store, '--model', 'lowrank', '--embed-dim', '8', '--batch-size', '2',
      '--epochs', '50', '--log-every', '1', '--out', run2, '--json'], { env: { ...process.env, SLM_CACHE: join(work, 'cache') } });
    let err = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!sent && /step 3\//.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    assert.equal(code, 130, err);
    assert.match(err, /interrupted: saving a checkpoint/);
    const state = JSON.parse(readFileSync(join(run2, 'trainer.json'), 'utf8')) as { step: number; done: boolean };
    assert.ok(state.step >= 3 && !state.done, `checkpoint at step ${state.step}`);
    assert.ok(existsSync(join(run2, 'model.safetensors')));
    const r = json(slm('train', '--resume', run2, '--max-steps', String(state.step + 4), '--json'));
    assert.equal(r.steps, state.step + 4);
  });

  test('a closed output pipe (slm … | head) ends the command quietly', () => {
    // A shell pipe, as a user has it (spawn's own 'pipe' is a socket and behaves differently).
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliMain}" info | head -1 > /dev/null; exit \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    assert.equal(r.stderr, '', 'no stack trace');
    assert.equal(r.status, 0);
  });

  test('bad inputs fail with a message that names the problem', () => {
    const empty = join(work, 'empty-run');
    mkdirSync(empty, { recursive: true });
    let r = slm('eval', '--model', empty, '--data', store);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no checkpoint in .*empty-run: model\.safetensors is missing/);

    r = slm('generate', '--model', run, '--prompt', '☃☃☃');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /only unknown tokens/);

    // A store made with another vocabulary does not fit the model.
    const vocab2 = join(work, 'vocab2.txt');
    writeFileSync(vocab2, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'the', 'cat', '.'].join('\n') + '\n');
    const store2 = join(work, 'store2');
    json(slm('prepare', '--input', tiny.dir, '--tokenizer', vocab2, '--out', store2, '--json'));
    r = slm('eval', '--model', run, '--data', store2);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /store2 was prepared with another tokenizer than the run .*run was trained with \(the data's has 7 tokens, the run's \d+\)/);
    assert.match(r.stderr, /hint: the run keeps its tokenizer: prepare the text again with it, slm prepare --input \S+ --tokenizer \S+run\/tokenizer\.json --out NEW_DIR/);

    r = slm('train', '--data', store, '--model', 'lowrank', '--out', run);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already holds a run[\s\S]*--resume/);

    r = slm('train', '--data', store, '--model', 'bigram', '--out', join(work, 'x'));
    assert.match(r.stderr, /'bigram' is invalid[\s\S]*markov, lowrank, mlp, cnn, rnn, lstm, gru, transformer, ngram/);
    assert.notEqual(r.code, 0);
    assert.ok(!existsSync(join(work, 'x')), 'a refused config writes nothing');
    // A bad key for the chosen model is refused before the data is opened (the path does not exist).
    r = slm('train', '--data', join(work, 'no-such-data'), '--model', 'lowrank', '--heads', '4', '--out', join(work, 'x'));
    assert.match(r.stderr, /unknown key 'heads' for model type lowrank[\s\S]*known keys: type, vocabSize, embedDim, dropout/);
    assert.equal(r.code, 1);

    r = slm('prepare', '--input', join(work, 'missing.txt'), '--out', join(work, 'y'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not found/);

    r = slm('train', '--data', store, '--model', 'lowrank', '--lr', 'fast', '--out', join(work, 'z'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--lr must be a number > 0, got 'fast'/);

    for (const cmd of [['eval', '--model', run], ['compare', run]]) {
      r = slm(...cmd, '--data', store, '--split', 'dev');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /'--split <name>' argument 'dev' is invalid\. Allowed choices are test, train/, cmd[0]);
    }
  });
});
