/**
 * Forward values of the softmax family, the losses, layer norm, GELU and erf, against hand values
 * and against naive float64 formulas written out here (never the kernel under test), on every
 * backend. Hand values come from Python's math module (math.erf, math.log, math.exp).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { erf } from '../src/backend/reference/gelu.js';
import { crossEntropy, gelu, layerNorm, logSoftmax, maskedCrossEntropy, narrow, softmax } from '../src/ops/index.js';
import { ConfigError } from '../src/tensor/errors.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose, randn } from './helpers/gradcheck.js';

// float32 outputs against float64 formulas on O(1) values: a few float32 ulps.
const F32 = { rtol: 1e-5, atol: 1e-6 };

/** Naive float64 softmax over rows of length C. */
function naiveSoftmax(x: ArrayLike<number>, C: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += C) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, x[o + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[o + c]! - max);
    for (let c = 0; c < C; c++) y[o + c] = Math.exp(x[o + c]! - max) / s;
  }
  return y;
}

/** Naive per-row cross-entropy, -log softmax(row)[t], in float64. */
function naiveCe(logits: ArrayLike<number>, targets: ArrayLike<number>, V: number): Float64Array {
  const p = naiveSoftmax(logits, V);
  return Float64Array.from({ length: targets.length }, (_, r) => -Math.log(p[r * V + targets[r]!]!));
}

describeEachBackend('softmax and logSoftmax values', () => {
  const rng = new Rng(21);
  test('softmax rows sum to 1 and match the naive formula', () => {
    for (const shape of [[1, 1], [3, 5], [2, 3, 7], [13], [4, 1]]) {
      const x = randn(shape, rng);
      const y = softmax(x);
      const C = shape[shape.length - 1]!;
      assertClose(y.data, naiveSoftmax(x.data, C), F32, `[${shape}]`);
      for (let o = 0; o < y.size; o += C) {
        let s = 0;
        for (let c = 0; c < C; c++) s += y.data[o + c]!;
        assert.ok(Math.abs(s - 1) < 1e-6, `row sum ${s}`);
      }
    }
  });
  test('softmax is stable for huge logits (±1e4) and -Infinity', () => {
    const x = Tensor.from([[1e4, 1e4 - 1, 1e4 - 3], [-1e4, -1e4 + 2, -1e4], [1e4, -1e4, 0], [0, -Infinity, 1]]);
    const y = softmax(x);
    assert.ok(y.data.every(Number.isFinite));
    // shift invariance: the same as softmax of the small offsets
    assertClose(y.data.subarray(0, 3), naiveSoftmax([0, -1, -3], 3), F32);
    assertClose(y.data.subarray(3, 6), naiveSoftmax([0, 2, 0], 3), F32);
    assertClose(y.data.subarray(6, 9), [1, 0, 0], F32);
    assertClose(y.data.subarray(9, 12), naiveSoftmax([0, -Infinity, 1], 3), F32);
    assert.equal(y.data[10], 0);
  });
  test('logSoftmax = log(softmax), finite for huge logits', () => {
    for (const shape of [[1, 1], [3, 5], [2, 3, 7]]) {
      const x = randn(shape, rng, 3);
      const C = shape[shape.length - 1]!;
      assertClose(logSoftmax(x).data, naiveSoftmax(x.data, C).map(Math.log), F32, `[${shape}]`);
    }
    const big = logSoftmax(Tensor.from([[1e4, 1e4 - 1], [-1e4, 1e4]]));
    // log(1 / (1 + e^-1)) = -0.31326168751822286; the second row underflows softmax, not logSoftmax
    assertClose(big.data, [-0.31326168751822286, -1.3132616875182228, -2e4, 0], F32);
  });
  test('empty rows give an empty result', () => {
    assert.deepEqual(softmax(Tensor.zeros([0, 4])).shape, [0, 4]);
    assert.deepEqual(logSoftmax(Tensor.zeros([3, 0])).shape, [3, 0]);
  });
});

describeEachBackend('crossEntropy values (PyTorch semantics)', () => {
  const rng = new Rng(22);
  test('hand examples', () => {
    assertClose([crossEntropy(Tensor.from([[0, 0]]), Tensor.int([0])).item()], [Math.LN2], F32);
    // log(e + e^2 + e^3) - 3
    assertClose([crossEntropy(Tensor.from([[1, 2, 3]]), Tensor.int([2])).item()], [0.4076059644443806], F32);
    assertClose([crossEntropy(Tensor.from([[1, 2, 3]]), Tensor.int([0])).item()], [2.4076059644443806], F32);
    assertClose([crossEntropy(Tensor.from([[5]]), Tensor.int([0])).item()], [0], F32);
  });
  test('reductions none / sum / mean against the naive formula', () => {
    for (const [lead, V] of [[[5], 7], [[2, 3], 13], [[1], 1]] as [number[], number][]) {
      const logits = randn([...lead, V], rng, 2);
      const n = lead.reduce((a, b) => a * b, 1);
      const targets = new Tensor(Int32Array.from({ length: n }, () => rng.int(V)), lead);
      const ce = naiveCe(logits.data, targets.data, V);
      const none = crossEntropy(logits, targets, { reduction: 'none' });
      assert.deepEqual(none.shape, lead);
      assertClose(none.data, ce, F32);
      const total = ce.reduce((a, b) => a + b, 0);
      assertClose([crossEntropy(logits, targets, { reduction: 'sum' }).item()], [total], F32);
      assertClose([crossEntropy(logits, targets).item()], [total / n], F32);
    }
  });
  test('ignoreIndex: mean over non-ignored rows, ignored rows 0 in none', () => {
    const logits = randn([2, 3, 5], rng);
    const targets = Tensor.int([[2, -100, 0], [-100, 4, 4]]);
    const kept = [0, 2, 4, 5];
    const ce = naiveCe(logits.data, targets.data.map((t) => (t < 0 ? 0 : t)), 5);
    const keptSum = kept.reduce((a, r) => a + ce[r]!, 0);
    assertClose([crossEntropy(logits, targets).item()], [keptSum / 4], F32);
    assertClose([crossEntropy(logits, targets, { reduction: 'sum' }).item()], [keptSum], F32);
    const none = crossEntropy(logits, targets, { reduction: 'none' }).data;
    assertClose(none, ce.map((v, r) => (kept.includes(r) ? v : 0)), F32);
    // a custom ignoreIndex that is a valid class
    const t2 = Tensor.int([[2, 1, 0], [1, 4, 4]]);
    const ce2 = naiveCe(logits.data, t2.data, 5);
    assertClose([crossEntropy(logits, t2, { ignoreIndex: 1 }).item()], [kept.reduce((a, r) => a + ce2[r]!, 0) / 4], F32);
  });
  test('every target ignored: mean is NaN (0/0, as PyTorch), sum is 0', () => {
    const logits = randn([2, 5], rng);
    const targets = Tensor.int([-100, -100]);
    assert.ok(Number.isNaN(crossEntropy(logits, targets).item()));
    assert.equal(crossEntropy(logits, targets, { reduction: 'sum' }).item(), 0);
  });
  test('stable for huge logits', () => {
    const loss = crossEntropy(Tensor.from([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4]]), Tensor.int([1, 2]), { reduction: 'none' });
    assertClose(loss.data, [1.3132616875182228, Math.log(3)], F32);
  });
});

describeEachBackend('maskedCrossEntropy values', () => {
  const rng = new Rng(23);
  const naiveMasked = (logits: Tensor, targets: Tensor, mask: number[], V: number): number => {
    const safe = targets.data.map((t, r) => (mask[r] ? t : 0));
    const ce = naiveCe(logits.data, safe, V);
    let num = 0;
    let den = 0;
    for (let r = 0; r < mask.length; r++) {
      if (mask[r] === 0) continue;
      num += ce[r]! * mask[r]!;
      den += mask[r]!;
    }
    return num / den;
  };
  test('equals sum(ce * mask) / sum(mask) for int and float masks', () => {
    const logits = randn([2, 5, 7], rng, 2);
    const targets = new Tensor(Int32Array.from({ length: 10 }, () => rng.int(7)), [2, 5]);
    for (const m of [[1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]) {
      assertClose([maskedCrossEntropy(logits, targets, new Tensor(Int32Array.from(m), [2, 5])).item()],
        [naiveMasked(logits, targets, m, 7)], F32, `mask ${m}`);
    }
    const fm = [0.5, 1, 0, 2, 0, 1, 0.25, 0, 0, 1];
    assertClose([maskedCrossEntropy(logits, targets, new Tensor(Float32Array.from(fm), [2, 5])).item()],
      [naiveMasked(logits, targets, fm, 7)], F32, 'fractional mask');
  });
  test('all-ones mask equals the plain mean cross-entropy', () => {
    const logits = randn([3, 4, 6], rng);
    const targets = new Tensor(Int32Array.from({ length: 12 }, () => rng.int(6)), [3, 4]);
    assertClose([maskedCrossEntropy(logits, targets, Tensor.full([3, 4], 1)).item()], [crossEntropy(logits, targets).item()], F32);
  });
  test('divisor: micro-batch losses over the whole batch\'s token count add up to the whole loss', () => {
    const logits = randn([4, 3, 5], rng);
    const targets = new Tensor(Int32Array.from({ length: 12 }, () => rng.int(5)), [4, 3]);
    const m = [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0];
    const mask = new Tensor(Int32Array.from(m), [4, 3]);
    const whole = maskedCrossEntropy(logits, targets, mask).item();
    const half = (i: number): number => maskedCrossEntropy(narrow(logits, 0, 2 * i, 2), narrow(targets, 0, 2 * i, 2),
      narrow(mask, 0, 2 * i, 2), { divisor: 8 }).item();
    assertClose([half(0) + half(1)], [whole], F32);
    assertClose([maskedCrossEntropy(logits, targets, mask, { divisor: 2 }).item()], [whole * 4], F32);
    assert.throws(() => maskedCrossEntropy(logits, targets, mask, { divisor: 0 }), ConfigError);
  });
  test('all-zero mask gives 0, not NaN', () => {
    const loss = maskedCrossEntropy(randn([2, 3, 4], rng), Tensor.int([[0, 1, 2], [3, 0, 1]]), Tensor.zeros([2, 3]));
    assert.equal(loss.item(), 0);
  });
});

describeEachBackend('layerNorm values', () => {
  const rng = new Rng(24);
  test('without affine, rows have mean 0 and (biased) variance v/(v+eps)', () => {
    const x = randn([4, 13], rng, 3);
    const y = layerNorm(x, Tensor.ones([13]), Tensor.zeros([13])).data;
    for (let r = 0; r < 4; r++) {
      const row = Array.from(y.subarray(r * 13, r * 13 + 13));
      const xr = Array.from(x.data.subarray(r * 13, r * 13 + 13));
      const mu = row.reduce((a, b) => a + b, 0) / 13;
      const xmu = xr.reduce((a, b) => a + b, 0) / 13;
      const xv = xr.reduce((a, b) => a + (b - xmu) ** 2, 0) / 13;
      const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / 13;
      assert.ok(Math.abs(mu) < 1e-6, `row ${r} mean ${mu}`);
      assertClose([v], [xv / (xv + 1e-5)], { rtol: 1e-5, atol: 0 }, `row ${r} variance`);
    }
  });
  test('affine output matches the naive formula; eps is honoured', () => {
    for (const [shape, eps] of [[[3, 5], 1e-5], [[2, 3, 7], 1e-5], [[1, 1], 1e-5], [[2, 4], 0.5]] as [number[], number][]) {
      const C = shape[shape.length - 1]!;
      const x = randn(shape, rng);
      const g = randn([C], rng);
      const b = randn([C], rng);
      const want = new Float64Array(x.size);
      for (let o = 0; o < x.size; o += C) {
        let mu = 0;
        for (let c = 0; c < C; c++) mu += x.data[o + c]! / C;
        let v = 0;
        for (let c = 0; c < C; c++) v += (x.data[o + c]! - mu) ** 2 / C;
        for (let c = 0; c < C; c++) want[o + c] = ((x.data[o + c]! - mu) / Math.sqrt(v + eps)) * g.data[c]! + b.data[c]!;
      }
      assertClose(layerNorm(x, g, b, eps).data, want, { rtol: 1e-5, atol: 1e-5 }, `[${shape}] eps ${eps}`);
    }
  });
  test('a constant row gives beta; a large offset does not lose precision', () => {
    const b = Tensor.from([1, 2, 3]);
    assertClose(layerNorm(Tensor.from([[7, 7, 7]]), Tensor.ones([3]), b).data, [1, 2, 3], F32);
    const y = layerNorm(Tensor.from([[1000, 1001, 1002]]), Tensor.ones([3]), Tensor.zeros([3])).data;
    const s = Math.sqrt(2 / 3 + 1e-5);
    assertClose(y, [-1 / s, 0, 1 / s], { rtol: 1e-5, atol: 1e-6 });
  });
});

describeEachBackend('gelu values', () => {
  test('known values (exact erf form, PyTorch\'s default)', () => {
    const x = [1, -1, 0, 0.5, -0.5, 2, -3, 3, 10, -10];
    const want = [0.8413447460685429, -0.15865525393145707, 0, 0.34573123063700656, -0.15426876936299344,
      1.9544997361036416, -0.00404969409489031, 2.99595030590511, 10, -7.619853024160525e-23];
    assertClose(gelu(Tensor.from(x)).data, want, { rtol: 1e-6, atol: 1e-7 });
    assert.equal(gelu(Tensor.from([0])).data[0], 0);
  });
});

describe('erf (reference helper used by gelu)', () => {
  test('matches math.erf to 1e-14', () => {
    const table: [number, number][] = [
      [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [1.5, 0.9661051464753108],
      [2, 0.9953222650189527], [2.4, 0.999311486103355], [2.5, 0.999593047982555], [2.6, 0.9997639655834707],
      [3, 0.9999779095030014], [4, 0.9999999845827421], [5, 0.9999999999984626], [-0.3, -0.3286267594591274],
      [-2.7, -0.9998656672600594],
    ];
    for (const [x, want] of table) assert.ok(Math.abs(erf(x) - want) < 1e-14, `erf(${x}) = ${erf(x)}, want ${want}`);
  });
  test('odd, erf(0) = 0, saturates at ±1', () => {
    assert.equal(erf(0), 0);
    for (const x of [0.3, 1.7, 2.5, 3.3, 6.5]) assert.equal(erf(-x), -erf(x));
    assert.equal(erf(Infinity), 1);
    assert.equal(erf(-Infinity), -1);
    assert.ok(Number.isNaN(erf(Number.NaN)));
  });
});
