/**
 * Training end to end on a tiny corpus: the loss falls, micro-batches give the whole batch's
 * gradient, an interrupted and resumed run ends with the same weights as an uninterrupted one,
 * a non-finite loss stops the run naming the step and keeps the last checkpoint, and evaluation
 * and generation work on the trained model.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { paddedBatches, shiftBatch } from '../src/data/batches.js';
import type { OpenedData } from '../src/data/open.js';
import { loadModelWeights } from '../src/io/checkpoint.js';
import { createModel, resolveModelConfig, type ModelConfig } from '../src/models/registry.js';
import { generateIds } from '../src/sample/generate.js';
import { generate } from '../src/sample/prompt.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.js';
import { evaluate } from '../src/train/evaluate.js';
import { runBatch } from '../src/train/step.js';
import { train, TrainingError } from '../src/train/trainer.js';
import { makeTinyCorpus, tinyStore } from './helpers/tinyCorpus.js';

const tiny = makeTinyCorpus();
const tinyData = (): Promise<OpenedData> => tinyStore(tiny);

function setup(type: 'lowrank' | 'markov' | 'transformer', train: Partial<TrainConfig>, model: Record<string, unknown> = {}) {
  const modelConfig: ModelConfig = resolveModelConfig({ type, vocabSize: tiny.vocabSize, ...model });
  const config = resolveTrainConfig(type, { batchSize: 8, logEvery: 5, ...train });
  return { modelConfig, config, model: createModel(modelConfig, new Rng(config.seed)) };
}

describe('training on a tiny corpus', () => {
  test('a few dozen steps lower the test loss, for each model type', async () => {
    const d = await tinyData();
    for (const [type, extra, lr] of [['lowrank', { embedDim: 16 }, 0.02], ['markov', {}, 0.1], ['transformer', { embedDim: 16, heads: 2, layers: 1, maxLen: 32, dropout: 0 }, 0.01]] as const) {
      const s = setup(type, { lr, epochs: 4 }, extra);
      const before = await evaluate(s.model, d.test, { batchSize: 8 });
      const r = await train({ ...s, train: d.train, test: d.test });
      assert.ok(r.testLoss !== null && r.testLoss < before.loss - 0.5, `${type}: test loss ${before.loss} → ${r.testLoss}`);
      assert.equal(r.steps, 4 * Math.ceil(120 / 8));
    }
  });

  test('micro-batches accumulate exactly the whole batch\'s gradient', async () => {
    const d = await tinyData();
    const s = setup('lowrank', {}, { embedDim: 8, dropout: 0 });
    const [b] = [...paddedBatches(d.train, { batchSize: 8 })];
    const sb = shiftBatch(b!);
    const whole = runBatch(s.model, sb, 8, true);
    const g1 = s.model.parameters().map((p) => Float32Array.from(p.grad!.f32()));
    s.model.zeroGrad();
    const micro = runBatch(s.model, sb, 3, true);
    assert.ok(Math.abs(whole.loss - micro.loss) < 1e-5 * whole.loss);
    s.model.parameters().forEach((p, i) => {
      const g = p.grad!.f32();
      for (let j = 0; j < g.length; j++) assert.ok(Math.abs(g[j]! - g1[i]![j]!) <= 1e-6 + 1e-4 * Math.abs(g1[i]![j]!), `param ${i} elem ${j}`);
    });
  });

  test('an interrupted and resumed run ends with the same weights as an uninterrupted one', async () => {
    const d = await tinyData();
    const cfg = { epochs: 2, shuffle: true, saveEvery: 4, lr: 0.01 };
    const full = setup('lowrank', cfg, { embedDim: 8, dropout: 0.2 });
    const dirA = mkdtempSync(join(tmpdir(), 'slm-runA-'));
    await train({ ...full, train: d.train, test: d.test, outDir: dirA });

    const part = setup('lowrank', cfg, { embedDim: 8, dropout: 0.2 });
    const dirB = mkdtempSync(join(tmpdir(), 'slm-runB-'));
    const ac = new AbortController();
    const r1 = await train({
      ...part, train: d.train, test: d.test, outDir: dirB, signal: ac.signal,
      onEvent: (e) => { if (e.kind === 'step' && e.step === 19) ac.abort(); }, // mid-epoch 2, not on a save boundary
    });
    assert.equal(r1.interrupted, true);
    assert.equal(r1.steps, 19);
    const resumed = setup('lowrank', cfg, { embedDim: 8, dropout: 0.2 }); // fresh weights, overwritten by the checkpoint
    const r2 = await train({ ...resumed, train: d.train, test: d.test, outDir: dirB, resume: true });
    assert.equal(r2.steps, 30);
    const a = setup('lowrank', cfg, { embedDim: 8, dropout: 0.2 }).model;
    const b = setup('lowrank', cfg, { embedDim: 8, dropout: 0.2 }).model;
    loadModelWeights(dirA, a);
    loadModelWeights(dirB, b);
    a.parameters().forEach((p, i) => assert.deepEqual(p.f32(), b.parameters()[i]!.f32(), `parameter ${i} differs`));
    const steps = readFileSync(join(dirB, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss?: number })
      .filter((m) => m.loss !== undefined).map((m) => m.step);
    assert.deepEqual(steps, Array.from({ length: 30 }, (_, i) => i + 1), 'each step logged once');
  });

  test('a non-finite loss stops the run naming the step, and the last good checkpoint stays', async () => {
    const d = await tinyData();
    const s = setup('lowrank', { lr: 1e30, saveEvery: 1, epochs: 3 }, { embedDim: 8 });
    const dir = mkdtempSync(join(tmpdir(), 'slm-nan-'));
    await assert.rejects(train({ ...s, train: d.train, test: d.test, outDir: dir }), (e: Error) => {
      assert.ok(e instanceof TrainingError);
      assert.match(String(e), /loss became (NaN|Infinity|-Infinity) at step \d+/);
      assert.match(String(e), /last good checkpoint is kept/);
      return true;
    });
    const state = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as { step: number };
    const m = s.model;
    assert.ok(existsSync(join(dir, 'model.safetensors')));
    assert.equal(loadModelWeights(dir, m), state.step);
    for (const p of m.parameters()) assert.ok(p.f32().every(Number.isFinite), 'the kept checkpoint has finite weights');
  });
});

describe('evaluation and generation on a trained model', () => {
  test('eval reports a finite loss and perplexity = exp(loss); generation is seeded', async () => {
    const d = await tinyData();
    const s = setup('lowrank', { epochs: 3, lr: 0.02 }, { embedDim: 16 });
    await train({ ...s, train: d.train });
    const r = await evaluate(s.model, d.test, { batchSize: 4, microRows: 2 });
    assert.ok(Number.isFinite(r.loss) && r.tokens > 0);
    assert.ok(Math.abs(r.perplexity - Math.exp(r.loss)) < 1e-9 * r.perplexity);
    assert.ok(Math.abs(r.bitsPerToken - r.loss / Math.LN2) < 1e-12);
    const prompt = d.tokenizer.encode('the cat', { maxLength: Infinity }).ids.slice(0, -1);
    const a = [...generateIds(s.model, prompt, { maxNewTokens: 12, rng: new Rng(5) })];
    const b = [...generateIds(s.model, prompt, { maxNewTokens: 12, rng: new Rng(5) })];
    const c = [...generateIds(s.model, prompt, { maxNewTokens: 12, rng: new Rng(6) })];
    assert.equal(a.length, 12);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const greedy = [...generateIds(s.model, prompt, { maxNewTokens: 3, greedy: true })];
    // The corpus follows "the" with "cat" 80% of the time, so "cat" → "dog" is the learned bigram.
    assert.equal(d.tokenizer.decode(greedy.slice(0, 1)), 'dog');
    // The streaming text API yields each token with the text so far; deltas add up to the text.
    let joined = d.tokenizer.decode(prompt);
    let last = '';
    let n = 0;
    for await (const t of generate(s.model, d.tokenizer, 'the cat', { maxNewTokens: 6, rng: new Rng(5), stopAtEnd: false })) {
      assert.equal(t.id, a[n++]);
      joined += t.delta;
      last = t.text;
    }
    assert.equal(n, 6);
    assert.equal(joined, last);
  });
});
