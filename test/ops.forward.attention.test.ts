/**
 * causalAttention forward values against a naive float64 softmax(q k^T / sqrt(D) + mask) v written
 * here, plus the two properties a language model relies on: causality (a future token never changes
 * an earlier output) and padding (a padded position's q, k, v never change a real output).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { causalAttention } from '../src/ops/index.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend } from './helpers/backends.js';
import { assertClose, randn } from './helpers/gradcheck.js';

const F32 = { rtol: 1e-5, atol: 1e-5 };

/**
 * Naive float64 attention. q, k, v (B,T,H*D); mask (B,T) or null. Scores get -Infinity where
 * j > i or key j is padding; a padded query, or a query that sees no key, outputs zeros.
 */
function naiveAttention(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ArrayLike<number> | null,
  B: number, T: number, H: number, D: number): Float64Array {
  const C = H * D;
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        if (mask && mask[b * T + i] === 0) continue;
        const s = new Float64Array(T);
        for (let j = 0; j < T; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[(b * T + i) * C + h * D + d]! * k[(b * T + j) * C + h * D + d]!;
          const hidden = j > i || (mask !== null && mask[b * T + j] === 0);
          s[j] = dot / Math.sqrt(D) + (hidden ? -Infinity : 0);
        }
        const max = Math.max(...s);
        if (max === -Infinity) continue;
        let z = 0;
        for (let j = 0; j < T; j++) z += Math.exp(s[j]! - max);
        for (let j = 0; j < T; j++) {
          const p = Math.exp(s[j]! - max) / z;
          for (let d = 0; d < D; d++) out[(b * T + i) * C + h * D + d] += p * v[(b * T + j) * C + h * D + d]!;
        }
      }
    }
  }
  return out;
}

const SHAPES: [number, number, number, number][] = [[1, 1, 1, 1], [2, 5, 6, 2], [1, 7, 5, 1], [2, 3, 8, 4], [1, 4, 3, 3]];
const MASKS: [string, number[]][] = [
  ['mixed lengths', [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]],
  ['one row padding except its first token', [1, 0, 0, 0, 0, 1, 1, 1, 1, 0]],
  ['a row entirely padding', [0, 0, 0, 0, 0, 1, 1, 1, 0, 0]],
  ['left padding and a hole', [0, 0, 1, 1, 1, 1, 0, 1, 1, 0]],
];

describeEachBackend('causalAttention values', () => {
  const rng = new Rng(41);
  test('no mask: equals the naive formula for several shapes and head counts', () => {
    for (const [B, T, C, H] of SHAPES) {
      const [q, k, v] = [randn([B, T, C], rng), randn([B, T, C], rng), randn([B, T, C], rng)];
      const y = causalAttention(q, k, v, H);
      assert.deepEqual(y.shape, [B, T, C]);
      assertClose(y.data, naiveAttention(q.data, k.data, v.data, null, B, T, H, C / H), F32, `B=${B} T=${T} C=${C} H=${H}`);
    }
  });
  test('padding masks (int32 and float32): equals the naive formula', () => {
    for (const [what, m] of MASKS) {
      const [q, k, v] = [randn([2, 5, 6], rng), randn([2, 5, 6], rng), randn([2, 5, 6], rng)];
      const want = naiveAttention(q.data, k.data, v.data, m, 2, 5, 2, 3);
      assertClose(causalAttention(q, k, v, 2, new Tensor(Int32Array.from(m), [2, 5])).data, want, F32, `${what}, int32`);
      assertClose(causalAttention(q, k, v, 2, new Tensor(Float32Array.from(m), [2, 5])).data, want, F32, `${what}, float32`);
    }
  });
  test('an all-ones mask is the same as no mask', () => {
    const [q, k, v] = [randn([2, 4, 6], rng), randn([2, 4, 6], rng), randn([2, 4, 6], rng)];
    assert.deepEqual(causalAttention(q, k, v, 3, Tensor.ones([2, 4])).data, causalAttention(q, k, v, 3).data);
  });
  test('the first position attends only to itself: its output is v at position 0', () => {
    const [q, k, v] = [randn([2, 4, 6], rng), randn([2, 4, 6], rng), randn([2, 4, 6], rng)];
    const y = causalAttention(q, k, v, 2);
    for (let b = 0; b < 2; b++) assertClose(y.data.subarray(b * 24, b * 24 + 6), v.data.subarray(b * 24, b * 24 + 6), F32);
  });
  test('huge scores stay finite (softmax is max-shifted)', () => {
    const q = randn([1, 4, 4], rng, 300);
    const k = randn([1, 4, 4], rng, 300);
    const v = randn([1, 4, 4], rng);
    const y = causalAttention(q, k, v, 1);
    assert.ok(y.data.every(Number.isFinite));
    assertClose(y.data, naiveAttention(q.data, k.data, v.data, null, 1, 4, 1, 4), { rtol: 1e-4, atol: 1e-4 });
  });
  test('causal: changing a future token changes no earlier output', () => {
    const [B, T, C, H] = [2, 6, 6, 2];
    const [q, k, v] = [randn([B, T, C], rng), randn([B, T, C], rng), randn([B, T, C], rng)];
    const base = causalAttention(q, k, v, H).data;
    for (const t0 of [1, 3, 5]) {
      const [q2, k2, v2] = [q.clone(), k.clone(), v.clone()];
      for (const x of [q2, k2, v2]) for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) x.f32()[(b * T + t0) * C + c] = 10 * rng.normal();
      const y = causalAttention(q2, k2, v2, H).data;
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const o = (b * T + t) * C;
          const same = y.subarray(o, o + C).every((val, c) => val === base[o + c]);
          if (t < t0) assert.ok(same, `t0=${t0}: output at t=${t} (batch ${b}) changed`);
          if (t === t0) assert.ok(!same, `t0=${t0}: output at t0 itself should change`);
        }
      }
    }
  });
  test('padding: a padded position\'s q, k, v change no real output; padded rows output zeros', () => {
    const [B, T, C, H] = [2, 5, 6, 2];
    for (const [what, m] of MASKS) {
      const mask = new Tensor(Int32Array.from(m), [B, T]);
      const [q, k, v] = [randn([B, T, C], rng), randn([B, T, C], rng), randn([B, T, C], rng)];
      const base = causalAttention(q, k, v, H, mask).data;
      const [q2, k2, v2] = [q.clone(), k.clone(), v.clone()];
      for (let p = 0; p < B * T; p++) {
        if (m[p] !== 0) continue;
        for (const x of [q2, k2, v2]) for (let c = 0; c < C; c++) x.f32()[p * C + c] = 100 * rng.normal();
      }
      const y = causalAttention(q2, k2, v2, H, mask).data;
      for (let p = 0; p < B * T; p++) {
        const row = y.subarray(p * C, p * C + C);
        if (m[p] === 0) assert.ok(row.every((val) => val === 0), `${what}: padded position ${p} should output zeros`);
        else assert.deepEqual(row, base.subarray(p * C, p * C + C), `${what}: real position ${p} changed`);
      }
    }
  });
  test('T = 0 and B = 0 give empty outputs', () => {
    assert.deepEqual(causalAttention(Tensor.zeros([2, 0, 4]), Tensor.zeros([2, 0, 4]), Tensor.zeros([2, 0, 4]), 2).shape, [2, 0, 4]);
    assert.deepEqual(causalAttention(Tensor.zeros([0, 3, 4]), Tensor.zeros([0, 3, 4]), Tensor.zeros([0, 3, 4]), 2).shape, [0, 3, 4]);
  });
});
