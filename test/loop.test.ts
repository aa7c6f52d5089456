/**
 * The training loop and the run folder around it: the browser-safe loop alone (an in-memory batch
 * source, a fake clock), schedules that end on budget, the optimizer chosen by config, a model
 * with a second random generator resuming bit-identically, plans made before anything is written,
 * periodic evaluation on a fixed slice with the best weights kept, and weights-only checkpoints.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { paddedBatches } from '../src/data/batches.js';
import type { OpenedData } from '../src/data/open.js';
import { loadModelWeights, RUN_FILES } from '../src/io/checkpoint.js';
import { MarkovChainLowRank, type LowRankConfig } from '../src/models/lowrank.js';
import type { FusedHead } from '../src/models/model.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import * as F from '../src/ops/index.js';
import { SGD } from '../src/optim/sgd.js';
import { CheckpointError, ConfigError } from '../src/tensor/errors.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.js';
import { formatTimeSpent } from '../src/cli/trainReport.js';
import { trainLoop } from '../src/train/loop.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { lrAt } from '../src/train/schedule.js';
import { train } from '../src/train/trainer.js';
import { makeTinyCorpus, tinyStore } from './helpers/tinyCorpus.js';

const tiny = makeTinyCorpus();
const tinyData = (): Promise<OpenedData> => tinyStore(tiny);

const lowrank = (extra: Partial<LowRankConfig> = {}) => resolveModelConfig({ type: 'lowrank', vocabSize: tiny.vocabSize, embedDim: 8, ...extra });

/** The low-rank chain with Gaussian noise on its hidden vector while training, from a second generator. */
class NoisyLowRank extends MarkovChainLowRank {
  override readonly typeName = 'NoisyLowRank';
  readonly noise = this.randomSource('noise', new Rng(99));
  override fusedHead(): FusedHead {
    const h = super.fusedHead();
    if (h.kind !== 'linear') throw new Error('expected a linear head');
    return {
      ...h,
      hidden: (ids, mask) => {
        const x = h.hidden(ids, mask);
        return this.training ? F.add(x, F.scale(Tensor.randn([...x.shape], this.noise), 0.3)) : x;
      },
    };
  }
}

describe('the training loop', () => {
  test('schedules end on budget: warmup, cosine and linear reach the floor at the last step or the budget', () => {
    const c = { lr: 1, minLr: 0.1, warmupSteps: 10, schedule: 'cosine' as const };
    assert.equal(lrAt(c, 0, 100), 1 / 11);
    assert.equal(lrAt(c, 9, 100), 10 / 11);
    assert.equal(lrAt(c, 10, 100), 1);
    assert.ok(Math.abs(lrAt(c, 100, 100) - 0.1) < 1e-12);
    assert.ok(Math.abs(lrAt(c, 55, 100) - 0.55) < 1e-12, 'half way: the mean of lr and floor');
    // A budget that ends the run first (a time limit at 50% while steps are at 20%) sets the decay.
    assert.ok(lrAt(c, 28, 100, 0.5) < lrAt(c, 28, 100));
    assert.ok(Math.abs(lrAt(c, 28, 100, 1) - 0.1) < 1e-12);
    assert.ok(Math.abs(lrAt({ ...c, schedule: 'linear' }, 55, 100) - 0.55) < 1e-12);
    assert.equal(lrAt({ ...c, schedule: 'constant' }, 55, 100, 0.9), 1);
    assert.ok(Math.abs(lrAt({ ...c, warmupSteps: 0 }, 5, Infinity, 1) - 0.1) < 1e-12, 'only a budget: the decay follows it');
  });

  test('the loop alone trains from an in-memory source and stops on a time budget at the floor rate', async () => {
    const d = await tinyData();
    const model = createModel(lowrank(), new Rng(1));
    const c: TrainConfig = resolveTrainConfig('lowrank', { lr: 0.05, schedule: 'cosine', maxSeconds: 12, epochs: 100, batchSize: 16 });
    let clock = 0;
    const lrs: number[] = [];
    const r = await trainLoop({
      model, optimizer: createOptimizer(model, c), config: c, microRows: 16, batchesPerEpoch: 8,
      batches: { epoch: (e) => paddedBatches(d.train, { batchSize: 16, epoch: e }) },
      now: () => clock,
      hooks: { afterBackward: () => { clock += 1000; }, step: (s) => { lrs.push(s.lr); } }, // a second per step
    });
    assert.equal(r.stop, 'time');
    assert.ok(r.state.seconds >= 12 && r.state.step < 20, `${r.state.step} steps in ${r.state.seconds} s`);
    assert.ok(lrs[0]! > 0.045 && lrs.at(-1)! < 0.007, `lr ${lrs[0]} → ${lrs.at(-1)} (floor 0.005)`);
    assert.ok(r.state.epoch >= 1, 'more than an epoch: the budget, not the data, ended it');
  });

  test('the loop says where its time went: steps, waiting for data, evaluation, checkpoints, and the rest', async () => {
    const d = await tinyData();
    const model = createModel(lowrank(), new Rng(1));
    const c: TrainConfig = resolveTrainConfig('lowrank', { lr: 0.01, epochs: 1, batchSize: 4, evalEvery: 2, saveEvery: 2 });
    let clock = 0; // milliseconds; each phase moves it by its own amount
    const tick = (s: number) => { clock += s * 1000; };
    const source = {
      async* epoch(e: number) {
        let n = 0;
        for (const b of paddedBatches(d.train, { batchSize: 4, epoch: e })) {
          if (n++ === 4) return;
          tick(2); // the batch took 2 s to arrive
          yield b;
        }
      },
    };
    const seen: string[] = [];
    const run = (state?: Parameters<typeof trainLoop>[0]['state']) => trainLoop({
      model, optimizer: createOptimizer(model, c), config: c, microRows: 4, batchesPerEpoch: 4, batches: source, state,
      now: () => clock,
      hooks: {
        afterBackward: () => tick(5), // inside the step
        step: () => tick(1), // logging: outside every named phase
        evaluate: async (why) => { seen.push(`eval ${why}`); tick(7); return true; },
        checkpoint: (why) => { seen.push(`save ${why}`); tick(3); },
      },
    });
    const r = await run();
    // 4 steps: 4 × 2 s data, 4 × 5 s steps, 4 × 1 s logging; evaluations at steps 2 and 4 (the epoch's
    // end is step 4, already evaluated); checkpoints at 2, 4, the epoch's end and the run's end.
    assert.deepEqual(seen, ['eval every', 'save every', 'eval every', 'save every', 'save epoch', 'save end']);
    assert.deepEqual(r.state.time, { total: 58, steps: 20, data: 8, evaluation: 14, checkpoints: 12 });
    assert.equal(formatTimeSpent(r.state.time!),
      'time: 58s in all, 20s in steps (34.5%); outside them 38s (65.5%): held-out evaluation 14s, checkpoints 12s, waiting for data 8.0s, other 4.0s');
    // A resumed run adds to the time it was saved with.
    const again = await run({ ...r.state, step: 0, epoch: 0, batchInEpoch: 0, tokens: 0, seconds: 0, time: { ...r.state.time! } });
    assert.deepEqual(again.state.time, { total: 116, steps: 40, data: 16, evaluation: 28, checkpoints: 24 });
  });

  test('the optimizer comes from the config: SGD with momentum trains and resumes', async () => {
    const d = await tinyData();
    const c = resolveTrainConfig('lowrank', { optimizer: 'sgd', momentum: 0.9, lr: 0.5, epochs: 2, batchSize: 8, saveEvery: 3 });
    assert.ok(createOptimizer(createModel(lowrank(), new Rng(1)), c) instanceof SGD);
    assert.throws(() => resolveTrainConfig('lowrank', { momentum: 0.9 }), ConfigError);
    const full = mkdtempSync(join(tmpdir(), 'slm-sgd-'));
    const a = createModel(lowrank(), new Rng(2));
    const ra = await train({ model: a, modelConfig: lowrank(), config: c, train: d.train, test: d.test, outDir: full });
    assert.ok(ra.testLoss! < Math.log(tiny.vocabSize));
    const part = mkdtempSync(join(tmpdir(), 'slm-sgd-'));
    const ac = new AbortController();
    await train({ model: createModel(lowrank(), new Rng(2)), modelConfig: lowrank(), config: c, train: d.train, test: d.test, outDir: part, signal: ac.signal,
      onEvent: (e) => { if (e.kind === 'step' && e.step === 5) ac.abort(); } });
    assert.ok(existsSync(join(part, RUN_FILES.optimizer)));
    const b = createModel(lowrank(), new Rng(7));
    await train({ model: b, modelConfig: lowrank(), config: c, train: d.train, test: d.test, outDir: part, resume: true });
    a.parameters().forEach((p, i) => assert.deepEqual(p.f32(), b.parameters()[i]!.f32(), `parameter ${i}`));
  });

  test('every registered generator is saved: a model with a second one resumes bit-identically', async () => {
    const d = await tinyData();
    const cfg = lowrank({ dropout: 0.2 }) as LowRankConfig;
    const c = resolveTrainConfig('lowrank', { epochs: 2, batchSize: 8, lr: 0.02, shuffle: true });
    const make = () => new NoisyLowRank(cfg, new Rng(5));
    assert.deepEqual(make().namedRngs().map(([n]) => n), ['noise', 't_logits.1.rng']);
    const a = make();
    await train({ model: a, modelConfig: cfg, config: c, train: d.train, test: d.test, outDir: mkdtempSync(join(tmpdir(), 'slm-noise-')) });
    const dir = mkdtempSync(join(tmpdir(), 'slm-noise-'));
    const ac = new AbortController();
    await train({ model: make(), modelConfig: cfg, config: c, train: d.train, test: d.test, outDir: dir, signal: ac.signal,
      onEvent: (e) => { if (e.kind === 'step' && e.step === 11) ac.abort(); } });
    const state = JSON.parse(readFileSync(join(dir, RUN_FILES.trainer), 'utf8')) as { rngs: Record<string, number[]> };
    assert.deepEqual(Object.keys(state.rngs), ['noise', 't_logits.1.rng']);
    const b = make();
    await train({ model: b, modelConfig: cfg, config: c, train: d.train, test: d.test, outDir: dir, resume: true });
    a.parameters().forEach((p, i) => assert.deepEqual(p.f32(), b.parameters()[i]!.f32(), `parameter ${i}`));
  });

  test('a refused plan writes nothing', async () => {
    const d = await tinyData();
    const dir = join(mkdtempSync(join(tmpdir(), 'slm-plan-')), 'run');
    const c = resolveTrainConfig('lowrank', {});
    await assert.rejects(train({
      model: createModel(lowrank(), new Rng(1)), modelConfig: lowrank(), config: c, train: d.train, outDir: dir,
      checkPlan: (p) => { if (p.estimate.total > 0) throw new ConfigError('too big for this test'); },
    }), /too big/);
    assert.equal(existsSync(dir), false);
  });

  test('evaluation every n steps on a fixed slice, the best weights kept; weights-only checkpoints refuse to resume', async () => {
    const d = await tinyData();
    const dir = mkdtempSync(join(tmpdir(), 'slm-best-'));
    const c = resolveTrainConfig('lowrank', { epochs: 1, batchSize: 8, lr: 0.05, evalEvery: 4, evalDocs: 5, saveOptimizer: false });
    const model = createModel(lowrank(), new Rng(1));
    const r = await train({ model, modelConfig: lowrank(), config: c, train: d.train, test: d.test, outDir: dir });
    const evals = readFileSync(join(dir, RUN_FILES.metrics), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>)
      .filter((m) => m.testLoss !== undefined);
    assert.deepEqual(evals.map((m) => m.step), [4, 8, 12, 15]);
    assert.ok(evals.every((m) => m.testDocs === 5));
    const best = evals.reduce((x, y) => (y.testLoss! < x.testLoss! ? y : x));
    assert.equal(r.bestTestLoss, best.testLoss);
    assert.equal(r.bestStep, best.step);
    assert.equal(loadModelWeights(join(dir, 'best'), createModel(lowrank(), new Rng(3))), best.step);
    assert.ok(existsSync(join(dir, 'best', RUN_FILES.config)) && existsSync(join(dir, 'best', RUN_FILES.tokenizer)) === false);
    assert.equal(existsSync(join(dir, RUN_FILES.optimizer)), false);
    await assert.rejects(train({ model: createModel(lowrank(), new Rng(1)), modelConfig: lowrank(), config: c, train: d.train, test: d.test, outDir: dir, resume: true }),
      (e: Error) => e instanceof CheckpointError && /without optimizer state/.test(e.message));
  });
});

describe('weight decay groups', () => {
  test("weightDecayOn 'weights' decays linear matrices only; resume maps optimizer state by name whatever the group order", async () => {
    const cfg = resolveModelConfig({ type: 'transformer', vocabSize: tiny.vocabSize, embedDim: 8, heads: 2, layers: 1, maxLen: 16, variant: 'pre-ln', tieWeights: true });
    const model = createModel(cfg, new Rng(1));
    const before = new Map(model.namedParameters().map(([n, p]) => [n, p.f32().slice()]));
    const opt = createOptimizer(model, resolveTrainConfig('transformer', { weightDecay: 0.5, weightDecayOn: 'weights', lr: 0.1 }));
    for (const p of model.parameters()) p.grad = Tensor.zeros([...p.shape]); // zero gradients: only decay moves a parameter
    opt.step();
    for (const [n, p] of model.namedParameters()) {
      const moved = p.f32().some((x, i) => x !== before.get(n)![i]);
      const shouldDecay = /\.(query|key|value|proj)\.weight$|\.ff\.[02]\.weight$/.test(n);
      assert.equal(moved, shouldDecay, `${n} ${shouldDecay ? 'decays' : 'does not decay'}`);
    }
    // The tied output layer is the token embedding: it must not decay.
    assert.ok(!model.namedParameters().some(([n]) => n === 'head.weight'));
    const d = await tinyData();
    const c = resolveTrainConfig('transformer', { weightDecayOn: 'weights', epochs: 1, batchSize: 8, saveEvery: 3, lr: 0.01 });
    const a = createModel(cfg, new Rng(2));
    await train({ model: a, modelConfig: cfg, config: c, train: d.train, outDir: mkdtempSync(join(tmpdir(), 'slm-wd-')) });
    const dir = mkdtempSync(join(tmpdir(), 'slm-wd-'));
    const ac = new AbortController();
    await train({ model: createModel(cfg, new Rng(2)), modelConfig: cfg, config: c, train: d.train, outDir: dir, signal: ac.signal,
      onEvent: (e) => { if (e.kind === 'step' && e.step === 7) ac.abort(); } });
    const b = createModel(cfg, new Rng(9));
    await train({ model: b, modelConfig: cfg, config: c, train: d.train, outDir: dir, resume: true });
    a.parameters().forEach((p, i) => assert.deepEqual(p.f32(), b.parameters()[i]!.f32(), `parameter ${i}`));
  });
});
