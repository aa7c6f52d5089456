/**
 * Every non-reference backend against the reference, op by op (ggml's test-backend-ops): the same
 * seeded inputs, forward values and every input gradient compared. Shapes are larger and odder
 * than in the gradchecks (primes, sizes past typical vector widths and block sizes, ragged tails)
 * so blocked and vectorised code paths and their remainders run. With only the reference backend
 * present there is nothing to compare and the suite is skipped.
 */
import { describe, test } from 'node:test';
import { availableBackends, kernels, useBackend } from '../src/backend/index.js';
import '../src/backend/native/autoload.js'; // registers the native backend when the addon is built
import {
  add, causalAttention, crossEntropy, dropout, embedding, gelu, layerNorm, linear, logSoftmax,
  maskedCrossEntropy, matmul, mul, softmax,
} from '../src/ops/index.js';
import assert from 'node:assert/strict';
import { createModel, resolveModelConfig } from '../src/models/registry.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { assertClose, randn, randnLeaf } from './helpers/gradcheck.js';

// Different summation orders over up to a few hundred float32 terms of O(1..10) size.
const TOL = { rtol: 1e-4, atol: 1e-4 };

function onBackend<T>(name: string, fn: () => T): T {
  const prev = useBackend(name);
  try {
    return fn();
  } finally {
    useBackend(prev);
  }
}

/** Runs fn forward and backward (against a fixed random gradient) on one backend. */
function runOn(name: string, shapes: number[][], fn: (xs: Tensor[]) => Tensor, seed: number): { out: Float32Array; grads: Float32Array[] } {
  return onBackend(name, () => {
    const rng = new Rng(seed);
    const xs = shapes.map((s) => randnLeaf(s, rng));
    const out = fn(xs);
    const g = out.size === 1 && out.ndim === 0 ? undefined : randn(out.shape, rng);
    out.backward(g);
    return { out: out.f32().slice(), grads: xs.map((x) => (x.grad ? x.grad.f32().slice() : new Float32Array(x.size))) };
  });
}

const others = availableBackends().filter((n) => n !== 'reference');
const mask = (B: number, T: number, lens: number[]): Tensor =>
  new Tensor(Int32Array.from({ length: B * T }, (_, i) => (i % T < lens[Math.floor(i / T)]! ? 1 : 0)), [B, T]);
const ids = (n: number, V: number, seed: number): Int32Array => {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(V));
};

const CASES: [string, number[][], (xs: Tensor[]) => Tensor][] = [
  ...([[false, false], [false, true], [true, false], [true, true]] as [boolean, boolean][]).flatMap(([tA, tB]) => [
    [`matmul 67x129x33 transA=${tA} transB=${tB}`, [tA ? [129, 67] : [67, 129], tB ? [33, 129] : [129, 33]],
      ([a, b]) => matmul(a!, b!, { transA: tA, transB: tB })],
    [`batched matmul 3x(17x40x23) transA=${tA} transB=${tB}`, [tA ? [3, 40, 17] : [3, 17, 40], tB ? [3, 23, 40] : [3, 40, 23]],
      ([a, b]) => matmul(a!, b!, { transA: tA, transB: tB })],
    [`batch against a matrix 2x5x(17x40)@(40x23) transA=${tA} transB=${tB}`, [tA ? [2, 5, 40, 17] : [2, 5, 17, 40], tB ? [23, 40] : [40, 23]],
      ([a, b]) => matmul(a!, b!, { transA: tA, transB: tB })],
  ] as [string, number[][], (xs: Tensor[]) => Tensor][]),
  ['linear (4,33,100) -> 70 with bias', [[4, 33, 100], [70, 100], [70]], ([x, w, b]) => linear(x!, w!, b)],
  ['add and mul, bias (C) and (T,C) over (B,T,C)', [[4, 33, 101], [101], [33, 101]], ([x, b, p]) => mul(add(x!, b!), p!)],
  ['softmax (37,257)', [[37, 257]], ([x]) => softmax(x!)],
  ['logSoftmax (37,257)', [[37, 257]], ([x]) => logSoftmax(x!)],
  ['crossEntropy mean with ignored rows (45,517)', [[45, 517]], ([l]) => {
    const t = ids(45, 517, 1);
    for (let i = 0; i < 45; i += 7) t[i] = -100;
    return crossEntropy(l!, new Tensor(t, [45]));
  }],
  ['maskedCrossEntropy (3,15,517)', [[3, 15, 517]], ([l]) => maskedCrossEntropy(l!, new Tensor(ids(45, 517, 2), [3, 15]), mask(3, 15, [15, 1, 9]))],
  ['layerNorm (29,131)', [[29, 131], [131], [131]], ([x, g, b]) => layerNorm(x!, g!, b!)],
  ['gelu (1003)', [[1003]], ([x]) => gelu(scaleUp(x!, 2.5))],
  ['dropout p=0.3 (1003)', [[1003]], ([x]) => dropout(x!, 0.3, true, new Rng(9))],
  ['embedding (300,67) with repeated ids', [[300, 67]], ([w]) => embedding(new Tensor(ids(203, 300, 3), [7, 29]), w!)],
  ['causalAttention (2,33,48) 3 heads, mixed padding', [[2, 33, 48], [2, 33, 48], [2, 33, 48]],
    ([q, k, v]) => causalAttention(q!, k!, v!, 3, mask(2, 33, [33, 20]))],
  ['causalAttention (1,40,64) 4 heads, no mask', [[1, 40, 64], [1, 40, 64], [1, 40, 64]], ([q, k, v]) => causalAttention(q!, k!, v!, 4)],
];

/** x * s without a graph-breaking copy: a constant multiplier tensor. */
function scaleUp(x: Tensor, s: number): Tensor {
  return mul(x, Tensor.from([s], []));
}

describe('backends agree with the reference', { skip: others.length === 0 ? 'only the reference backend is available' : false }, () => {
  for (const name of others) {
    CASES.forEach(([what, shapes, fn], i) => {
      test(`${name}: ${what}`, () => {
        const ref = runOn('reference', shapes, fn, 100 + i);
        const got = runOn(name, shapes, fn, 100 + i);
        assertClose(got.out, ref.out, TOL, `${what}: forward`);
        got.grads.forEach((g, j) => assertClose(g, ref.grads[j]!, TOL, `${what}: gradient of input ${j}`));
      });
    });
    test(`${name}: dropout draws the same mask, bit for bit, and leaves the generator in the same state`, () => {
      const draw = (backend: string): { ys: Float32Array[]; state: number[] } => onBackend(backend, () => {
        const rng = new Rng(5);
        rng.normal(); // a spare normal pending: dropout must keep it
        const x = Tensor.ones([100003]);
        const ys = [0.2, 0.5, 0.2].map((p) => dropout(x, p, true, rng).f32().slice());
        return { ys, state: rng.getState() };
      });
      const ref = draw('reference');
      const got = draw(name);
      got.ys.forEach((y, i) => assert.deepEqual(y, ref.ys[i], `draw ${i}`));
      assert.deepEqual(got.state, ref.state);
    });
    test(`${name}: a transformer with dropout, training mode: same outputs from the same seed`, () => {
      const cfg = resolveModelConfig({ type: 'transformer', vocabSize: 50, embedDim: 16, heads: 2, layers: 2, maxLen: 24, dropout: 0.2 });
      const ids = new Tensor(Int32Array.from({ length: 2 * 21 }, (_, i) => (i * 7) % 50), [2, 21]);
      const logits = (backend: string): Float32Array => onBackend(backend, () => {
        const model = createModel(cfg, new Rng(3)).train();
        return model.forward(ids, mask(2, 21, [21, 12])).f32().slice();
      });
      assertClose(logits(name), logits('reference'), TOL, 'logits');
    });
    test(`${name}: adamwStep and sumSquares kernels`, () => {
      const rng = new Rng(7);
      const make = (): Float32Array[] => [randn([1003], rng).f32(), randn([1003], rng).f32(), randn([1003], rng, 0.1).f32(),
        Float32Array.from(randn([1003], rng, 0.1).f32(), Math.abs)];
      const [p, g, m, v] = make();
      const run = (backend: string): Float32Array[] => onBackend(backend, () => {
        const bufs = [p!.slice(), g!.slice(), m!.slice(), v!.slice()];
        for (let step = 1; step <= 3; step++) {
          kernels().adamwStep(bufs[0]!, bufs[1]!, bufs[2]!, bufs[3]!, 1e-2, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** step, 1 - 0.999 ** step);
        }
        return bufs;
      });
      const ref = run('reference');
      const got = run(name);
      ['p', 'g', 'm', 'v'].forEach((what, j) => assertClose(got[j]!, ref[j]!, { rtol: 1e-5, atol: 1e-6 }, `adamw ${what}`));
      const ss = (backend: string): number => onBackend(backend, () => kernels().sumSquares(p!));
      assertClose([ss(name)], [ss('reference')], { rtol: 1e-6, atol: 0 }, 'sumSquares');
    });
  }
});
