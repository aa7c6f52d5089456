/**
 * Finite-difference gradient checks for the sequence models' ops, on every backend: tanh and ReLU,
 * the causal dilated convolution (with and without per-row lengths, dilations past the sequence),
 * and the tanh-RNN, LSTM and GRU layers through packing and unpacking, on odd sizes (1 × 1, widths
 * off the vector width) and batches with rows of length 0 and 1. Plus the padding promise: a
 * padded batch gives every real position exactly what that row gives alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  causalConv1d, packRows, planPacking, recurrent, relu, sequenceLengths, tanh, unpackRows, type RecurrentMode,
} from '../src/ops/index.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { gradcheck, randn, randnLeaf } from './helpers/gradcheck.js';

const MODES: RecurrentMode[] = ['rnn', 'lstm', 'gru'];
const GATES = { rnn: 1, lstm: 4, gru: 3 } as const;

/** Recurrent layer weights as leaves: [wIh, wHh, bIh, bHh], scale 0.5 like PyTorch's U(±1/sqrt(H)) for small H. */
function recurrentLeaves(mode: RecurrentMode, E: number, H: number, rng: Rng): Tensor[] {
  const G = GATES[mode] * H;
  return [randnLeaf([G, E], rng, 0.5), randnLeaf([G, H], rng, 0.5), randnLeaf([G], rng, 0.5), randnLeaf([G], rng, 0.5)];
}

/** x (B,T,E) → the layer over the real positions → (B,T,H), zeros at padding. */
function runLayer(mode: RecurrentMode, x: Tensor, lengths: Int32Array, w: Tensor[]): Tensor {
  const plan = planPacking(lengths, x.shape[1]!);
  const h = recurrent(mode, packRows(x, plan), plan.batchSizes, { wIh: w[0]!, wHh: w[1]!, bIh: w[2]!, bHh: w[3]! });
  return unpackRows(h, plan);
}

/** A (B,T) int32 mask with the given row lengths (right padding). */
function maskOf(lengths: number[], T: number): Tensor {
  return new Tensor(Int32Array.from({ length: lengths.length * T }, (_, i) => (i % T < lengths[Math.floor(i / T)]! ? 1 : 0)), [lengths.length, T]);
}

describeEachBackend('activation gradients', () => {
  const rng = new Rng(21);
  test('tanh', () => {
    for (const shape of [[1], [1, 1], [3, 5], [2, 3, 17]]) gradcheck(([x]) => tanh(x!), [randnLeaf(shape, rng, 1.5)], {}, `[${shape}]`);
  });
  test('relu, away from the kink', () => {
    for (const shape of [[1], [3, 5], [2, 3, 17]]) {
      const x = randnLeaf(shape, rng);
      const d = x.f32();
      for (let i = 0; i < d.length; i++) d[i] = d[i]! + (d[i]! < 0 ? -0.1 : 0.1); // |x| > h
      gradcheck(([t]) => relu(t!), [x], {}, `[${shape}]`);
    }
  });
});

describeEachBackend('causal convolution gradients', () => {
  const rng = new Rng(22);
  // [B, T, Cin, Cout, K, dilation, lengths or null]
  const cases: [number, number, number, number, number, number, number[] | null][] = [
    [1, 1, 1, 1, 1, 1, null],
    [1, 4, 1, 1, 2, 1, null],
    [2, 5, 3, 4, 2, 1, [5, 2]],
    [3, 7, 3, 2, 3, 2, [7, 0, 1]],
    [2, 6, 17, 5, 3, 4, [6, 4]], // dilation 4: the first tap looks past the start for most rows
    [2, 3, 2, 3, 4, 8, null], // every tap but the last reads padding
  ];
  for (const [B, T, Cin, Cout, K, d, lens] of cases) {
    test(`B=${B} T=${T} Cin=${Cin} Cout=${Cout} K=${K} dilation=${d} lengths=${lens ? `[${lens}]` : 'none'}`, () => {
      const lengths = lens ? Int32Array.from(lens) : null;
      const inputs = [randnLeaf([B, T, Cin], rng), randnLeaf([Cout, Cin, K], rng, 0.5), randnLeaf([Cout], rng, 0.5)];
      gradcheck(([x, w, b]) => causalConv1d(x!, w!, b!, d, lengths), inputs);
      gradcheck(([x, w]) => causalConv1d(x!, w!, null, d, lengths), inputs.slice(0, 2), {}, 'no bias');
    });
  }
  test('rows past a length are zero and do not depend on the input', () => {
    const x = randn([2, 5, 3], rng);
    const w = randn([4, 3, 2], rng);
    const y = noGrad(() => causalConv1d(x, w, randn([4], rng), 1, Int32Array.of(3, 0))).f32();
    for (let t = 0; t < 5; t++) {
      for (let c = 0; c < 4; c++) {
        const real = t < 3 ? 1 : 0;
        if (!real) assert.equal(y[t * 4 + c], 0, `row 0 position ${t}`);
        assert.equal(y[(5 + t) * 4 + c], 0, `row 1 (length 0) position ${t}`);
      }
    }
  });
});

describeEachBackend('recurrent layer gradients', () => {
  const rng = new Rng(23);
  // [B, T, E, H, lengths]
  const cases: [number, number, number, number, number[]][] = [
    [1, 1, 1, 1, [1]],
    [1, 3, 1, 1, [3]],
    [3, 5, 2, 3, [5, 1, 3]],
    [4, 6, 3, 5, [2, 6, 0, 6]], // a row of length 0, ties, unsorted
    [2, 4, 17, 2, [4, 4]],
  ];
  for (const mode of MODES) {
    for (const [B, T, E, H, lens] of cases) {
      test(`${mode} B=${B} T=${T} E=${E} H=${H} lengths [${lens}]`, () => {
        const lengths = Int32Array.from(lens);
        const inputs = [randnLeaf([B, T, E], rng), ...recurrentLeaves(mode, E, H, rng)];
        gradcheck(([x, ...w]) => runLayer(mode, x!, lengths, w), inputs);
      });
    }
  }
});

describeEachBackend('padding changes no real position', () => {
  const rng = new Rng(24);
  const lens = [7, 3, 0, 1, 7];
  const T = 7;
  test('recurrent layers: each row alone gives exactly its rows of the padded batch', () => {
    for (const mode of MODES) {
      const x = randn([lens.length, T, 5], rng);
      const w = recurrentLeaves(mode, 5, 6, rng);
      const lengths = sequenceLengths(maskOf(lens, T), lens.length, T, 'test');
      const batch = noGrad(() => runLayer(mode, x, lengths, w)).f32();
      lens.forEach((len, b) => {
        if (len === 0) return;
        const row = new Tensor(x.f32().slice(b * T * 5, (b * T + len) * 5), [1, len, 5]);
        const alone = noGrad(() => runLayer(mode, row, Int32Array.of(len), w)).f32();
        assert.deepEqual(batch.slice(b * T * 6, (b * T + len) * 6), alone, `${mode} row ${b}`);
        assert.ok(batch.slice((b * T + len) * 6, (b + 1) * T * 6).every((v) => v === 0), `${mode} row ${b} padding is zero`);
      });
    }
  });
  test('causal convolution: each row alone gives exactly its rows of the padded batch', () => {
    const x = randn([lens.length, T, 5], rng);
    const w = randn([6, 5, 3], rng);
    const b = randn([6], rng);
    const batch = noGrad(() => causalConv1d(x, w, b, 2, Int32Array.from(lens))).f32();
    lens.forEach((len, r) => {
      if (len === 0) return;
      const row = new Tensor(x.f32().slice(r * T * 5, (r * T + len) * 5), [1, len, 5]);
      assert.deepEqual(batch.slice(r * T * 6, (r * T + len) * 6), noGrad(() => causalConv1d(row, w, b, 2)).f32(), `row ${r}`);
    });
  });
  test('a mask with a real token after padding is refused', () => {
    const mask = Tensor.int([[1, 1, 0, 1]]);
    assert.throws(() => sequenceLengths(mask, 1, 4, 'lstm.forward'), /real token at position 3 after padding at 2[\s\S]*right padding/);
  });
});
