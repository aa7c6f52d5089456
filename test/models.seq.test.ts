/**
 * The MLP, causal CNN and recurrent models against their own definitions, on every backend:
 * - their decoders (the MLP's window, the CNN's per-layer queues, the carried recurrent state)
 *   give next-token logits equal to forward() on the last contextSize tokens within 1e-5 at every
 *   position, past the context too, and generation draws the same ids with and without them;
 * - a right-padded batch gives every real position exactly the logits of its row alone;
 * - parameter names and shapes are those of the PyTorch twins (scripts/golden/architectures.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CausalCNN, receptiveField } from '../src/models/cnn.js';
import { forwardDecoder } from '../src/models/decoder.js';
import { MLP } from '../src/models/mlp.js';
import type { LanguageModel } from '../src/models/model.js';
import { RecurrentLM } from '../src/models/recurrent.js';
import { generateIds } from '../src/sample/generate.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';

const V = 23;

/** Small models with dropout on (the decoders must switch it off) and widths off the vector width. */
function tinyModels(seed: number): LanguageModel[] {
  const r = (i: number) => new Rng(seed + i);
  return [
    new MLP({ type: 'mlp', vocabSize: V, context: 4, embedDim: 5, hiddenDim: 9, dropout: 0.3 }, r(0)),
    new CausalCNN({ type: 'cnn', vocabSize: V, channels: 7, kernelSize: 3, layers: 2, dropout: 0.3 }, r(1)),
    new CausalCNN({ type: 'cnn', vocabSize: V, channels: 5, kernelSize: 2, layers: 3, dropout: 0.3 }, r(2)),
    new RecurrentLM({ type: 'rnn', vocabSize: V, embedDim: 6, hiddenDim: 9, layers: 2, dropout: 0.3 }, r(3)),
    new RecurrentLM({ type: 'lstm', vocabSize: V, embedDim: 6, hiddenDim: 9, layers: 2, dropout: 0.3 }, r(4)),
    new RecurrentLM({ type: 'gru', vocabSize: V, embedDim: 6, hiddenDim: 9, layers: 1, dropout: 0.3 }, r(5)),
    new RecurrentLM({ type: 'gru', vocabSize: V, embedDim: 3, hiddenDim: 17, layers: 2, dropout: 0.3 }, r(6)),
  ];
}

const nameOf = (m: LanguageModel): string => `${m.config.type} ${JSON.stringify(m.config)}`;

function randomIds(n: number, seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.int(V));
}

/** forward() in eval mode on the last contextSize tokens of ids → the last position's logits (V). */
function referenceLogits(model: LanguageModel, ids: readonly number[]): Float32Array {
  const ctx = ids.slice(Math.max(0, ids.length - model.contextSize));
  const was = model.training;
  model.eval();
  const logits = noGrad(() => model.forward(new Tensor(Int32Array.from(ctx), [1, ctx.length]))).f32();
  model.train(was);
  return logits.slice((ctx.length - 1) * V, ctx.length * V);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describeEachBackend('sequence model decoders', () => {
  for (const model of tinyModels(40)) {
    test(`${nameOf(model)}: decoded logits equal forward() at every position`, () => {
      model.train();
      const ctx = Number.isFinite(model.contextSize) ? model.contextSize : 12;
      const ids = randomIds(ctx + 20, 7);
      for (const promptLen of [1, 3, Math.min(ctx, ids.length - 1)]) {
        const dec = model.decoder!();
        let worst = maxAbsDiff(dec.prefill(ids.slice(0, promptLen)), referenceLogits(model, ids.slice(0, promptLen)));
        for (let t = promptLen; t < ids.length; t++) {
          const got = dec.step(ids[t]!);
          assert.equal(dec.length, Math.min(t + 1, model.contextSize));
          worst = Math.max(worst, maxAbsDiff(got, referenceLogits(model, ids.slice(0, t + 1))));
        }
        assert.ok(worst < 1e-5, `prompt of ${promptLen}: max |decoded - forward| = ${worst}`);
      }
      assert.equal(model.training, true, 'the decoder restores training mode');
    });

    test(`${nameOf(model)}: generation draws the same ids with and without the decoder`, () => {
      const prompt = randomIds(3, 8);
      const draw = (cache: boolean) => [...generateIds(model, prompt, { maxNewTokens: 25, rng: new Rng(5), cache })];
      assert.deepEqual(draw(true), draw(false));
    });
  }

  test('decoders refuse a step before the prefill, an empty prompt and ids outside the vocabulary', () => {
    for (const model of tinyModels(50)) {
      for (const dec of [model.decoder!(), forwardDecoder(model)]) {
        assert.throws(() => dec.step(1), /nothing read yet/, nameOf(model));
        assert.throws(() => dec.prefill([]), /no tokens/, nameOf(model));
      }
      assert.throws(() => model.decoder!().prefill([V]), /outside/, nameOf(model));
    }
  });

  test('the CNN\'s context is its receptive field', () => {
    assert.equal(receptiveField({ kernelSize: 3, layers: 6 }), 127);
    assert.equal(new CausalCNN({ type: 'cnn', vocabSize: V, channels: 4, kernelSize: 2, layers: 3, dropout: 0 }, new Rng(1)).contextSize, 8);
  });
});

describeEachBackend('sequence models on padded batches', () => {
  test('every real position gets exactly the logits of its row alone', () => {
    const lens = [9, 4, 1, 0, 9];
    const T = 9;
    const rows = lens.map((_, b) => randomIds(T, 60 + b));
    const ids = new Tensor(Int32Array.from(rows.flat()), [lens.length, T]);
    const mask = new Tensor(Int32Array.from(lens.flatMap((len) => Array.from({ length: T }, (_, t) => (t < len ? 1 : 0)))), [lens.length, T]);
    for (const model of tinyModels(70)) {
      model.eval();
      const batch = noGrad(() => model.forward(ids, mask)).f32();
      lens.forEach((len, b) => {
        if (len === 0) return;
        const alone = noGrad(() => model.forward(new Tensor(Int32Array.from(rows[b]!.slice(0, len)), [1, len]))).f32();
        const got = batch.slice(b * T * V, (b * T + len) * V);
        assert.ok(maxAbsDiff(got, alone) <= 1e-6, `${nameOf(model)} row ${b}: max diff ${maxAbsDiff(got, alone)}`);
      });
    }
  });
});

test('parameter names and shapes are the PyTorch twins\'', () => {
  const shapes = (m: LanguageModel) => Object.fromEntries(m.namedParameters().map(([n, t]) => [n, [...t.shape]]));
  const [mlp, cnn, , , lstm] = tinyModels(80);
  assert.deepEqual(shapes(mlp!), {
    'embed.weight': [V, 5], 'hidden.weight': [9, 20], 'hidden.bias': [9], 'head.weight': [V, 9], 'head.bias': [V],
  });
  assert.deepEqual(shapes(cnn!), {
    'embed.weight': [V, 7], 'convs.0.weight': [7, 7, 3], 'convs.0.bias': [7], 'convs.1.weight': [7, 7, 3], 'convs.1.bias': [7],
    'head.weight': [V, 7], 'head.bias': [V],
  });
  assert.deepEqual(shapes(lstm!), {
    'embed.weight': [V, 6],
    'rnn.weight_ih_l0': [36, 6], 'rnn.weight_hh_l0': [36, 9], 'rnn.bias_ih_l0': [36], 'rnn.bias_hh_l0': [36],
    'rnn.weight_ih_l1': [36, 9], 'rnn.weight_hh_l1': [36, 9], 'rnn.bias_ih_l1': [36], 'rnn.bias_hh_l1': [36],
    'head.weight': [V, 9], 'head.bias': [V],
  });
  // PyTorch's recurrent initialisation: every weight and bias within ±1/sqrt(H).
  for (const [n, t] of lstm!.namedParameters()) {
    if (n.startsWith('rnn.')) assert.ok(t.f32().every((v) => Math.abs(v) <= 1 / 3), n);
  }
});
