/**
 * Tensor construction and dtype rules, typed shape errors from every op family, autograd
 * bookkeeping (backward preconditions, accumulation, noGrad, freeing the tape) and the seeded Rng.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  add, causalAttention, crossEntropy, embedding, layerNorm, linear, maskedCrossEntropy, matmul, mul, narrow,
  reshape, scale, softmax, sum, transpose,
} from '../src/ops/index.js';
import { isGradEnabled, liveGraphNodes, noGrad } from '../src/tensor/autograd.js';
import { DTypeError, GradError, ShapeError } from '../src/tensor/errors.js';
import { boxMuller } from '../src/backend/reference/random.js';
import { defaultRng, manualSeed, Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose } from './helpers/gradcheck.js';

/** Asserts that `fn` throws `type` and that the message contains every fragment. */
function throwsWith(fn: () => unknown, type: new (...args: never[]) => Error, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    for (const f of fragments) assert.ok(String(e).includes(f), `message "${String(e)}" should mention "${f}"`);
    return true;
  });
}

describe('Tensor construction', () => {
  test('nested arrays infer the shape; flat data takes an explicit one', () => {
    const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(Tensor.from([1, 2, 3, 4, 5, 6], [3, 2]).toArray(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(Tensor.from([7], []).shape, []);
    assert.equal(Tensor.from([7], []).item(), 7);
    assert.deepEqual(Tensor.from([]).shape, [0]);
    assert.deepEqual(Tensor.zeros([2, 0, 3]).size, 0);
    const i = Tensor.int([[1, -2], [3, 4]]);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(i.toArray(), [[1, -2], [3, 4]]);
  });
  test('ragged arrays and non-numbers are ShapeErrors', () => {
    throwsWith(() => Tensor.from([[1, 2], [3]]), ShapeError, 'ragged');
    throwsWith(() => Tensor.from([[1, 2], 3]), ShapeError);
    throwsWith(() => Tensor.from([1, [2]]), ShapeError);
    throwsWith(() => Tensor.from([[[1], [2]], [[3], [4, 5]]]), ShapeError, 'ragged');
    throwsWith(() => Tensor.from(['a' as unknown as number]), ShapeError);
  });
  test('data length must match the shape; dimensions must be non-negative integers', () => {
    throwsWith(() => Tensor.from([1, 2, 3], [2, 2]), ShapeError, '3 elements', '[2, 2]');
    throwsWith(() => new Tensor(new Float32Array(5), [2, 3]), ShapeError, '[2, 3]');
    throwsWith(() => Tensor.zeros([2, -1]), ShapeError, '-1');
    throwsWith(() => Tensor.zeros([1.5]), ShapeError, '1.5');
  });
  test('dtype checks: int tensors hold integers and never require grad', () => {
    throwsWith(() => Tensor.int([1, 2.5]), DTypeError, '2.5');
    throwsWith(() => Tensor.int([Number.NaN]), DTypeError);
    throwsWith(() => new Tensor(new Int32Array(2), [2], true), DTypeError);
    throwsWith(() => Tensor.int([1, 2]).requiresGrad_(), DTypeError);
    throwsWith(() => Tensor.int([1, 2]).f32('my input'), DTypeError, 'my input');
    throwsWith(() => Tensor.from([1, 2]).i32('my ids'), DTypeError, 'my ids');
  });
  test('item() needs exactly one element', () => {
    throwsWith(() => Tensor.zeros([2]).item(), ShapeError, 'item', '[2]');
    assert.equal(Tensor.full([1, 1], 3).item(), 3);
  });
});

describeEachBackend('shape and dtype errors name the op and the shapes', () => {
  const f = (...shape: number[]): Tensor => Tensor.zeros(shape);
  test('reshape, including -1 inference', () => {
    const x = Tensor.from(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    assert.deepEqual(reshape(x, [-1, 4]).shape, [6, 4]);
    assert.deepEqual(reshape(x, [4, -1]).shape, [4, 6]);
    assert.deepEqual(reshape(x, [2, -1, 2]).shape, [2, 6, 2]);
    assert.deepEqual(reshape(x, [-1]).shape, [24]);
    assert.deepEqual(reshape(f(0, 3), [-1, 3]).shape, [0, 3]);
    assert.deepEqual([...reshape(x, [6, 4]).data], [...x.data]);
    throwsWith(() => reshape(x, [5, -1]), ShapeError, 'reshape', '[5, -1]', '[2, 3, 4]');
    throwsWith(() => reshape(x, [5, 5]), ShapeError, 'reshape', '[2, 3, 4]', '[5, 5]');
    throwsWith(() => reshape(x, [-1, -1]), ShapeError, 'reshape', '[-1, -1]');
  });
  test('matmul and linear', () => {
    throwsWith(() => matmul(f(2, 3), f(4, 5)), ShapeError, 'matmul', '[2, 3]', '[4, 5]');
    throwsWith(() => matmul(f(2, 3), f(2, 5), { transB: true }), ShapeError, 'matmul', '[2, 3]', '[2, 5]');
    throwsWith(() => matmul(f(2, 3, 4), f(3, 4, 5)), ShapeError, 'matmul', '[2, 3, 4]', '[3, 4, 5]');
    throwsWith(() => matmul(f(3), f(3, 4)), ShapeError, 'matmul', '[3]', '[3, 4]');
    throwsWith(() => linear(f(2, 3), f(4, 5)), ShapeError, 'linear', '[2, 3]', '[4, 5]');
    throwsWith(() => linear(f(2, 5), f(4, 5), f(3)), ShapeError, 'linear', '[3]', '[4, 5]');
    throwsWith(() => matmul(Tensor.int([[1]]), f(1, 1)), DTypeError, 'matmul');
  });
  test('elementwise broadcasting', () => {
    throwsWith(() => add(f(2, 3), f(4)), ShapeError, 'add', '[2, 3]', '[4]');
    throwsWith(() => mul(f(2, 3), f(3, 2)), ShapeError, 'mul', '[2, 3]', '[3, 2]');
    throwsWith(() => add(f(2, 3), f(2, 1)), ShapeError, 'add');
  });
  test('narrow, transpose, softmax', () => {
    throwsWith(() => narrow(f(2, 3), 1, 2, 2), ShapeError, 'narrow', '[2, 3]');
    throwsWith(() => narrow(f(2, 3), 2, 0, 1), ShapeError, 'narrow', '[2, 3]');
    throwsWith(() => transpose(f(3)), ShapeError, 'transpose', '[3]');
    throwsWith(() => softmax(Tensor.from([1], [])), ShapeError, 'softmax');
  });
  test('embedding, cross-entropy, layerNorm, attention', () => {
    throwsWith(() => embedding(Tensor.int([0, 5]), f(5, 2)), ShapeError, 'embedding', '5');
    throwsWith(() => embedding(Tensor.int([-1]), f(5, 2)), ShapeError, 'embedding', '-1');
    throwsWith(() => embedding(Tensor.from([0]), f(5, 2)), DTypeError, 'embedding');
    throwsWith(() => embedding(Tensor.int([0]), f(10)), ShapeError, 'embedding', '[10]');
    throwsWith(() => crossEntropy(f(2, 3, 5), Tensor.int([0, 1])), ShapeError, 'crossEntropy', '[2, 3, 5]', '[2]');
    throwsWith(() => crossEntropy(f(2, 5), Tensor.from([0, 1])), DTypeError, 'crossEntropy');
    throwsWith(() => crossEntropy(f(2, 5), Tensor.int([0, 5])), ShapeError, 'crossEntropy', '5');
    throwsWith(() => crossEntropy(f(2, 5), Tensor.int([0, -3])), ShapeError, 'crossEntropy', '-3');
    throwsWith(() => maskedCrossEntropy(f(2, 3, 5), Tensor.int([[0, 1, 2], [0, 1, 2]]), Tensor.int([1, 1, 1])), ShapeError,
      'maskedCrossEntropy', '[3]', '[2, 3]');
    throwsWith(() => layerNorm(f(2, 5), f(4), f(5)), ShapeError, 'layerNorm', '[2, 5]', '[4]');
    throwsWith(() => causalAttention(f(1, 2, 4), f(1, 3, 4), f(1, 2, 4), 2), ShapeError, 'causalAttention', '[1, 2, 4]', '[1, 3, 4]');
    throwsWith(() => causalAttention(f(1, 2, 6), f(1, 2, 6), f(1, 2, 6), 4), ShapeError, 'causalAttention', '6', '4');
    throwsWith(() => causalAttention(f(1, 2, 4), f(1, 2, 4), f(1, 2, 4), 2, Tensor.int([1, 1])), ShapeError, 'causalAttention', '[2]');
  });
});

describeEachBackend('autograd bookkeeping', () => {
  const leaf = (values: number[]): Tensor => Tensor.from(values, undefined, true);
  test('backward preconditions are GradErrors (or a ShapeError for a wrong-sized gradient)', () => {
    const x = leaf([1, 2, 3]);
    throwsWith(() => scale(x, 2).backward(), GradError, 'non-scalar');
    throwsWith(() => Tensor.from([1]).backward(), GradError);
    throwsWith(() => scale(x, 2).backward(Tensor.zeros([2])), ShapeError, '[2]', '[3]');
    const y = sum(scale(x, 2));
    y.backward();
    throwsWith(() => y.backward(), GradError, 'freed');
    throwsWith(() => scale(x, 2).requiresGrad_(), GradError);
  });
  test('a second backward into a part of the graph that was already freed is a GradError', () => {
    // Like PyTorch's "Trying to backward through the graph a second time": silently stopping at
    // the freed tensor would leave x without the second loss's gradient.
    const x = leaf([1, 2, 3]);
    const hid = mul(x, x);
    sum(hid).backward();
    const second = sum(scale(hid, 2));
    throwsWith(() => second.backward(), GradError, 'freed');
    assertClose(x.grad!, Tensor.from([2, 4, 6]), {}, 'the failed backward must not have touched x.grad');
  });
  test('backward with an explicit gradient on a non-scalar', () => {
    const x = leaf([1, 2, 3]);
    scale(x, 2).backward(Tensor.from([1, 10, 100]));
    assertClose(x.grad!, Tensor.from([2, 20, 200]));
  });
  test('leaf gradients accumulate across backward calls; grad = null clears', () => {
    const x = leaf([1, -2, 3]);
    sum(mul(x, x)).backward();
    assertClose(x.grad!, Tensor.from([2, -4, 6]));
    sum(scale(x, 5)).backward();
    assertClose(x.grad!, Tensor.from([7, 1, 11]));
    x.grad = null;
    assert.equal(x.grad, null);
    sum(scale(x, 5)).backward();
    assertClose(x.grad!, Tensor.from([5, 5, 5]), {}, 'after clearing, a backward starts from zero');
    x.grad = Tensor.from([1, 1, 1]);
    sum(x).backward();
    assertClose(x.grad!, Tensor.from([2, 2, 2]), {}, 'an assigned gradient is accumulated into');
    throwsWith(() => { x.grad = Tensor.zeros([2]); }, ShapeError, '[2]', '[3]');
  });
  test('noGrad records nothing and restores the previous mode, even on throw', () => {
    const x = leaf([1, 2]);
    const before = liveGraphNodes();
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return scale(mul(x, x), 3);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(liveGraphNodes(), before);
    assert.equal(isGradEnabled(), true);
    assert.throws(() => noGrad(() => { throw new Error('boom'); }));
    assert.equal(isGradEnabled(), true);
    noGrad(() => noGrad(() => 0));
    assert.equal(isGradEnabled(), true);
    assert.equal(scale(Tensor.from([1]), 2).requiresGrad, false, 'no input needs grad: nothing recorded');
  });
  test('liveGraphNodes returns to its previous value after backward', () => {
    const before = liveGraphNodes();
    const x = Tensor.randn([2, 3, 4], new Rng(1), true);
    const w = Tensor.randn([5, 4], new Rng(2), true);
    const h = linear(x, w, Tensor.zeros([5], true));
    const loss = crossEntropy(reshape(add(h, reshape(narrow(h, 0, 0, 1), [3, 5])), [-1, 5]), Tensor.int([0, 1, 2, 3, 4, 0]));
    assert.ok(liveGraphNodes() > before);
    loss.backward();
    assert.equal(liveGraphNodes(), before);
  });
  test('retainsGrad keeps an intermediate gradient; detach cuts the graph', () => {
    const x = leaf([1, 2]);
    const hid = scale(x, 3);
    hid.retainsGrad = true;
    sum(mul(hid, hid)).backward();
    assertClose(hid.grad!, Tensor.from([6, 12]));
    assertClose(x.grad!, Tensor.from([18, 36]));
    const d = scale(x, 2).detach();
    assert.equal(d.requiresGrad, false);
  });
});

describe('Rng', () => {
  const take = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.nextUint32());
  test('same seed, same stream; different seeds differ', () => {
    assert.deepEqual(take(new Rng(7), 20), take(new Rng(7), 20));
    assert.notDeepEqual(take(new Rng(7), 20), take(new Rng(8), 20));
    assert.deepEqual(Tensor.randn([5], new Rng(3)).data, Tensor.randn([5], new Rng(3)).data);
  });
  test('fork gives a different, reproducible stream', () => {
    const r = new Rng(7);
    assert.notDeepEqual(take(r.fork('dropout'), 20), take(new Rng(7), 20));
    assert.notDeepEqual(take(r.fork('dropout'), 20), take(r.fork('data'), 20));
    assert.deepEqual(take(new Rng(7).fork('dropout'), 20), take(new Rng(7).fork('dropout'), 20));
  });
  test('getState/setState resume the exact stream, including a pending normal', () => {
    const r = new Rng(11);
    take(r, 3);
    r.normal(); // leaves the second Box-Muller output pending
    const state = r.getState();
    const expected = [r.normal(), r.normal(), r.uniform(), r.nextUint32()];
    const s = new Rng(999);
    s.setState(JSON.parse(JSON.stringify(state)) as number[]);
    assert.deepEqual([s.normal(), s.normal(), s.uniform(), s.nextUint32()], expected);
    assert.throws(() => s.setState([1, 2, 3]), /Rng state must have 5 numbers/);
  });
  test('uniform in [0, 1); int in range; shuffle is a permutation', () => {
    const r = new Rng(5);
    for (let i = 0; i < 1000; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1 && Math.fround(u) === u);
      const k = r.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    }
    assert.throws(() => r.int(0), /Rng.int needs 0 < n/);
    const items = Array.from({ length: 50 }, (_, i) => i);
    r.shuffle(items);
    assert.notDeepEqual(items, Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual([...items].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  });
  test('normal has mean about 0 and variance about 1 over 1e5 samples', () => {
    const r = new Rng(123);
    const n = 100000;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      ss += z * z;
    }
    const mean = s / n;
    const variance = ss / n - mean * mean;
    // standard errors: 1/sqrt(n) = 3.2e-3 for the mean, sqrt(2/n) = 4.5e-3 for the variance
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.03, `variance ${variance}`);
    const u = new Rng(124);
    let us = 0;
    for (let i = 0; i < n; i++) us += u.uniform();
    assert.ok(Math.abs(us / n - 0.5) < 0.01, `uniform mean ${us / n}`);
  });
  test('manualSeed re-seeds the default generator', () => {
    const a = take(manualSeed(5), 5);
    const b = take(manualSeed(5), 5);
    assert.deepEqual(a, b);
    assert.equal(defaultRng().seed, 5);
    manualSeed(42);
  });
});

describeEachBackend('Rng.fillNormal', () => {
  test('is mean + std * normal(), in order, a pending normal used first and an odd last one kept', () => {
    for (const [n, pending] of [[0, false], [1, false], [2, true], [7, false], [7, true], [1000, true], [1001, false]] as const) {
      const a = new Rng(77);
      const b = new Rng(77);
      if (pending) {
        a.normal();
        b.normal();
      }
      const got = a.fillNormal(new Float32Array(n), 0.5, 2);
      const want = Float32Array.from({ length: n }, () => 0.5 + 2 * b.normal());
      assert.deepEqual(got, want, `n=${n} pending=${pending}`);
      assert.deepEqual(a.getState(), b.getState(), `n=${n} pending=${pending}: state after`);
      assert.equal(a.normal(), b.normal());
    }
  });
});

describe('normal sampling', () => {
  test('Box-Muller from basic operations agrees with Math.log/sin/cos to ~1e-9 relative', () => {
    // The reference computes ln, sin and cos from tables and short series; the error is a few
    // double ulps (more, relatively, for u1 next to 1, where ln u1 is tiny): far below float32.
    const r = new Rng(5);
    const pair = new Float64Array(2);
    const k1s = [1, 2, 3, 4095, 4096, 1 << 23, (1 << 24) - 2, (1 << 24) - 1];
    const k2s = [0, 1, 2047, 2048, 1 << 22, (1 << 22) - 1, 1 << 23, 3 << 22, (1 << 24) - 1];
    for (let i = 0; i < 20000; i++) {
      k1s.push(1 + (r.nextUint32() >>> 8) % ((1 << 24) - 1));
      k2s.push(r.nextUint32() >>> 8);
    }
    for (let i = 0; i < k1s.length; i++) {
      const k1 = k1s[i]!;
      const k2 = k2s[i % k2s.length]!;
      boxMuller(k1, k2, pair);
      const rad = Math.sqrt(-2 * Math.log(k1 / 16777216));
      const want = [rad * Math.cos((2 * Math.PI * k2) / 16777216), rad * Math.sin((2 * Math.PI * k2) / 16777216)];
      for (let j = 0; j < 2; j++) {
        const err = Math.abs(pair[j]! - want[j]!) / rad; // worst seen: 3e-10, at k1 = 2^24 - 1
        assert.ok(err < 1e-9, `k1=${k1} k2=${k2}: ${pair[j]} vs ${want[j]}`);
      }
    }
  });
});
