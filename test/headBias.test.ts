/**
 * headBiasInit 'unigram': the output bias starts at the training split's add-one-smoothed log
 * unigram frequencies, so the first loss is about the unigram's entropy instead of ln V; a model
 * without an output bias is refused before anything is written; a resumed run keeps its weights.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TokenSplit } from '../src/data/split.js';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { ConfigError } from '../src/tensor/errors.js';
import { Rng } from '../src/tensor/rng.js';
import { headBiasOf, setUnigramBias } from '../src/train/headBias.js';
import { cliRunner } from './helpers/cli.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

test('the bias becomes log((count + 1) / (total + V)); models without an output bias are named', () => {
  const split: TokenSplit = { ids: Uint32Array.from([2, 5, 5, 5, 3, 2, 6, 3]), offsets: Float64Array.from([0, 5, 8]), vocabSize: 8 };
  const model = createModel(resolveModelConfig({ type: 'gru', vocabSize: 8, embedDim: 3, hiddenDim: 4 }), new Rng(1));
  const bias = headBiasOf(model, 'gru');
  setUnigramBias(bias, split);
  const counts = [0, 0, 2, 2, 0, 3, 1, 0];
  assert.deepEqual([...bias.f32()].map((x) => +x.toFixed(5)), counts.map((c) => +Math.log((c + 1) / 16).toFixed(5)));
  const markov = createModel(resolveModelConfig({ type: 'markov', vocabSize: 8 }), new Rng(1));
  assert.throws(() => headBiasOf(markov, 'markov'), (e: Error) => e instanceof ConfigError && /needs an output layer with a bias; this markov model has none/.test(e.message));
});

test('slm train --head-bias-init unigram starts near the unigram loss; a markov run is refused with nothing written', () => {
  const tiny = makeTinyCorpus(60, 8);
  const { work, slm } = cliRunner('headbias');
  const first = (arm: string) => {
    const run = join(work, arm);
    const r = slm('train', '--data', tiny.dir, '--model', 'mlp', '--hidden-dim', '8', '--embed-dim', '4', '--batch-size', '8', '--max-steps', '1',
      '--no-eval', '--head-bias-init', arm, '--out', run);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /batches: padded, [\d.]+% of the positions are padding \(computed by the hidden layers, skipped by the output layer\)/, 'the MLP computes padded positions');
    V = (JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model: { vocabSize: number } }).model.vocabSize;
    return (JSON.parse(readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n')[0]!) as { loss: number }).loss;
  };
  let V = 0;
  const plain = first('model');
  const unigram = first('unigram');
  assert.ok(Math.abs(plain - Math.log(V)) < 0.3, `PyTorch's init starts near ln V = ${Math.log(V).toFixed(3)}: ${plain}`);
  assert.ok(unigram < plain - 2, `the unigram bias starts lower: ${unigram} vs ${plain}`);
  const bad = slm('train', '--data', tiny.dir, '--model', 'markov', '--head-bias-init', 'unigram', '--max-steps', '1', '--out', join(work, 'markov'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /needs an output layer with a bias/);
  assert.ok(!existsSync(join(work, 'markov', 'config.json')), 'nothing written');
});
