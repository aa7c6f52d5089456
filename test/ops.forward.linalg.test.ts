/**
 * Forward values of matmul (every transpose combination, batched, batch against a matrix),
 * linear, the broadcasting elementwise ops, reductions, shape ops and embedding, against naive
 * float64 loops written here, on every backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  add, embedding, linear, matmul, mean, mul, narrow, reshape, scale, sub, sum, transpose,
} from '../src/ops/index.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose, randn } from './helpers/gradcheck.js';

// Sums of up to ~20 float32 products of O(1) values: rounding stays well under 1e-5.
const F32 = { rtol: 1e-5, atol: 1e-5 };

/** Naive float64 op(A) (M,K) @ op(B) (K,N) for one matrix pair at offsets ao, bo. */
function naiveMm(A: ArrayLike<number>, B: ArrayLike<number>, M: number, K: number, N: number,
  tA: boolean, tB: boolean, ao = 0, bo = 0): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = tA ? A[ao + k * M + i]! : A[ao + i * K + k]!;
        const b = tB ? B[bo + j * K + k]! : B[bo + k * N + j]!;
        s += a * b;
      }
      out[i * N + j] = s;
    }
  }
  return out;
}

const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describeEachBackend('matmul and linear values', () => {
  const rng = new Rng(31);
  test('hand example: [[1,2],[3,4]] @ [[5,6],[7,8]]', () => {
    assert.deepEqual(matmul(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[5, 6], [7, 8]])).toArray(), [[19, 22], [43, 50]]);
    assert.deepEqual(matmul(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[5, 6], [7, 8]]), { transA: true, transB: true }).toArray(),
      [[23, 31], [34, 46]]);
  });
  for (const [tA, tB] of TRANS) {
    test(`transA=${tA} transB=${tB}: 2-D, batched, batch against a matrix`, () => {
      for (const [M, K, N] of [[1, 1, 1], [3, 5, 7], [13, 3, 1], [2, 8, 5]]) {
        const sa = tA ? [K!, M!] : [M!, K!];
        const sb = tB ? [N!, K!] : [K!, N!];
        const a = randn(sa, rng);
        const b = randn(sb, rng);
        const c = matmul(a, b, { transA: tA, transB: tB });
        assert.deepEqual(c.shape, [M, N]);
        assertClose(c.data, naiveMm(a.data, b.data, M!, K!, N!, tA, tB), F32, `2-D M=${M} K=${K} N=${N}`);

        const ab = randn([2, 3, ...sa], rng);
        const bb = randn([2, 3, ...sb], rng);
        const cb = matmul(ab, bb, { transA: tA, transB: tB });
        assert.deepEqual(cb.shape, [2, 3, M, N]);
        const vs = matmul(ab, b, { transA: tA, transB: tB });
        assert.deepEqual(vs.shape, [2, 3, M, N]);
        for (let i = 0; i < 6; i++) {
          const want = naiveMm(ab.data, bb.data, M!, K!, N!, tA, tB, i * M! * K!, i * K! * N!);
          assertClose(cb.data.subarray(i * M! * N!, (i + 1) * M! * N!), want, F32, `batched, batch ${i}`);
          const want2 = naiveMm(ab.data, b.data, M!, K!, N!, tA, tB, i * M! * K!, 0);
          assertClose(vs.data.subarray(i * M! * N!, (i + 1) * M! * N!), want2, F32, `against a matrix, batch ${i}`);
        }
      }
    });
  }
  test('K = 0 gives zeros (an empty sum), like PyTorch', () => {
    const c = matmul(Tensor.zeros([3, 0]), Tensor.zeros([0, 4]));
    assert.deepEqual(c.shape, [3, 4]);
    assert.ok(c.data.every((v) => v === 0));
    assert.deepEqual(matmul(Tensor.zeros([2, 0, 3]), Tensor.zeros([3, 4])).shape, [2, 0, 4]);
  });
  test('linear = x @ w^T + b, with and without bias', () => {
    for (const xs of [[1, 1], [3, 5], [2, 3, 5]]) {
      const inF = xs[xs.length - 1]!;
      const x = randn(xs, rng);
      const w = randn([7, inF], rng);
      const b = randn([7], rng);
      const rows = x.size / inF;
      const base = naiveMm(x.data, w.data, rows, inF, 7, false, true);
      const y = linear(x, w, b);
      assert.deepEqual(y.shape, [...xs.slice(0, -1), 7]);
      assertClose(y.data, base.map((v, i) => v + b.data[i % 7]!), F32, `[${xs}] with bias`);
      assertClose(linear(x, w).data, base, F32, `[${xs}] without bias`);
      assertClose(linear(x, w, null).data, base, F32, `[${xs}] null bias`);
    }
  });
  test('linear does not modify its inputs', () => {
    const x = randn([2, 3], rng);
    const w = randn([4, 3], rng);
    const b = randn([4], rng);
    const copies = [x, w, b].map((t) => t.data.slice());
    linear(x, w, b);
    [x, w, b].forEach((t, i) => assert.deepEqual(t.data, copies[i]));
  });
});

describeEachBackend('elementwise, reduction, shape and embedding values', () => {
  const rng = new Rng(32);
  test('add/sub/mul with trailing broadcasting', () => {
    const x = randn([2, 3, 5], rng);
    const bias = randn([5], rng);
    const pos = randn([3, 5], rng);
    const same = randn([2, 3, 5], rng);
    const at = (t: Tensor, i: number): number => t.data[i % t.size]!;
    for (const other of [bias, pos, same, Tensor.from([2.5], [])]) {
      assertClose(add(x, other).data, Array.from(x.data, (v, i) => v + at(other, i)), F32, `add [${other.shape}]`);
      assertClose(add(other, x).data, Array.from(x.data, (v, i) => v + at(other, i)), F32, `add swapped [${other.shape}]`);
      assertClose(sub(x, other).data, Array.from(x.data, (v, i) => v - at(other, i)), F32, `sub [${other.shape}]`);
      assertClose(sub(other, x).data, Array.from(x.data, (v, i) => at(other, i) - v), F32, `sub swapped [${other.shape}]`);
      assertClose(mul(x, other).data, Array.from(x.data, (v, i) => v * at(other, i)), F32, `mul [${other.shape}]`);
      assert.deepEqual(mul(other, x).shape, [2, 3, 5]);
    }
  });
  test('scale, sum, mean', () => {
    const x = Tensor.from([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(scale(x, 2, -1).toArray(), [[1, 3, 5], [7, 9, 11]]);
    assert.equal(sum(x).item(), 21);
    assert.deepEqual(sum(x).shape, []);
    assert.equal(mean(x).item(), 3.5);
    assert.equal(sum(Tensor.zeros([0])).item(), 0);
    assert.throws(() => mean(Tensor.zeros([0])), /mean/);
  });
  test('narrow copies the right elements on every dimension', () => {
    const x = Tensor.from(Array.from({ length: 60 }, (_, i) => i), [4, 5, 3]);
    const naive = (dim: number, start: number, len: number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 3; k++) {
        const idx = [i, j, k][dim]!;
        if (idx >= start && idx < start + len) out.push(i * 15 + j * 3 + k);
      }
      return out;
    };
    for (const [dim, start, len] of [[0, 1, 2], [1, 2, 3], [2, 1, 2], [2, 0, 0]]) {
      const y = narrow(x, dim!, start!, len!);
      assert.deepEqual([...y.data], naive(dim!, start!, len!), `narrow(${dim}, ${start}, ${len})`);
    }
    assert.deepEqual([...narrow(x, -1, -1, 1).data], naive(2, 2, 1));
    const ids = Tensor.int([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(narrow(ids, 1, 1, 2).toArray(), [[2, 3], [5, 6]]);
    assert.equal(narrow(ids, 1, 1, 2).dtype, 'int32');
  });
  test('transpose and reshape', () => {
    assert.deepEqual(transpose(Tensor.from([[1, 2, 3], [4, 5, 6]])).toArray(), [[1, 4], [2, 5], [3, 6]]);
    assert.deepEqual(transpose(Tensor.from([[[1, 2]], [[3, 4]]])).toArray(), [[[1], [2]], [[3], [4]]]);
    assert.deepEqual(reshape(Tensor.from([1, 2, 3, 4, 5, 6]), [3, -1]).toArray(), [[1, 2], [3, 4], [5, 6]]);
  });
  test('embedding gathers rows', () => {
    const table = Tensor.from([[0, 1], [10, 11], [20, 21]]);
    const y = embedding(Tensor.int([[2, 0], [1, 1]]), table);
    assert.deepEqual(y.shape, [2, 2, 2]);
    assert.deepEqual(y.toArray(), [[[20, 21], [0, 1]], [[10, 11], [10, 11]]]);
    assert.deepEqual(embedding(Tensor.int([], [0]), table).shape, [0, 2]);
  });
});
