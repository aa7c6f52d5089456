/**
 * The MLP, CNN and recurrent families trained end to end on a tiny corpus: the test loss falls;
 * a run interrupted mid-epoch and resumed ends bit-identical to an uninterrupted one (dropout on,
 * shuffled batches, two recurrent layers so the dropout between them draws too); the recurrent
 * families train with their gradient clipping by default; and through the `slm` command: train,
 * resume, eval, generate and compare, and a resume that names another model type is refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OpenedData } from '../src/data/open.js';
import { loadModelWeights } from '../src/io/checkpoint.js';
import { createModel, resolveModelConfig, type ModelConfig } from '../src/models/registry.js';
import { generateIds } from '../src/sample/generate.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveTrainConfig, type TrainConfig } from '../src/train/config.js';
import { evaluate } from '../src/train/evaluate.js';
import { train } from '../src/train/trainer.js';
import { makeTinyCorpus, tinyStore } from './helpers/tinyCorpus.js';

const tiny = makeTinyCorpus();
const tinyData = (): Promise<OpenedData> => tinyStore(tiny);

/** Small models of each family, dropout on. */
const FAMILIES: [string, Record<string, unknown>][] = [
  ['mlp', { context: 4, embedDim: 8, hiddenDim: 24, dropout: 0.2 }],
  ['cnn', { channels: 12, kernelSize: 3, layers: 3, dropout: 0.2 }],
  ['rnn', { embedDim: 8, hiddenDim: 16, layers: 2, dropout: 0.2 }],
  ['lstm', { embedDim: 8, hiddenDim: 16, layers: 2, dropout: 0.2 }],
  ['gru', { embedDim: 8, hiddenDim: 16, layers: 2, dropout: 0.2 }],
];

function setup(type: string, model: Record<string, unknown>, trainCfg: Partial<TrainConfig>) {
  const modelConfig: ModelConfig = resolveModelConfig({ type, vocabSize: tiny.vocabSize, ...model });
  const config = resolveTrainConfig(modelConfig.type, { batchSize: 8, logEvery: 5, ...trainCfg });
  return { modelConfig, config, model: createModel(modelConfig, new Rng(config.seed)) };
}

describe('sequence families on a tiny corpus', () => {
  for (const [type, extra] of FAMILIES) {
    test(`${type}: the test loss falls; evaluation and generation work on the trained model`, async () => {
      const d = await tinyData();
      const s = setup(type, extra, { epochs: 3, lr: 0.01 });
      const before = (await evaluate(s.model, d.test, { batchSize: 16 })).loss;
      const r = await train({ ...s, train: d.train, test: d.test });
      assert.ok(r.testLoss! < before - 0.3, `${type}: test loss ${before} → ${r.testLoss}`);
      const ids = [...generateIds(s.model, [2, 7, 8], { maxNewTokens: 10, rng: new Rng(1) })];
      assert.equal(ids.length, 10);
      assert.ok(ids.every((id) => id >= 0 && id < tiny.vocabSize));
    });

    test(`${type}: an interrupted and resumed run ends with the same weights as an uninterrupted one`, async () => {
      const d = await tinyData();
      const cfg = { epochs: 2, shuffle: true, saveEvery: 4, lr: 0.01 };
      const dirA = mkdtempSync(join(tmpdir(), `slm-${type}-A-`));
      await train({ ...setup(type, extra, cfg), train: d.train, test: d.test, outDir: dirA });
      const dirB = mkdtempSync(join(tmpdir(), `slm-${type}-B-`));
      const ac = new AbortController();
      const r1 = await train({
        ...setup(type, extra, cfg), train: d.train, test: d.test, outDir: dirB, signal: ac.signal,
        onEvent: (e) => { if (e.kind === 'step' && e.step === 19) ac.abort(); }, // mid-epoch 2, off a save boundary
      });
      assert.equal(r1.steps, 19);
      const r2 = await train({ ...setup(type, extra, cfg), train: d.train, test: d.test, outDir: dirB, resume: true });
      assert.equal(r2.steps, 30);
      const a = setup(type, extra, cfg).model;
      const b = setup(type, extra, cfg).model;
      loadModelWeights(dirA, a);
      loadModelWeights(dirB, b);
      a.namedParameters().forEach(([n, p], i) => assert.deepEqual(p.f32(), b.parameters()[i]!.f32(), `${type} ${n} differs`));
    });
  }

  test('the recurrent families clip gradients by default; the others do not', () => {
    for (const [type] of FAMILIES) {
      const clip = resolveTrainConfig(resolveModelConfig({ type, vocabSize: 10 }).type, {}).gradClip;
      assert.equal(clip, ['rnn', 'lstm', 'gru'].includes(type) ? 1 : null, type);
    }
  });
});

describe('slm train, eval, generate and compare with the sequence families', () => {
  test('train, resume, eval, generate; compare ranks them; another type cannot resume a run', () => {
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const work = mkdtempSync(join(tmpdir(), 'slm-seq-cli-'));
    const slm = (...args: string[]) => spawnSync(process.execPath, [main, ...args],
      { encoding: 'utf8', env: { ...process.env, SLM_CACHE: join(work, 'cache') } });
    const flags: Record<string, string[]> = {
      mlp: ['--context', '3', '--embed-dim', '6', '--hidden-dim', '12'],
      cnn: ['--channels', '8', '--kernel-size', '2', '--layers', '2'],
      rnn: ['--embed-dim', '6', '--hidden-dim', '8', '--layers', '2'],
      lstm: ['--embed-dim', '6', '--hidden-dim', '8'],
      gru: ['--embed-dim', '6', '--hidden-dim', '8'],
    };
    const store = join(work, 'store');
    const prep = slm('prepare', '--input', tiny.dir, '--out', store, '--tokenizer', tiny.vocabPath);
    assert.equal(prep.status, 0, prep.stderr);
    const runs: string[] = [];
    for (const [type, f] of Object.entries(flags)) {
      const run = join(work, type);
      runs.push(run);
      let r = slm('train', '--data', store, '--model', type, ...f, '--batch-size', '16',
        '--max-steps', '2', '--out', run, '--json');
      assert.equal(r.status, 0, `${type} train: ${r.stderr}`);
      const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model: { type: string } };
      assert.equal(config.model.type, type);
      r = slm('train', '--resume', run, '--max-steps', '4', '--json');
      assert.equal(r.status, 0, `${type} resume: ${r.stderr}`);
      assert.equal((JSON.parse(r.stdout.trim().split('\n').pop()!) as { steps: number }).steps, 4);
      r = slm('eval', '--model', run, '--data', store, '--json');
      assert.equal(r.status, 0, `${type} eval: ${r.stderr}`);
      assert.ok(Number.isFinite((JSON.parse(r.stdout.trim().split('\n').pop()!) as { loss: number }).loss));
      r = slm('generate', '--model', run, '--prompt', 'the cat sat', '--max-new-tokens', '5', '--json');
      assert.equal(r.status, 0, `${type} generate: ${r.stderr}`);
    }
    const other = slm('train', '--resume', runs[0]!, '--model', 'gru');
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /--model gru differs from the run's mlp/);
    const cmp = slm('compare', ...runs, '--data', store, '--json');
    assert.equal(cmp.status, 0, cmp.stderr);
    assert.match(cmp.stdout, /"mlp 3×6→12"/);
    for (const t of ['cnn 2×8 k2', 'rnn 2×8 e6', 'lstm 1×8 e6', 'gru 1×8 e6']) assert.ok(cmp.stdout.includes(t), `${t} in compare`);
  });
});
