/**
 * Tests of the test helpers: gradcheck must fail on a wrong gradient, on a backward that ignores
 * the accumulate flag, and on one that leaves a fresh (pooled) buffer unwritten; assertClose must
 * name the worst element. A checker that cannot fail proves nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accumulateGrad, record } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { assertClose, gradcheck, randnLeaf } from './helpers/gradcheck.js';

type Backward = (x: Float32Array, g: Float32Array, gx: Float32Array, acc: boolean) => void;

/** y = x^2 elementwise, with a pluggable backward. */
function square(x: Tensor, backward: Backward): Tensor {
  const X = x.f32();
  const out = new Tensor(X.map((v) => v * v), x.shape);
  return record(out, {
    op: 'square',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => backward(X, g, gx, acc)),
  });
}

const right: Backward = (x, g, gx, acc) => {
  for (let i = 0; i < x.length; i++) gx[i] = (acc ? gx[i]! : 0) + 2 * x[i]! * g[i]!;
};

describe('gradcheck catches broken backward passes', () => {
  const rng = new Rng(1);
  test('a correct backward passes', () => {
    gradcheck(([x]) => square(x!, right), [randnLeaf([3, 5], rng)]);
  });
  test('a wrong derivative fails the numeric comparison', () => {
    const wrong: Backward = (x, g, gx, acc) => {
      for (let i = 0; i < x.length; i++) gx[i] = (acc ? gx[i]! : 0) + 2.1 * x[i]! * g[i]!;
    };
    assert.throws(() => gradcheck(([x]) => square(x!, wrong), [randnLeaf([3, 5], rng)], { accumulate: false, nonLeaf: false }),
      /analytic vs numeric/);
  });
  test('ignoring the accumulate flag fails the accumulate check', () => {
    const overwrite: Backward = (x, g, gx) => {
      for (let i = 0; i < x.length; i++) gx[i] = 2 * x[i]! * g[i]!;
    };
    assert.throws(() => gradcheck(([x]) => square(x!, overwrite), [randnLeaf([4], rng)]), /double the gradient/);
  });
  test('always accumulating (into a fresh, garbage buffer) fails the non-leaf check', () => {
    const alwaysAdd: Backward = (x, g, gx) => {
      for (let i = 0; i < x.length; i++) gx[i] = gx[i]! + 2 * x[i]! * g[i]!;
    };
    assert.throws(() => gradcheck(([x]) => square(x!, alwaysAdd), [randnLeaf([4], rng)]), /non-leaf/);
  });
});

describe('assertClose', () => {
  test('passes within tolerance, fails naming the worst element', () => {
    assertClose([1, 2, 3], [1, 2, 3 + 1e-7]);
    assertClose(Tensor.from([[1, Number.NaN]]), Tensor.from([[1, Number.NaN]]));
    assert.throws(() => assertClose(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[1, 2], [3.5, 4.2]]), { rtol: 0, atol: 0.1 }),
      /2 of 4 elements.*worst at \[1, 0\].*actual 3, expected 3\.5/);
    assert.throws(() => assertClose([Number.NaN], [0]), /actual NaN/);
    assert.throws(() => assertClose([1, 2], [1]), /length/);
    assert.throws(() => assertClose(Tensor.zeros([2, 3]), Tensor.zeros([3, 2])), /shape/);
  });
});
