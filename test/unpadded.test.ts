/**
 * The transformer's unpadded path: causalAttentionSegments equals causalAttention on the real
 * positions of the same right-padded batch (values and gradients) and passes gradcheck; a
 * transformer's realHidden gives exactly hidden()'s states at the real positions (both variants),
 * declines masks it cannot use (no padding, left padding, holes), and the training loss through it
 * equals the padded computation's, gradients included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Transformer, type TransformerConfig } from '../src/models/transformer.js';
import { causalAttention, causalAttentionSegments, maskedCrossEntropy, narrow, reshape } from '../src/ops/index.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { batchLoss } from '../src/train/step.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose, gradcheck, randnLeaf } from './helpers/gradcheck.js';

const lengths = [5, 0, 19, 1, 12];
const T = 19;

function rightPadded(lens: number[], T: number): Tensor {
  return Tensor.int(lens.map((L) => Array.from({ length: T }, (_, t) => (t < L ? 1 : 0))));
}

/** Rows of a (B,T,C) array at the real positions, row after row, as one flat array. */
function realRows(x: Float32Array, lens: number[], T: number, C: number): Float32Array {
  const out: number[] = [];
  lens.forEach((L, b) => { for (let t = 0; t < L; t++) out.push(...x.subarray((b * T + t) * C, (b * T + t + 1) * C)); });
  return Float32Array.from(out);
}

function offsetsOf(lens: number[]): Int32Array {
  const o = new Int32Array(lens.length + 1);
  lens.forEach((L, i) => { o[i + 1] = o[i]! + L; });
  return o;
}

const config = (variant: 'post-ln' | 'pre-ln'): TransformerConfig => ({
  type: 'transformer', vocabSize: 13, embedDim: 12, heads: 3, layers: 2, maxLen: 24, dropout: 0, variant,
  tieWeights: false, headBias: true, init: 'auto',
});

describeEachBackend('unpadded transformer', () => {
  test('causalAttentionSegments equals causalAttention on the real positions, gradients included', () => {
    const rng = new Rng(3);
    const [B, C, H] = [lengths.length, 10, 2];
    const N = lengths.reduce((a, b) => a + b, 0);
    const pq = randnLeaf([B, T, C], rng), pk = randnLeaf([B, T, C], rng), pv = randnLeaf([B, T, C], rng);
    const g = Tensor.randn([B, T, C], rng);
    const padded = causalAttention(pq, pk, pv, H, rightPadded(lengths, T));
    padded.backward(g);
    const leaf = (t: Tensor) => new Tensor(realRows(t.f32(), lengths, T, C), [1, N, C], true);
    const sq = leaf(pq), sk = leaf(pk), sv = leaf(pv);
    const seg = causalAttentionSegments(sq, sk, sv, H, offsetsOf(lengths));
    seg.backward(new Tensor(realRows(g.f32(), lengths, T, C), [1, N, C]));
    assertClose(seg.f32(), realRows(padded.f32(), lengths, T, C), { atol: 1e-6, rtol: 1e-5 }, 'output');
    for (const [s, p] of [[sq, pq], [sk, pk], [sv, pv]] as const) {
      assertClose(s.grad!.f32(), realRows(p.grad!.f32(), lengths, T, C), { atol: 1e-6, rtol: 1e-5 }, 'gradient');
    }
  });

  test('causalAttentionSegments passes gradcheck, empty segments included', () => {
    const rng = new Rng(4);
    const lens = [3, 0, 9, 1];
    const N = 13;
    gradcheck(([q, k, v]) => causalAttentionSegments(q!, k!, v!, 2, offsetsOf(lens)),
      [randnLeaf([1, N, 6], rng), randnLeaf([1, N, 6], rng), randnLeaf([1, N, 6], rng)], {}, 'segments 3, 0, 9, 1');
    assert.throws(() => causalAttentionSegments(randnLeaf([1, N, 6], rng), randnLeaf([1, N, 6], rng), randnLeaf([1, N, 6], rng), 2,
      Int32Array.of(0, 5, 12)), /offsets end at 12, not at the 13 rows/);
  });

  for (const variant of ['post-ln', 'pre-ln'] as const) {
    test(`realHidden gives hidden()'s states at the real positions (${variant})`, () => {
      const model = new Transformer(config(variant), new Rng(7)).eval();
      const rng = new Rng(8);
      const ids = Tensor.int(lengths.map(() => Array.from({ length: T }, () => rng.int(13))));
      const mask = rightPadded(lengths, T);
      const real = noGrad(() => model.realHidden(ids, mask))!;
      const full = noGrad(() => model.hidden(ids, mask));
      assert.deepEqual([...real.rows], lengths.flatMap((L, b) => Array.from({ length: L }, (_, t) => b * T + t)));
      assert.deepEqual(real.hidden.shape, [1, real.rows.length, 12]);
      assertClose(real.hidden.f32(), realRows(full.f32(), lengths, T, 12), { atol: 2e-6, rtol: 1e-5 }, variant);
    });
  }

  test('realHidden declines masks without padding, with left padding or holes, and mismatched shapes', () => {
    const model = new Transformer(config('post-ln'), new Rng(7)).eval();
    const ids = Tensor.int([[1, 2, 3, 4], [5, 6, 7, 8]]);
    assert.equal(model.realHidden(ids, null), null);
    assert.equal(model.realHidden(ids, Tensor.int([[1, 1, 1, 1], [1, 1, 1, 1]])), null);
    assert.equal(model.realHidden(ids, Tensor.int([[0, 1, 1, 1], [1, 1, 1, 1]])), null);
    assert.equal(model.realHidden(ids, Tensor.int([[1, 0, 1, 0], [1, 1, 0, 0]])), null);
    assert.equal(model.realHidden(ids, Tensor.int([[1, 1, 0, 0]])), null);
    assert.notEqual(model.realHidden(ids, Tensor.int([[1, 1, 1, 0], [1, 1, 1, 1]])), null);
  });

  test('the training loss through the real positions equals the padded computation, gradients included', () => {
    const model = new Transformer(config('pre-ln'), new Rng(9));
    model.eval(); // dropout 0 anyway; eval keeps the comparison about the layout alone
    const rng = new Rng(10);
    const lens = [7, 3, 12, 1];
    const full = Tensor.int(lens.map(() => Array.from({ length: 13 }, () => rng.int(13))));
    const fullMask = rightPadded(lens, 13);
    const inputs = reshape(narrow(full, 1, 0, 12), [4, 12]);
    const targets = reshape(narrow(full, 1, 1, 12), [4, 12]);
    const inputMask = reshape(narrow(fullMask, 1, 0, 12), [4, 12]);
    const mask = reshape(narrow(fullMask, 1, 1, 12), [4, 12]);
    const tokens = lens.reduce((a, L) => a + Math.max(0, L - 1), 0);
    const fused = batchLoss(model, { inputs, inputMask, targets, mask, tokens });
    fused.backward();
    const gFused = model.parameters().map((p) => Float32Array.from(p.grad!.f32()));
    model.zeroGrad();
    const plain = maskedCrossEntropy(model.forward(inputs, inputMask), targets, mask);
    plain.backward();
    assert.ok(Math.abs(fused.item() - plain.item()) <= 1e-5 * plain.item(), `${fused.item()} vs ${plain.item()}`);
    model.parameters().forEach((p, i) => {
      let scale = 0;
      for (const x of p.grad!.f32()) scale = Math.max(scale, Math.abs(x));
      assertClose(gFused[i]!, p.grad!.f32(), { atol: 1e-4 * scale + 1e-8, rtol: 0 }, `parameter ${i}`);
    });
  });
});
