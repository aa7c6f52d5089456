/**
 * Finite-difference gradient checks for the linear-algebra, elementwise, shape and embedding ops,
 * on every backend. Shapes include 1×1, sizes that are not multiples of 4 or 8, and empty
 * dimensions; each gradcheck also runs the accumulate and non-leaf (pooled buffer) paths.
 * The softmax/loss/normalisation/attention family is in ops.grad.nn.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  add, embedding, linear, matmul, mean, mul, narrow, reshape, scale, sub, sum, transpose,
} from '../src/ops/index.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose, gradcheck, randnLeaf } from './helpers/gradcheck.js';

const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** Operand shapes for op(A) (M,K) and op(B) (K,N) with the given transposes and batch dims. */
function mmShapes(M: number, K: number, N: number, tA: boolean, tB: boolean, batchA: number[], batchB: number[]): [number[], number[]] {
  return [[...batchA, ...(tA ? [K, M] : [M, K])], [...batchB, ...(tB ? [N, K] : [K, N])]];
}

describeEachBackend('matmul gradients', () => {
  const rng = new Rng(1);
  for (const [tA, tB] of TRANS) {
    const tag = `transA=${tA} transB=${tB}`;
    test(`2-D, ${tag}`, () => {
      for (const [M, K, N] of [[1, 1, 1], [3, 5, 7], [4, 1, 13], [13, 3, 1], [2, 8, 5]] as const) {
        const [sa, sb] = mmShapes(M, K, N, tA, tB, [], []);
        gradcheck(([a, b]) => matmul(a!, b!, { transA: tA, transB: tB }), [randnLeaf(sa, rng), randnLeaf(sb, rng)],
          {}, `${tag} M=${M} K=${K} N=${N}`);
      }
    });
    test(`batched (B,M,K)@(B,K,N) and 4-D, ${tag}`, () => {
      for (const batch of [[1], [3], [2, 2]]) {
        const [sa, sb] = mmShapes(3, 5, 2, tA, tB, batch, batch);
        gradcheck(([a, b]) => matmul(a!, b!, { transA: tA, transB: tB }), [randnLeaf(sa, rng), randnLeaf(sb, rng)],
          {}, `${tag} batch [${batch}]`);
      }
    });
    test(`batch against one matrix (...,M,K)@(K,N), ${tag}`, () => {
      for (const batch of [[1], [3], [2, 3]]) {
        const [sa, sb] = mmShapes(3, 5, 7, tA, tB, batch, []);
        gradcheck(([a, b]) => matmul(a!, b!, { transA: tA, transB: tB }), [randnLeaf(sa, rng), randnLeaf(sb, rng)],
          {}, `${tag} batch [${batch}]`);
      }
    });
    test(`empty dimensions, ${tag}`, () => {
      // M, K or N zero, and an empty batch: the output is empty, or (K = 0) all zeros like PyTorch.
      for (const [M, K, N] of [[0, 3, 4], [3, 0, 4], [3, 4, 0]] as const) {
        const [sa, sb] = mmShapes(M, K, N, tA, tB, [], []);
        const a = randnLeaf(sa, rng);
        const b = randnLeaf(sb, rng);
        const c = matmul(a, b, { transA: tA, transB: tB });
        assert.deepEqual(c.shape, [M, N]);
        assert.ok(c.data.every((v) => v === 0));
        gradcheck(([x, y]) => matmul(x!, y!, { transA: tA, transB: tB }), [a, b], {}, `${tag} M=${M} K=${K} N=${N}`);
      }
      for (const batchB of [[], [0]]) {
        const [sa, sb] = mmShapes(3, 4, 5, tA, tB, [0], batchB);
        gradcheck(([x, y]) => matmul(x!, y!, { transA: tA, transB: tB }), [randnLeaf(sa, rng), randnLeaf(sb, rng)],
          {}, `${tag} empty batch against [${sb}]`);
      }
    });
  }
});

describeEachBackend('linear gradients', () => {
  const rng = new Rng(2);
  const cases: [number[], number][] = [[[1, 1], 1], [[3, 5], 7], [[2, 3, 5], 4], [[2, 1, 13], 3], [[1, 7], 1]];
  for (const bias of [true, false]) {
    test(`x (...,in) @ w (out,in)^T ${bias ? '+ b' : 'without bias'}`, () => {
      for (const [xs, out] of cases) {
        const inF = xs[xs.length - 1]!;
        const inputs = [randnLeaf(xs, rng), randnLeaf([out, inF], rng)];
        if (bias) inputs.push(randnLeaf([out], rng));
        gradcheck(([x, w, b]) => linear(x!, w!, b), inputs, {}, `x [${xs}] out ${out}`);
      }
    });
  }
  test('only the bias needs a gradient (x and w constant)', () => {
    const x = Tensor.randn([2, 3, 5], rng);
    const w = Tensor.randn([4, 5], rng);
    gradcheck(([b]) => linear(x, w, b), [randnLeaf([4], rng)]);
  });
  test('only the weight needs a gradient, with a constant bias', () => {
    const x = Tensor.randn([3, 5], rng);
    const b = Tensor.randn([7], rng);
    gradcheck(([w]) => linear(x, w!, b), [randnLeaf([7, 5], rng)]);
  });
  test('empty batch and zero in-features', () => {
    gradcheck(([x, w, b]) => linear(x!, w!, b), [randnLeaf([0, 5], rng), randnLeaf([3, 5], rng), randnLeaf([3], rng)]);
    gradcheck(([x, w, b]) => linear(x!, w!, b), [randnLeaf([2, 0], rng), randnLeaf([3, 0], rng), randnLeaf([3], rng)]);
  });
});

describeEachBackend('elementwise gradients', () => {
  const rng = new Rng(3);
  const pairs: [string, number[], number[]][] = [
    ['same shape', [3, 5], [3, 5]],
    ['1×1', [1, 1], [1, 1]],
    ['bias (C) over (B,T,C)', [2, 3, 5], [5]],
    ['(T,C) over (B,T,C)', [2, 3, 7], [3, 7]],
    ['one element over (B,T,C)', [2, 3, 5], [1]],
    ['scalar [] over (T,C)', [3, 13], []],
    ['odd sizes', [13], [13]],
    ['bias over empty batch (0,T,C)', [0, 3, 5], [5]],
  ];
  const binaries = { add, sub, mul } as const;
  for (const [name, op] of Object.entries(binaries)) {
    test(`${name}: broadcasting, both operand orders`, () => {
      for (const [what, sa, sb] of pairs) {
        gradcheck(([a, b]) => op(a!, b!), [randnLeaf(sa, rng), randnLeaf(sb, rng)], {}, `${name} ${what}`);
        gradcheck(([a, b]) => op(b!, a!), [randnLeaf(sa, rng), randnLeaf(sb, rng)], {}, `${name} ${what}, swapped`);
      }
    });
  }
  test('add/mul forward shape is the larger operand\'s', () => {
    assert.deepEqual(add(Tensor.zeros([5]), Tensor.zeros([2, 3, 5])).shape, [2, 3, 5]);
    assert.deepEqual(mul(Tensor.zeros([0, 3, 5]), Tensor.zeros([5])).shape, [0, 3, 5]);
    assert.deepEqual(add(Tensor.zeros([5]), Tensor.zeros([0, 5])).shape, [0, 5]);
  });
  test('scale with shift', () => {
    for (const shape of [[1], [3, 5], [2, 3, 7], [0]]) {
      gradcheck(([x]) => scale(x!, -2.5, 10), [randnLeaf(shape, rng)], {}, `[${shape}]`);
    }
  });
  test('sum and mean', () => {
    for (const shape of [[1], [1, 1], [3, 5], [2, 3, 7]]) {
      gradcheck(([x]) => sum(x!), [randnLeaf(shape, rng)], {}, `sum [${shape}]`);
      gradcheck(([x]) => mean(x!), [randnLeaf(shape, rng)], {}, `mean [${shape}]`);
    }
    gradcheck(([x]) => sum(x!), [randnLeaf([0, 4], rng)], {}, 'sum of empty');
  });
});

describeEachBackend('shape op gradients', () => {
  const rng = new Rng(4);
  test('reshape chains, with -1', () => {
    gradcheck(([x]) => reshape(reshape(reshape(x!, [6, -1]), [-1]), [2, 3, 5]), [randnLeaf([5, 6], rng)]);
    gradcheck(([x]) => reshape(x!, [1, 1]), [randnLeaf([1], rng)]);
    gradcheck(([x]) => reshape(x!, [0, 7]), [randnLeaf([0, 3], rng)]);
    // a reshape between two ops, so the view's gradient is handed over rather than copied
    gradcheck(([x, w]) => mul(reshape(mul(x!, x!), [3, 5]), w!), [randnLeaf([15], rng), randnLeaf([5], rng)]);
  });
  test('narrow on dims 0, 1 and last, negative start, zero length', () => {
    const x = (): Tensor => randnLeaf([4, 5, 3], rng);
    for (const [dim, start, len] of [[0, 1, 2], [0, 3, 1], [1, 0, 5], [1, 2, 2], [2, 1, 2], [-1, 0, 1], [1, -2, 2], [1, 4, 0]]) {
      gradcheck(([t]) => narrow(t!, dim!, start!, len!), [x()], {}, `narrow(dim ${dim}, start ${start}, length ${len})`);
    }
    gradcheck(([t]) => narrow(narrow(t!, 0, 1, 2), 1, 1, 3), [x()], {}, 'narrow of narrow');
  });
  test('transpose of the last two dimensions', () => {
    for (const shape of [[1, 1], [3, 5], [2, 3, 7], [2, 2, 1, 13], [0, 4]]) {
      gradcheck(([t]) => transpose(t!), [randnLeaf(shape, rng)], {}, `[${shape}]`);
    }
  });
});

describeEachBackend('embedding gradients', () => {
  const rng = new Rng(5);
  test('repeated ids scatter-add into the same row', () => {
    const ids = Tensor.int([[0, 3, 3], [6, 0, 3]]);
    const { analytic } = gradcheck(([w]) => embedding(ids, w!), [randnLeaf([7, 5], rng)]);
    // rows never looked up get exactly zero
    for (const row of [1, 2, 4, 5]) for (let c = 0; c < 5; c++) assert.equal(analytic[0]![row * 5 + c], 0);
  });
  test('odd shapes: C = 1, one id, empty ids', () => {
    gradcheck(([w]) => embedding(Tensor.int([2, 0, 2, 1]), w!), [randnLeaf([3, 1], rng)]);
    gradcheck(([w]) => embedding(Tensor.int([[0]]), w!), [randnLeaf([1, 1], rng)]);
    gradcheck(([w]) => embedding(Tensor.int([], [0]), w!), [randnLeaf([4, 3], rng)]);
  });
});

describeEachBackend('gradient accumulation through shared tensors', () => {
  const rng = new Rng(6);
  test('a leaf used in two branches', () => {
    gradcheck(([x]) => add(mul(x!, x!), scale(x!, 3)), [randnLeaf([3, 5], rng)]);
    gradcheck(([x, w]) => add(matmul(x!, w!), matmul(x!, w!, { transB: true })), [randnLeaf([4, 4], rng), randnLeaf([4, 4], rng)]);
  });
  test('a non-leaf used twice, through a reshape view and a narrow', () => {
    gradcheck(([x, w]) => {
      const hid = scale(x!, 2, 0.5);
      return add(mul(hid, w!), hid);
    }, [randnLeaf([2, 3, 5], rng), randnLeaf([5], rng)]);
    gradcheck(([x]) => {
      const r = reshape(scale(x!, 1.5), [5, 3]);
      return add(mul(r, r), transpose(reshape(r, [3, 5])));
    }, [randnLeaf([15], rng)]);
    gradcheck(([x]) => {
      const hid = mul(x!, x!);
      return add(narrow(hid, 1, 0, 3), narrow(hid, 1, 1, 3));
    }, [randnLeaf([3, 4], rng)]);
  });
  test('analytic example: d/dx (x*x + 3x) = 2x + 3', () => {
    const x = Tensor.from([1, -2, 0.5], undefined, true);
    sum(add(mul(x, x), scale(x, 3))).backward();
    assertClose(x.grad!, Tensor.from([5, -1, 4]));
  });
});
