/**
 * Finite-difference gradient checks for the softmax family, the fused losses, layer norm, GELU,
 * dropout and causal attention, on every backend; plus dropout's mask statistics. Masks cover the
 * awkward cases: all zero, a batch row that is padding except its first token, mixed lengths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  causalAttention, crossEntropy, dropout, gelu, layerNorm, logSoftmax, maskedCrossEntropy, softmax,
} from '../src/ops/index.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { gradcheck, randnLeaf } from './helpers/gradcheck.js';

const ROW_SHAPES = [[1], [1, 1], [3, 5], [2, 3, 7], [13], [4, 1]];

/** Random int32 targets in [0, V) of the given shape. */
function targetsFor(shape: number[], V: number, rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Int32Array.from({ length: n }, () => rng.int(V)), shape);
}

describeEachBackend('softmax family gradients', () => {
  const rng = new Rng(11);
  test('softmax over the last dimension', () => {
    for (const shape of ROW_SHAPES) gradcheck(([x]) => softmax(x!), [randnLeaf(shape, rng, 2)], {}, `[${shape}]`);
    gradcheck(([x]) => softmax(x!), [randnLeaf([0, 5], rng)], {}, 'empty rows');
  });
  test('logSoftmax over the last dimension', () => {
    for (const shape of ROW_SHAPES) gradcheck(([x]) => logSoftmax(x!), [randnLeaf(shape, rng, 2)], {}, `[${shape}]`);
    gradcheck(([x]) => logSoftmax(x!), [randnLeaf([0, 5], rng)], {}, 'empty rows');
  });
  test('softmax with large, shifted logits keeps exact gradients', () => {
    // Rows around 50: the max shift is what keeps exp finite; the gradient is shift invariant.
    const x = randnLeaf([3, 5], rng, 2);
    const d = x.f32();
    for (let i = 0; i < d.length; i++) d[i] = d[i]! + 50;
    // h is relative to values near 50, where float32 spacing is 4e-6: keep 1e-2.
    gradcheck(([t]) => softmax(t!), [x]);
  });
});

describeEachBackend('cross-entropy gradients', () => {
  const rng = new Rng(12);
  const cases: [number[], number][] = [[[1], 1], [[1], 3], [[5], 7], [[2, 3], 13], [[4], 2]];
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    test(`reduction ${reduction}`, () => {
      for (const [lead, V] of cases) {
        const targets = targetsFor(lead, V, rng);
        gradcheck(([l]) => crossEntropy(l!, targets, { reduction }), [randnLeaf([...lead, V], rng, 2)], {}, `logits [${lead},${V}]`);
      }
    });
  }
  test('ignoreIndex: default -100 and a custom index, every reduction', () => {
    const dflt = Tensor.int([[2, -100, 0], [-100, 4, 4]]);
    const custom = Tensor.int([[2, 0, 1], [0, 4, 4]]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck(([l]) => crossEntropy(l!, dflt, { reduction }), [randnLeaf([2, 3, 5], rng)], {}, `default, ${reduction}`);
      gradcheck(([l]) => crossEntropy(l!, custom, { reduction, ignoreIndex: 0 }), [randnLeaf([2, 3, 5], rng)], {}, `custom, ${reduction}`);
    }
  });
  test('every target ignored: sum gives zero gradient', () => {
    const { analytic } = gradcheck(([l]) => crossEntropy(l!, Tensor.int([-100, -100]), { reduction: 'sum' }), [randnLeaf([2, 5], rng)]);
    assert.ok(analytic[0]!.every((v) => v === 0));
  });
});

describeEachBackend('maskedCrossEntropy gradients', () => {
  const rng = new Rng(13);
  const masks: [string, number[][]][] = [
    ['mixed lengths', [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]],
    ['first token only in one row', [[1, 0, 0, 0, 0], [1, 1, 1, 0, 0]]],
    ['all ones', [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]],
    ['left padding', [[0, 0, 1, 1, 1], [0, 1, 1, 1, 1]]],
  ];
  test('int32 masks', () => {
    for (const [what, m] of masks) {
      const targets = targetsFor([2, 5], 7, rng);
      gradcheck(([l]) => maskedCrossEntropy(l!, targets, Tensor.int(m)), [randnLeaf([2, 5, 7], rng, 2)], {}, what);
    }
  });
  test('float32 masks, including fractional weights', () => {
    const targets = targetsFor([2, 5], 7, rng);
    gradcheck(([l]) => maskedCrossEntropy(l!, targets, Tensor.from(masks[0]![1])), [randnLeaf([2, 5, 7], rng)]);
    gradcheck(([l]) => maskedCrossEntropy(l!, targets, Tensor.from([[0.5, 1, 0, 2, 0], [1, 0.25, 0, 0, 1]])), [randnLeaf([2, 5, 7], rng)]);
  });
  test('all-zero mask: loss 0 and zero gradient (documented deviation from PyTorch\'s NaN)', () => {
    const targets = targetsFor([2, 5], 7, rng);
    const mask = Tensor.int([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
    const { analytic } = gradcheck(([l]) => maskedCrossEntropy(l!, targets, mask), [randnLeaf([2, 5, 7], rng)]);
    assert.ok(analytic[0]!.every((v) => v === 0));
    assert.equal(maskedCrossEntropy(Tensor.randn([2, 5, 7], rng), targets, mask).item(), 0);
  });
  test('divisor option (micro-batching): gradient of the masked sum over a fixed divisor', () => {
    const targets = targetsFor([2, 5], 7, rng);
    const mask = Tensor.int(masks[0]![1]);
    gradcheck(([l]) => maskedCrossEntropy(l!, targets, mask, { divisor: 13 }), [randnLeaf([2, 5, 7], rng)]);
    gradcheck(([l]) => maskedCrossEntropy(l!, targets, Tensor.zeros([2, 5]), { divisor: 3 }), [randnLeaf([2, 5, 7], rng)], {}, 'all-zero mask');
  });
  test('padded positions may hold any target, even out of range', () => {
    const targets = Tensor.int([[1, 2, -1, 99], [0, -100, 6, 3]]);
    const mask = Tensor.int([[1, 1, 0, 0], [1, 0, 1, 1]]);
    gradcheck(([l]) => maskedCrossEntropy(l!, targets, mask), [randnLeaf([2, 4, 7], rng)]);
  });
});

describeEachBackend('layerNorm and gelu gradients', () => {
  const rng = new Rng(14);
  test('layerNorm over the last dimension, all three inputs', () => {
    for (const shape of [[1, 1], [3, 5], [2, 3, 7], [4, 13], [2, 2]]) {
      const C = shape[shape.length - 1]!;
      gradcheck(([x, g, b]) => layerNorm(x!, g!, b!), [randnLeaf(shape, rng), randnLeaf([C], rng), randnLeaf([C], rng)],
        {}, `[${shape}]`);
    }
    gradcheck(([x, g, b]) => layerNorm(x!, g!, b!), [randnLeaf([0, 5], rng), randnLeaf([5], rng), randnLeaf([5], rng)], {}, 'empty');
  });
  test('layerNorm with only some inputs needing a gradient', () => {
    const x = Tensor.randn([3, 5], rng);
    const g = Tensor.randn([5], rng);
    const b = Tensor.randn([5], rng);
    gradcheck(([t]) => layerNorm(t!, g, b), [randnLeaf([3, 5], rng)], {}, 'x only');
    gradcheck(([gg, bb]) => layerNorm(x, gg!, bb!), [randnLeaf([5], rng), randnLeaf([5], rng)], {}, 'gamma and beta only');
    gradcheck(([bb]) => layerNorm(x, g, bb!), [randnLeaf([5], rng)], {}, 'beta only');
  });
  test('gelu, over a wide range of inputs', () => {
    for (const shape of [[1], [1, 1], [3, 5], [2, 3, 7], [0]]) gradcheck(([x]) => gelu(x!), [randnLeaf(shape, rng, 2.5)], {}, `[${shape}]`);
  });
});

describeEachBackend('dropout', () => {
  test('survivors are scaled by 1/(1-p); the dropped fraction is near p', () => {
    const n = 100000;
    const x = Tensor.ones([n]);
    for (const p of [0.1, 0.5, 0.9]) {
      const y = dropout(x, p, true, new Rng(7));
      let dropped = 0;
      for (const v of y.data) {
        if (v === 0) dropped++;
        else assert.ok(Math.abs(v - 1 / (1 - p)) < 1e-6, `survivor ${v} should be ${1 / (1 - p)}`);
      }
      // binomial standard deviation sqrt(p(1-p)/n) <= 1.6e-3; allow about 6 sigma
      assert.ok(Math.abs(dropped / n - p) < 0.01, `p=${p}: dropped fraction ${dropped / n}`);
    }
  });
  test('same seed, same mask; different seed, different mask', () => {
    const x = Tensor.randn([7, 13], new Rng(1));
    const a = dropout(x, 0.3, true, new Rng(99));
    const b = dropout(x, 0.3, true, new Rng(99));
    const c = dropout(x, 0.3, true, new Rng(100));
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
  });
  test('identity in eval mode and for p = 0; zero for p = 1', () => {
    const x = randnLeaf([3, 5], new Rng(2));
    assert.equal(dropout(x, 0.5, false, new Rng(1)), x);
    assert.equal(dropout(x, 0, true, new Rng(1)), x);
    const y = dropout(x, 1, true, new Rng(1));
    assert.ok(y.data.every((v) => v === 0));
    assert.throws(() => dropout(x, 1.5, true), /dropout probability/);
    assert.throws(() => dropout(x, -0.1, true), /dropout probability/);
  });
  test('gradcheck with a fixed mask (the Rng re-created for each evaluation)', () => {
    const rng = new Rng(3);
    for (const [shape, p] of [[[3, 5], 0.5], [[2, 3, 7], 0.2], [[1, 1], 0.5], [[13], 0.9]] as [number[], number][]) {
      gradcheck(([x]) => dropout(x!, p, true, new Rng(42)), [randnLeaf(shape, rng)], {}, `[${shape}] p=${p}`);
    }
    gradcheck(([x]) => dropout(x!, 1, true, new Rng(42)), [randnLeaf([4], rng)], {}, 'p=1');
  });
  test('the dropout gradient is the mask times 1/(1-p)', () => {
    const x = Tensor.randn([5, 7], new Rng(4), true);
    const y = dropout(x, 0.4, true, new Rng(5));
    y.backward(Tensor.ones([5, 7]));
    const g = x.grad!.data;
    for (let i = 0; i < g.length; i++) {
      assert.ok(y.data[i] === 0 ? g[i] === 0 : Math.abs(g[i]! - 1 / 0.6) < 1e-6, `element ${i}`);
    }
  });
});

describeEachBackend('causalAttention gradients', () => {
  const rng = new Rng(15);
  const shapes: [number, number, number, number][] = [[1, 1, 1, 1], [2, 5, 6, 2], [1, 7, 5, 1], [2, 3, 8, 4], [1, 4, 3, 3]];
  test('no mask, several shapes and head counts', () => {
    for (const [B, T, C, H] of shapes) {
      gradcheck(([q, k, v]) => causalAttention(q!, k!, v!, H), [randnLeaf([B, T, C], rng), randnLeaf([B, T, C], rng), randnLeaf([B, T, C], rng)],
        {}, `B=${B} T=${T} C=${C} H=${H}`);
    }
  });
  const masks: [string, number[][]][] = [
    ['mixed lengths', [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]],
    ['one row padding except its first token', [[1, 0, 0, 0, 0], [1, 1, 1, 1, 0]]],
    ['a row that is entirely padding', [[0, 0, 0, 0, 0], [1, 1, 1, 0, 0]]],
    ['all padding', [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]],
    ['left padding and a hole', [[0, 0, 1, 1, 1], [1, 0, 1, 1, 0]]],
  ];
  for (const asFloat of [false, true]) {
    test(`padding masks (${asFloat ? 'float32' : 'int32'})`, () => {
      for (const [what, m] of masks) {
        const mask = asFloat ? Tensor.from(m) : Tensor.int(m);
        gradcheck(([q, k, v]) => causalAttention(q!, k!, v!, 2, mask), [randnLeaf([2, 5, 6], rng), randnLeaf([2, 5, 6], rng), randnLeaf([2, 5, 6], rng)],
          {}, what);
      }
    });
  }
  test('sequences longer than a kernel row block (8), head sizes off the vector width, masks with holes', () => {
    const mask = Tensor.int([
      Array.from({ length: 19 }, (_, t) => (t < 13 ? 1 : 0)), // right padding
      Array.from({ length: 19 }, (_, t) => (t >= 2 && t !== 9 && t !== 17 ? 1 : 0)), // left padding, holes
    ]);
    for (const [T, C, H, m] of [[19, 10, 2, null], [19, 10, 2, mask], [17, 17, 1, null]] as const) {
      gradcheck(([q, k, v]) => causalAttention(q!, k!, v!, H, m), [randnLeaf([m ? 2 : 1, T, C], rng), randnLeaf([m ? 2 : 1, T, C], rng),
        randnLeaf([m ? 2 : 1, T, C], rng)], {}, `T=${T} C=${C} H=${H} mask=${m !== null}`);
    }
  });
  test('q = k = v the same tensor (gradients accumulate into one buffer)', () => {
    const mask = Tensor.int([[1, 1, 1, 0], [1, 1, 1, 1]]);
    gradcheck(([x]) => causalAttention(x!, x!, x!, 2, mask), [randnLeaf([2, 4, 6], rng)]);
  });
  test('only one of q, k, v needs a gradient', () => {
    const [q, k, v] = [Tensor.randn([2, 4, 6], rng), Tensor.randn([2, 4, 6], rng), Tensor.randn([2, 4, 6], rng)];
    const mask = Tensor.int([[1, 1, 0, 0], [1, 1, 1, 1]]);
    gradcheck(([t]) => causalAttention(t!, k, v, 3, mask), [randnLeaf([2, 4, 6], rng)], {}, 'q');
    gradcheck(([t]) => causalAttention(q, t!, v, 3, mask), [randnLeaf([2, 4, 6], rng)], {}, 'k');
    gradcheck(([t]) => causalAttention(q, k, t!, 3, mask), [randnLeaf([2, 4, 6], rng)], {}, 'v');
  });
  test('no graph is recorded under noGrad', () => {
    const q = randnLeaf([1, 3, 4], rng);
    assert.equal(noGrad(() => causalAttention(q, q, q, 2)).requiresGrad, false);
  });
});
