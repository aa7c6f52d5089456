/**
 * Numerics (issue 16): NaN and infinities injected into a parameter, into an input token's
 * embedding (the batches that hold it) and into a gradient. By default the run stops at the first
 * bad step, before applying it, naming the step and the last good checkpoint, which stays on disk
 * with finite weights; with skipNonfinite N (`--skip-nonfinite N`) each bad batch is skipped without
 * an update — the weights are exactly those of a run that never saw it — up to N times, and the run
 * says which steps it skipped; the N+1st stops it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { paddedBatches, type Batch } from '../src/data/batches.js';
import { loadStore, type OpenedData } from '../src/data/open.js';
import { prepare } from '../src/data/prepare.js';
import { loadModelWeights } from '../src/io/checkpoint.js';
import { loadTokenizer } from '../src/io/tokenizerFiles.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { Rng } from '../src/tensor/rng.js';
import { TrainingError } from '../src/tensor/errors.js';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.js';
import { trainLoop } from '../src/train/loop.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { train, type TrainEvent } from '../src/train/trainer.js';
import { slm } from './helpers/crash.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const tiny = makeTinyCorpus(48, 8);
// Two training documents hold a comma, a token no other document has: the "bad input" below.
const lines = readFileSync(join(tiny.dir, 'train.txt'), 'utf8').split('\n');
for (const i of [9, 30]) lines[i] = lines[i]!.replace(' ', ' , ');
writeFileSync(join(tiny.dir, 'train.txt'), lines.join('\n'));
let data: OpenedData;
async function tinyData(): Promise<OpenedData> {
  if (data) return data;
  const tokenizer = await loadTokenizer(tiny.vocabPath, { lowercase: true });
  await prepare({ corpus: { input: tiny.dir }, tokenizer, tokenizerId: 'tiny', out: join(tiny.dir, 'store'), workers: 1 });
  data = loadStore(join(tiny.dir, 'store'));
  return data;
}

function setup(train: Partial<TrainConfig>) {
  const modelConfig = resolveModelConfig({ type: 'lowrank', vocabSize: tiny.vocabSize, embedDim: 8 });
  const config = resolveTrainConfig('lowrank', { batchSize: 4, lr: 0.02, eval: false, saveEvery: 1, ...train });
  return { modelConfig, config, model: createModel(modelConfig, new Rng(config.seed)) };
}

const bad = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

describe('non-finite numbers in training', () => {
  test('a bad parameter stops the run at the next step, before it is applied; the last good checkpoint stays, finite', async () => {
    const d = await tinyData();
    for (const value of bad) {
      const s = setup({ maxSteps: 20 });
      const dir = mkdtempSync(join(tmpdir(), 'slm-nf-'));
      // Poisoned right after the checkpoint at step 5 is written (an output weight, used by every
      // position): step 6 is the first bad one.
      const onEvent = (e: TrainEvent) => { if (e.kind === 'checkpoint' && e.step === 5) s.model.parameters()[1]!.f32()[0] = value; };
      await assert.rejects(train({ ...s, train: d.train, outDir: dir, onEvent }), (e: unknown) => {
        assert.ok(e instanceof TrainingError, String(e));
        assert.match(e.message, /^loss became (NaN|Infinity|-Infinity) at step 6 \(epoch 1, batch 6\); the run stopped there and the last good checkpoint is kept: step 5 in /);
        assert.match(e.hint!, /skipNonfinite N skips up to N such steps/);
        return true;
      });
      assert.equal((JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as { step: number }).step, 5);
      const m = setup({}).model;
      assert.equal(loadModelWeights(dir, m), 5);
      for (const p of m.parameters()) assert.ok(p.f32().every(Number.isFinite), `value ${value}: the kept checkpoint is finite`);
    }
  });

  test('a bad input token: with skipNonfinite the batches holding it are skipped, the others train, and the run says which', async () => {
    const d = await tinyData();
    const batches = [...paddedBatches(d.train, { batchSize: 4 })] as Batch[];
    const id = d.tokenizer.tokenToId(',')!;
    const holds = (b: Batch, t: number) => b.ids.data.some((x) => x === t);
    const n = batches.filter((b) => holds(b, id)).length;
    assert.equal(n, 2, 'two batches hold the comma');
    const badBatches = batches.map((b, i) => (holds(b, id) ? i + 1 : 0)).filter(Boolean);
    for (const value of bad) {
      const s = setup({ epochs: 1, skipNonfinite: n });
      const name = 't_logits.0.weight'; // the input embedding (V, C)
      const table = s.model.namedParameters().find(([n]) => n === name)![1];
      assert.equal(table.shape[0], tiny.vocabSize, `${name} is the input embedding (V, C)`);
      const dim = table.shape[1]!;
      for (let c = 0; c < dim; c++) table.f32()[id * dim + c] = value;
      const dir = mkdtempSync(join(tmpdir(), 'slm-nf-'));
      const skips: number[] = [];
      const r = await train({ ...s, train: d.train, outDir: dir, onEvent: (e) => { if (e.kind === 'skip') skips.push(e.batch); } });
      assert.deepEqual(skips, badBatches, 'exactly the batches holding the token were skipped');
      assert.equal(r.skippedSteps, n);
      assert.equal(r.steps, batches.length - n, 'skipped batches take no optimizer step');
      const log = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { skipped?: string });
      assert.equal(log.filter((l) => l.skipped !== undefined).length, n, 'each skip is in metrics.jsonl');
      assert.match(log.find((l) => l.skipped)!.skipped!, /^loss (NaN|Infinity|-Infinity)$/);
      // In a second epoch, the next bad batch is one too many.
      const t = setup({ epochs: 2, skipNonfinite: n });
      for (let c = 0; c < dim; c++) t.model.namedParameters().find(([n]) => n === name)![1].f32()[id * dim + c] = value;
      await assert.rejects(train({ ...t, train: d.train }), new RegExp(`loss became (NaN|Infinity|-Infinity) at step \\d+ \\(epoch 2, batch ${badBatches[0]}\\), after skipping ${n} bad steps \\(skipNonfinite ${n}\\)`));
    }
  });

  test('a bad gradient with a finite loss: stopped before the update, or skipped with the weights left exactly as they were', async () => {
    const d = await tinyData();
    const batches = [...paddedBatches(d.train, { batchSize: 4 })] as Batch[];
    const source = { epoch: () => batches };
    for (const value of bad) {
      for (const allowed of [0, 1]) {
        const s = setup({ skipNonfinite: allowed, epochs: 1 });
        const opt = createOptimizer(s.model, s.config);
        let before: Float32Array[] = [];
        let after: Float32Array[] = [];
        let poisoned = false;
        const run = trainLoop({
          model: s.model, optimizer: opt, config: s.config, batches: source, batchesPerEpoch: batches.length, microRows: 4,
          hooks: {
            afterBackward: (step) => {
              if (step === 3 && !poisoned) {
                poisoned = true;
                before = s.model.parameters().map((p) => p.f32().slice());
                const g = s.model.parameters()[1]!.gradient();
                if (g.kind !== 'none') g.values[0] = value;
              }
            },
            skipped: () => { after = s.model.parameters().map((p) => p.f32().slice()); },
          },
        });
        if (allowed === 0) {
          await assert.rejects(run, /gradient norm became (NaN|Infinity) at step 3 \(epoch 1, batch 3\)/);
          s.model.parameters().forEach((p, i) => assert.deepEqual(p.f32(), before[i], 'the bad step was not applied'));
        } else {
          const r = await run;
          assert.equal(r.state.skipped, 1);
          assert.equal(r.state.step, batches.length - 1);
          after.forEach((p, i) => assert.deepEqual(p, before[i], 'a skipped step changes no weight'));
        }
      }
    }
  });

  test('slm train --skip-nonfinite N: skips, says so, and stops at the N+1st', async () => {
    const d = await tinyData();
    const r = await slm(['train', '--data', d.dir, '--model', 'lowrank', '--embed-dim', '8', '--batch-size', '4', '--lr', '1e30', '--max-steps', '30',
      '--skip-nonfinite', '2', '--save-every', '1', '--out', mkdtempSync(join(tmpdir(), 'slm-nf-cli-'))]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal((r.stderr.match(/skipped step \d+ \(epoch 1, batch \d+\): loss (NaN|Infinity|-Infinity); no update was applied/g) ?? []).length, 2, r.stderr);
    assert.match(r.stderr, /loss became (NaN|Infinity|-Infinity) at step \d+ .*after skipping 2 bad steps \(skipNonfinite 2\); the run stopped there and the last good checkpoint is kept: step \d+/);
    const help = await slm(['train', '--help']);
    assert.match(help.stdout.replace(/\s+/g, " "), /--skip-nonfinite <n> skip a step whose loss or gradient is NaN or infinite/);
  });
});
