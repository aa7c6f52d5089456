/**
 * Native (C++) linear-algebra and loss kernels against the reference, called directly on the same
 * inputs: sgemm in every transpose (packed and chunked paths too), broadcasts and reductions,
 * embeddings, softmax and cross-entropy, on shapes from 1×1 to sizes off the vector width, with
 * views whose neighbours must stay untouched. Skipped, with the reason, when the addon is not built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceKernels as ref } from '../src/backend/reference/index.js';
import { Rng } from '../src/tensor/rng.js';
import { assertNear, Inputs, load, nat, ODD, SENTINEL, skip, TRANS, twin } from './helpers/nativeTwin.js';

describe('native kernels match the reference', { skip }, () => {
  test('sgemm: every transpose, accumulate, odd and empty shapes, multi-block K and N', () => {
    const shapes = [[1, 1, 1], [3, 7, 5], [17, 33, 15], [31, 65, 7], [13, 1, 29], [65, 17, 33], [1, 40, 300],
      [100, 70, 600], [37, 600, 45], [70, 530, 300], [0, 5, 3], [4, 0, 3], [4, 5, 0]];
    let seed = 1;
    for (const [tA, tB] of TRANS) {
      for (const [M, N, K] of shapes) {
        for (const acc of [false, true]) {
          for (const offset of [false, true]) {
            const what = `sgemm tA=${tA} tB=${tB} M=${M} N=${N} K=${K} acc=${acc}${offset ? ' views' : ''}`;
            const make = () => {
              const g = new Inputs(new Rng(seed), offset);
              return { g, A: g.f32(M! * K!), B: g.f32(K! * N!), C: g.f32(M! * N!) };
            };
            const r = make();
            const n = make();
            seed++;
            // Error bound: relative to sum_k |a||b| (+ |c| when accumulating), not to |c|.
            const scale = new Float32Array(M! * N!);
            if (acc) for (let i = 0; i < scale.length; i++) scale[i] = Math.abs(r.C[i]!);
            ref.sgemm(tA, tB, M!, N!, K!, r.A.map(Math.abs), r.B.map(Math.abs), scale, true);
            ref.sgemm(tA, tB, M!, N!, K!, r.A, r.B, r.C, acc);
            nat.sgemm(tA, tB, M!, N!, K!, n.A, n.B, n.C, acc);
            n.g.checkGuards(what);
            assertNear(n.C, r.C, what, { rtol: 2e-6, atol: 1e-6 }, scale);
          }
        }
      }
    }
  });

  test('sgemm: chunked paths (scratch capped small) give the unchunked result exactly', () => {
    const setLimit = load.ok ? load.hooks.setSgemmScratchLimit : null;
    assert.ok(setLimit, 'the addon exports setSgemmScratchLimit');
    // [M, N, K, cap]: N chunks of several N blocks (A shared) and row chunks; N chunks of one block
    // (A packed per task) over several K blocks. Shared A over several K blocks is in the test above.
    // The chunking changes no summation order, so the result must be bit-identical; a sample of
    // entries is also checked against double-precision dot products.
    const cases = [[2100, 1600, 20, 40000], [40, 1100, 700, 700]] as const;
    let seed = 60;
    for (const [M, N, K, cap] of cases) {
      for (const [tA, tB] of TRANS) {
        const what = `sgemm chunked tA=${tA} tB=${tB} M=${M} N=${N} K=${K} cap=${cap}`;
        const g = new Inputs(new Rng(seed++), false);
        const A = g.f32(M * K);
        const B = g.f32(K * N);
        const C0 = g.f32(M * N);
        const whole = C0.slice();
        nat.sgemm(tA, tB, M, N, K, A, B, whole, true);
        const chunked = C0.slice();
        const prev = setLimit(cap);
        try {
          nat.sgemm(tA, tB, M, N, K, A, B, chunked, true);
        } finally {
          setLimit(prev);
        }
        assert.deepEqual(chunked, whole, what);
        for (let s = 0; s < 200; s++) {
          const i = g.rng.int(M);
          const j = g.rng.int(N);
          let dot = C0[i * N + j]!;
          let mag = Math.abs(dot);
          for (let k = 0; k < K; k++) {
            const p = A[tA ? k * M + i : i * K + k]! * B[tB ? j * K + k : k * N + j]!;
            dot += p;
            mag += Math.abs(p);
          }
          assert.ok(Math.abs(chunked[i * N + j]! - dot) <= 2e-6 * mag + 1e-6, `${what} [${i},${j}]: ${chunked[i * N + j]} vs ${dot}`);
        }
      }
    }
  });

  test('sgemm: nonzero C is overwritten without accumulate, even when C holds NaN', () => {
    const A = new Float32Array([1, 2, 3, 4]);
    const C = new Float32Array([NaN, NaN, NaN, NaN]);
    nat.sgemm(false, false, 2, 2, 2, A, A, C, false);
    assert.deepEqual([...C], [7, 10, 15, 22]);
    nat.sgemm(false, false, 2, 2, 0, A, A, C, false);
    assert.deepEqual([...C], [0, 0, 0, 0]);
  });

  test('broadcast add/mul, sums over rows, in place too', () => {
    let seed = 100;
    for (const [R, C] of [[1, 1], [3, 7], [5, 17], [2, 33], [64, 65], [300, 257], [0, 5], [4, 0]]) {
      for (const op of ['addBroadcast', 'mulBroadcast'] as const) {
        twin(`${op} ${R}x${C}`, seed++, (g) => [g.f32(R! * C!), g.f32(C!), g.f32(R! * C!)] as const,
          (k, [x, b, out]) => k[op](x, b, out, R!, C!));
        twin(`${op} in place ${R}x${C}`, seed++, (g) => [g.f32(R! * C!), g.f32(C!)] as const,
          (k, [x, b]) => k[op](x, b, x, R!, C!));
      }
      for (const acc of [false, true]) {
        twin(`sumRows ${R}x${C} acc=${acc}`, seed++, (g) => [g.f32(R! * C!), g.f32(C!)] as const,
          (k, [x, out]) => k.sumRows(x, out, R!, C!, acc));
        twin(`sumRowsProduct ${R}x${C} acc=${acc}`, seed++, (g) => [g.f32(R! * C!), g.f32(R! * C!), g.f32(C!)] as const,
          (k, [x, y, out]) => k.sumRowsProduct(x, y, out, R!, C!, acc));
      }
    }
  });

  test('scaleShift, axpy, dropoutApply, sumSquares on odd and large lengths', () => {
    let seed = 200;
    for (const n of [0, ...ODD, 100003]) {
      twin(`scaleShift n=${n}`, seed++, (g) => [g.f32(n), g.f32(n)] as const, (k, [x, out]) => k.scaleShift(x, 0.37, -1.5, out));
      twin(`sumSquares n=${n}`, seed++, (g) => g.f32(n), (k, x) => k.sumSquares(x), { rtol: 1e-12, atol: 0 });
      for (const acc of [false, true]) {
        twin(`axpy n=${n} acc=${acc}`, seed++, (g) => [g.f32(n), g.f32(n)] as const, (k, [x, out]) => k.axpy(-0.3, x, out, acc));
        twin(`dropoutApply n=${n} acc=${acc}`, seed++, (g) => [g.f32(n), g.u8(n, 0.7), g.f32(n)] as const,
          (k, [x, m, out]) => k.dropoutApply(x, m, 1 / 0.7, out, acc));
      }
    }
  });

  test('embedding gather and scatter-add, repeated ids', () => {
    let seed = 300;
    for (const [V, C, N] of [[1, 1, 1], [5, 3, 7], [17, 33, 40], [50, 65, 300], [3, 0, 4], [4, 8, 0]]) {
      const ids = Array.from({ length: N! }, (_, i) => (i * 7 + 3) % V!);
      twin(`embeddingForward V=${V} C=${C} N=${N}`, seed++, (g) => [g.i32(ids), g.f32(V! * C!), g.f32(N! * C!)] as const,
        (k, [id, table, out]) => k.embeddingForward(id, table, out, C!));
      twin(`embeddingBackward V=${V} C=${C} N=${N}`, seed++, (g) => [g.i32(ids), g.f32(N! * C!), g.f32(V! * C!)] as const,
        (k, [id, gOut, gTable]) => k.embeddingBackward(id, gOut, gTable, C!));
    }
  });

  test('softmax and log-softmax, forward and backward, with -inf and large logits', () => {
    let seed = 400;
    const logit = (r: Rng) => (r.uniform() < 0.05 ? -Infinity : r.uniform() < 0.05 ? 60 * r.normal() : 3 * r.normal());
    for (const [R, C] of [[1, 1], [2, 3], [3, 17], [4, 33], [5, 65], [7, 1000], [0, 4]]) {
      const finiteRow = (r: Rng) => 3 * r.normal();
      twin(`softmaxForward ${R}x${C}`, seed++, (g) => [g.f32(R! * C!, C === 1 ? finiteRow : logit), g.f32(R! * C!)] as const,
        (k, [x, y]) => k.softmaxForward(x, y, R!, C!));
      twin(`logSoftmaxForward ${R}x${C}`, seed++, (g) => [g.f32(R! * C!, C === 1 ? finiteRow : logit), g.f32(R! * C!)] as const,
        (k, [x, y]) => k.logSoftmaxForward(x, y, R!, C!));
      for (const acc of [false, true]) {
        twin(`softmaxBackward ${R}x${C} acc=${acc}`, seed++,
          (g) => [g.f32(R! * C!, (r) => r.uniform()), g.f32(R! * C!), g.f32(R! * C!)] as const,
          (k, [y, gy, gx]) => k.softmaxBackward(y, gy, gx, R!, C!, acc));
        twin(`logSoftmaxBackward ${R}x${C} acc=${acc}`, seed++,
          (g) => [g.f32(R! * C!, (r) => -3 * r.uniform()), g.f32(R! * C!), g.f32(R! * C!)] as const,
          (k, [y, gy, gx]) => k.logSoftmaxBackward(y, gy, gx, R!, C!, acc));
      }
    }
  });

  test('cross-entropy forward and backward, ignored rows and zero weights', () => {
    let seed = 500;
    for (const [R, V] of [[1, 1], [3, 7], [5, 17], [9, 65], [6, 1000], [3, 5003], [0, 9]]) {
      const targets = Array.from({ length: R! }, (_, i) => (i % 3 === 1 ? -1 : (i * 31 + 5) % V!));
      twin(`crossEntropyForward R=${R} V=${V}`, seed++,
        (g) => [g.f32(R! * V!, (r) => 4 * r.normal()), g.i32(targets), g.f32(R!), g.f32(R!)] as const,
        (k, [x, t, loss, lse]) => k.crossEntropyForward(x, t, loss, lse, R!, V!));
      for (const acc of [false, true]) {
        twin(`crossEntropyBackward R=${R} V=${V} acc=${acc}`, seed++, (g) => {
          const x = g.f32(R! * V!, (r) => 4 * r.normal());
          const t = g.i32(targets);
          const lse = g.f32(R!);
          const loss = new Float32Array(R!);
          ref.crossEntropyForward(x, t, loss, lse, R!, V!);
          const w = g.f32(R!, (r) => (r.uniform() < 0.2 ? 0 : r.uniform()));
          return [x, t, lse, w, g.f32(R! * V!)] as const;
        }, (k, [x, t, lse, w, gx]) => k.crossEntropyBackward(x, t, lse, w, gx, R!, V!, acc));
      }
    }
  });

  test('crossEntropyFused: in-place loss and logit gradient, with and without bias, bias gradient accumulated', () => {
    let seed = 550;
    for (const [R, V] of [[1, 1], [1, 7], [3, 17], [5, 65], [4, 257], [6, 1000], [3, 5003], [0, 9], [41, 33]]) {
      const targets = Array.from({ length: R! }, (_, i) => (i % 3 === 1 ? -1 : (i * 31 + 5) % V!));
      for (const [withBias, withGrad] of [[false, false], [true, false], [true, true], [false, true]]) {
        twin(`crossEntropyFused R=${R} V=${V} bias=${withBias} gBias=${withGrad}`, seed++, (g) => {
          const x = g.f32(R! * V!, (r) => 4 * r.normal());
          const b = withBias ? g.f32(V!) : null;
          const w = g.f32(R!, (r) => (r.uniform() < 0.2 ? 0 : r.uniform()));
          const gb = withGrad ? g.f32(V!) : null; // accumulated onto what is there
          return [x, b, g.i32(targets), w, g.f32(R!), gb] as const;
        }, (k, [x, b, t, w, loss, gb]) => k.crossEntropyFused(x, b, t, w, loss, R!, V!, gb));
      }
    }
    // The bias gradient is the sum of the gradient rows, added to what gBias held.
    for (const k of [ref, nat]) {
      const rng = new Rng(77);
      const [R, V] = [37, 29];
      const x = Float32Array.from({ length: R * V }, () => 3 * rng.normal());
      const t = Int32Array.from({ length: R }, (_, i) => (i % 5 === 3 ? -1 : rng.int(V)));
      const w = Float32Array.from({ length: R }, () => rng.uniform());
      const gb = Float32Array.from({ length: V }, () => rng.normal());
      const expected = Float32Array.from(gb);
      k.crossEntropyFused(x, null, t, w, new Float32Array(R), R, V, gb);
      for (let r = 0; r < R; r++) for (let c = 0; c < V; c++) expected[c]! += x[r * V + c]!;
      for (let c = 0; c < V; c++) assert.ok(Math.abs(gb[c]! - expected[c]!) <= 1e-5, `${k.name}: gBias[${c}] ${gb[c]} vs ${expected[c]}`);
    }
    // A row of -inf logits: NaN loss and gradient, as the unfused kernels give.
    for (const k of [ref, nat]) {
      const x = new Float32Array([-Infinity, -Infinity, -Infinity]);
      const loss = new Float32Array(1);
      const gb = new Float32Array(3);
      k.crossEntropyFused(x, null, Int32Array.of(1), Float32Array.of(0.5), loss, 1, 3, gb);
      assert.ok(Number.isNaN(loss[0]) && x.every(Number.isNaN) && gb.every(Number.isNaN), `${k.name}: -inf row gives NaN`);
    }
  });

  test('packB + sgemmPackedB equal sgemm: every transpose, edge sizes, several K blocks', () => {
    let seed = 570;
    // [M, N, K]: one row, one column, d = 1, N not a multiple of the panel width, K over a block.
    const sizes = [[1, 1, 1], [1, 37, 5], [13, 1, 9], [7, 33, 1], [25, 65, 17], [12, 600, 300], [30, 70, 1100], [144, 517, 256]];
    for (const [M, N, K] of sizes) {
      for (const [tA, tB] of TRANS) {
        const what = `sgemmPackedB tA=${tA} tB=${tB} M=${M} N=${N} K=${K}`;
        const g = new Inputs(new Rng(seed++), false);
        const A = g.f32(M! * K!);
        const B = g.f32(K! * N!);
        const C0 = g.f32(M! * N!);
        for (const acc of [false, true]) {
          const expect = C0.slice();
          ref.sgemm(tA, tB, M!, N!, K!, A, B, expect, acc);
          for (const k of [ref, nat]) {
            const Bp = new Float32Array(k.packedBSize(N!, K!) + 2).fill(SENTINEL);
            const packed = Bp.subarray(1, Bp.length - 1);
            k.packB(tB, N!, K!, B, packed);
            assert.ok(Bp[0] === SENTINEL && Bp[Bp.length - 1] === SENTINEL, `${what} ${k.name}: packB stays in bounds`);
            const got = C0.slice();
            k.sgemmPackedB(tA, M!, N!, K!, A, packed, got, acc);
            assertNear(got, expect, `${what} acc=${acc} ${k.name}`, { rtol: 1e-4, atol: 1e-4 });
            if (k === nat) {
              const plain = C0.slice();
              nat.sgemm(tA, tB, M!, N!, K!, A, B, plain, acc);
              assert.deepEqual(got, plain, `${what} acc=${acc}: packed once equals packed per call, bit for bit`);
            }
          }
        }
      }
    }
  });
});
