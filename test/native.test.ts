/**
 * The native (C++) kernels against the reference kernels, called directly on the same inputs:
 * every kernel, on shapes from 1×1 to sizes that are not multiples of the vector width (and large
 * enough to run on the thread pool), accumulate on and off, zero-length inputs, and subarray views
 * with a nonzero byteOffset whose neighbours must stay untouched. Skipped, with the reason, when
 * the addon is not built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { availableBackends, kernels, nativeInfo } from '../src/backend/index.js';
import type { Kernels } from '../src/backend/kernels.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { referenceKernels as ref } from '../src/backend/reference/index.js';
import { Rng } from '../src/tensor/rng.js';

const load = loadNativeAddon();
const skip = load.ok ? false : `native addon not built (${load.reason})`;
const nat: Kernels = load.ok ? load.kernels : ref;

type Arr = Float32Array | Int32Array | Uint8Array;
const GUARD = 3;  // elements of sentinel on each side of a view
const SENTINEL = 1234.5;

/** Makes kernel arguments, either plain arrays or views into a larger buffer with sentinels around. */
class Inputs {
  readonly arrays: Arr[] = [];
  private readonly views: { arr: Arr; whole: Arr }[] = [];
  constructor(readonly rng: Rng, private readonly offset: boolean) {}

  private wrap<T extends Arr>(make: (n: number) => T, n: number): T {
    if (!this.offset) {
      const a = make(n);
      this.arrays.push(a);
      return a;
    }
    const whole = make(n + 2 * GUARD);
    whole.fill(SENTINEL as never);
    const a = whole.subarray(GUARD, GUARD + n) as T;
    this.arrays.push(a);
    this.views.push({ arr: a, whole });
    return a;
  }

  f32(n: number, gen: (r: Rng) => number = (r) => r.normal()): Float32Array {
    const a = this.wrap((m) => new Float32Array(m), n);
    for (let i = 0; i < n; i++) a[i] = gen(this.rng);
    return a;
  }

  i32(values: number[]): Int32Array {
    const a = this.wrap((m) => new Int32Array(m), values.length);
    a.set(values);
    return a;
  }

  u8(n: number, pOne: number): Uint8Array {
    const a = this.wrap((m) => new Uint8Array(m), n);
    for (let i = 0; i < n; i++) a[i] = this.rng.uniform() < pOne ? 1 : 0;
    return a;
  }

  /** Throws if a kernel wrote outside any view. */
  checkGuards(what: string): void {
    for (const { whole } of this.views) {
      const sentinel = whole instanceof Uint8Array ? SENTINEL & 255 : whole instanceof Int32Array ? 1234 : SENTINEL;
      for (let i = 0; i < GUARD; i++) {
        assert.equal(whole[i], sentinel, `${what}: wrote before the view`);
        assert.equal(whole[whole.length - 1 - i], sentinel, `${what}: wrote past the view`);
      }
    }
  }
}

interface Tol { rtol?: number; atol?: number }

/** |a - e| <= atol + rtol * scale (scale defaults to |e|); NaN and infinities must match exactly. */
function assertNear(a: ArrayLike<number>, e: ArrayLike<number>, what: string, tol: Tol = {}, scale?: ArrayLike<number>): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      assert.ok(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)), `${what}[${i}]: native ${x} vs reference ${y}`);
      continue;
    }
    const s = scale ? scale[i]! : Math.abs(y);
    assert.ok(Math.abs(x - y) <= atol + rtol * s, `${what}[${i}]: native ${x} vs reference ${y} (scale ${s})`);
  }
}

/**
 * Builds the same inputs twice from one seed, runs the reference kernel on one copy and the
 * native kernel on the other, then compares every array (outputs and in-place updates) and the
 * return values. Runs once with plain arrays and once with offset views.
 */
function twin<R>(what: string, seed: number, build: (g: Inputs) => R, call: (k: Kernels, a: R) => number | void,
  tol: Tol = {}): void {
  for (const offset of [false, true]) {
    const gr = new Inputs(new Rng(seed), offset);
    const gn = new Inputs(new Rng(seed), offset);
    const ar = build(gr);
    const an = build(gn);
    const rr = call(ref, ar);
    const rn = call(nat, an);
    const tag = `${what}${offset ? ' (views)' : ''}`;
    gn.checkGuards(tag);
    if (typeof rr === 'number') assertNear([rn as number], [rr], `${tag} result`, tol);
    gr.arrays.forEach((e, i) => assertNear(gn.arrays[i]!, e, `${tag} array ${i}`, tol));
  }
}

const ODD = [1, 3, 7, 15, 17, 31, 33, 65];
const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

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

  test('crossEntropyFused: in-place loss and logit gradient, with and without bias', () => {
    let seed = 550;
    for (const [R, V] of [[1, 1], [1, 7], [3, 17], [5, 65], [4, 257], [6, 1000], [3, 5003], [0, 9]]) {
      const targets = Array.from({ length: R! }, (_, i) => (i % 3 === 1 ? -1 : (i * 31 + 5) % V!));
      for (const withBias of [false, true]) {
        twin(`crossEntropyFused R=${R} V=${V} bias=${withBias}`, seed++, (g) => {
          const x = g.f32(R! * V!, (r) => 4 * r.normal());
          const b = withBias ? g.f32(V!) : null;
          const w = g.f32(R!, (r) => (r.uniform() < 0.2 ? 0 : r.uniform()));
          return [x, b, g.i32(targets), w, g.f32(R!)] as const;
        }, (k, [x, b, t, w, loss]) => k.crossEntropyFused(x, b, t, w, loss, R!, V!));
      }
    }
    // A row of -inf logits: NaN loss and gradient, as the unfused kernels give.
    for (const k of [ref, nat]) {
      const x = new Float32Array([-Infinity, -Infinity, -Infinity]);
      const loss = new Float32Array(1);
      k.crossEntropyFused(x, null, Int32Array.of(1), Float32Array.of(0.5), loss, 1, 3);
      assert.ok(Number.isNaN(loss[0]) && x.every(Number.isNaN), `${k.name}: -inf row gives NaN`);
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

  test('layer norm forward and backward, optional gradients', () => {
    let seed = 600;
    for (const [R, C] of [[1, 1], [2, 3], [3, 17], [4, 33], [5, 65], [300, 256], [0, 8]]) {
      twin(`layerNormForward ${R}x${C}`, seed++,
        (g) => [g.f32(R! * C!, (r) => 2 + 3 * r.normal()), g.f32(C!), g.f32(C!), g.f32(R! * C!), g.f32(R!), g.f32(R!)] as const,
        (k, [x, gamma, beta, y, mean, rstd]) => k.layerNormForward(x, gamma, beta, y, mean, rstd, R!, C!, 1e-5));
      for (const [wantX, wantG, wantB] of [[true, true, true], [true, false, false], [false, true, false], [false, false, true]]) {
        for (const acc of [false, true]) {
          twin(`layerNormBackward ${R}x${C} gx=${wantX} gGamma=${wantG} gBeta=${wantB} acc=${acc}`, seed++, (g) => {
            const x = g.f32(R! * C!, (r) => 2 + 3 * r.normal());
            const gamma = g.f32(C!);
            const mean = g.f32(R!);
            const rstd = g.f32(R!);
            ref.layerNormForward(x, gamma, new Float32Array(C!), new Float32Array(R! * C!), mean, rstd, R!, C!, 1e-5);
            return [x, gamma, mean, rstd, g.f32(R! * C!), wantX ? g.f32(R! * C!) : null, wantG ? g.f32(C!) : null,
              wantB ? g.f32(C!) : null] as const;
          }, (k, [x, gamma, mean, rstd, gy, gx, gG, gB]) => k.layerNormBackward(x, gamma, mean, rstd, gy, gx, gG, gB, R!, C!, acc),
          { rtol: 1e-5, atol: 1e-5 });
        }
      }
    }
  });

  test('GELU forward and backward, tails included', () => {
    let seed = 700;
    const wide = (r: Rng) => (r.uniform() < 0.1 ? 12 * r.normal() : 2 * r.normal());
    for (const n of [0, ...ODD, 50001]) {
      twin(`geluForward n=${n}`, seed++, (g) => [g.f32(n, wide), g.f32(n)] as const, (k, [x, y]) => k.geluForward(x, y));
      for (const acc of [false, true]) {
        twin(`geluBackward n=${n} acc=${acc}`, seed++, (g) => [g.f32(n, wide), g.f32(n), g.f32(n)] as const,
          (k, [x, gy, gx]) => k.geluBackward(x, gy, gx, acc));
      }
    }
  });

  test('attention forward and backward, with and without a key mask', () => {
    let seed = 800;
    for (const [B, T, H, D] of [[1, 1, 1, 1], [2, 5, 3, 7], [2, 17, 2, 16], [1, 33, 4, 8], [3, 0, 2, 4]]) {
      for (const masked of [false, true]) {
        // Sequence b: T - 2b real tokens (at least one), then padding.
        const mask = (g: Inputs): Float32Array | null => {
          if (!masked) return null;
          const m = g.f32(B! * T!, () => 0);
          for (let b = 0; b < B!; b++) for (let t = 0; t < Math.max(1, T! - 2 * b); t++) m[b * T! + t] = 1;
          return m;
        };
        const what = `B=${B} T=${T} H=${H} D=${D} mask=${masked}`;
        const C = H! * D!;
        twin(`attentionForward ${what}`, seed++,
          (g) => [g.f32(B! * T! * C), g.f32(B! * T! * C), g.f32(B! * T! * C), mask(g), g.f32(B! * H! * T! * T!), g.f32(B! * T! * C)] as const,
          (k, [q, kk, v, m, att, out]) => k.attentionForward(q, kk, v, m, att, out, B!, T!, H!, D!, 1 / Math.sqrt(D!)));
        twin(`attentionBackward ${what}`, seed++, (g) => {
          const q = g.f32(B! * T! * C);
          const kk = g.f32(B! * T! * C);
          const v = g.f32(B! * T! * C);
          const att = g.f32(B! * H! * T! * T!);
          ref.attentionForward(q, kk, v, mask(g), att, new Float32Array(B! * T! * C), B!, T!, H!, D!, 1 / Math.sqrt(D!));
          return [q, kk, v, att, g.f32(B! * T! * C), g.f32(B! * T! * C), g.f32(B! * T! * C), g.f32(B! * T! * C)] as const;
        }, (k, [q, kk, v, att, gOut, gq, gk, gv]) => k.attentionBackward(q, kk, v, att, gOut, gq, gk, gv, B!, T!, H!, D!,
          1 / Math.sqrt(D!)), { rtol: 1e-5, atol: 1e-5 });
      }
    }
  });

  test('attention over several row blocks: T up to 70, head sizes off the vector width, masks with holes', () => {
    let seed = 850;
    // Masks per batch row: all real, right padding, a fully padded row, left padding and a hole.
    const pattern = (b: number, t: number, T: number): number => {
      switch (b % 4) {
        case 0: return 1;
        case 1: return t < Math.max(1, T - 11) ? 1 : 0;
        case 2: return 0;
        default: return t >= 3 && t !== T - 2 ? 1 : 0;
      }
    };
    for (const [B, T, H, D] of [[4, 9, 1, 1], [4, 19, 2, 5], [4, 40, 1, 17], [4, 33, 2, 32], [2, 70, 2, 33], [1, 64, 1, 48]]) {
      for (const masked of [false, true]) {
        const mask = (g: Inputs): Float32Array | null => {
          if (!masked) return null;
          const m = g.f32(B! * T!, () => 0);
          for (let b = 0; b < B!; b++) for (let t = 0; t < T!; t++) m[b * T! + t] = pattern(b, t, T!);
          return m;
        };
        const what = `B=${B} T=${T} H=${H} D=${D} mask=${masked}`;
        const C = H! * D!;
        twin(`attentionForward ${what}`, seed++,
          (g) => [g.f32(B! * T! * C), g.f32(B! * T! * C), g.f32(B! * T! * C), mask(g), g.f32(B! * H! * T! * T!), g.f32(B! * T! * C)] as const,
          (k, [q, kk, v, m, att, out]) => k.attentionForward(q, kk, v, m, att, out, B!, T!, H!, D!, 1 / Math.sqrt(D!)));
        twin(`attentionBackward ${what}`, seed++, (g) => {
          const q = g.f32(B! * T! * C);
          const kk = g.f32(B! * T! * C);
          const v = g.f32(B! * T! * C);
          const att = g.f32(B! * H! * T! * T!);
          ref.attentionForward(q, kk, v, mask(g), att, new Float32Array(B! * T! * C), B!, T!, H!, D!, 1 / Math.sqrt(D!));
          return [q, kk, v, att, g.f32(B! * T! * C), g.f32(B! * T! * C), g.f32(B! * T! * C), g.f32(B! * T! * C)] as const;
        }, (k, [q, kk, v, att, gOut, gq, gk, gv]) => k.attentionBackward(q, kk, v, att, gOut, gq, gk, gv, B!, T!, H!, D!,
          1 / Math.sqrt(D!)), { rtol: 1e-5, atol: 1e-5 });
      }
    }
  });

  test('dropoutMask: the same bits as the reference and as Rng.uniform() >= p', () => {
    let seed = 870;
    for (const n of [0, ...ODD, 100003]) {
      for (const p of [0.2, 0.5, 1 / 3, 2 ** -24, 1 - 2 ** -24, 0, 1]) {
        twin(`dropoutMask n=${n} p=${p}`, seed++, (g) => [g.i32([0, 0, 0, 0].map(() => g.rng.nextUint32() | 0)), g.u8(n, 0.5)] as const,
          (k, [state, mask]) => k.dropoutMask(state, p, mask), { rtol: 0, atol: 0 });
      }
    }
    for (const p of [0.2, 0.7, 2 ** -24]) {
      const rng = new Rng(31);
      const st = rng.getState();
      const state = Int32Array.of(st[0]!, st[1]!, st[2]!, st[3]!);
      const mask = new Uint8Array(1000);
      nat.dropoutMask(state, p, mask);
      for (let i = 0; i < mask.length; i++) assert.equal(mask[i], rng.uniform() >= p ? 1 : 0, `p=${p} element ${i}`);
      assert.deepEqual(Array.from(state), rng.getState().slice(0, 4), `p=${p}: state after the draw`);
    }
    assert.throws(() => nat.dropoutMask(new Int32Array(3), 0.5, new Uint8Array(4)), RangeError);
  });

  test('AdamW step in place', () => {
    let seed = 900;
    for (const n of [0, ...ODD, 70001]) {
      twin(`adamwStep n=${n}`, seed++, (g) => [g.f32(n), g.f32(n), g.f32(n, (r) => 0.1 * r.normal()),
        g.f32(n, (r) => 0.01 * r.uniform())] as const,
      (k, [p, gr, m, v]) => k.adamwStep(p, gr, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** 3, 1 - 0.999 ** 3));
    }
  });

  test('AdamW step on row-sparse gradients', () => {
    const refRows = ref.adamwStepRows?.bind(ref);
    const natRows = nat.adamwStepRows?.bind(nat);
    assert.ok(refRows && natRows, 'both backends implement adamwStepRows');
    let seed = 950;
    for (const [R, C, rows] of [[1, 1, [0]], [5, 3, [1, 4]], [40, 17, [0, 3, 4, 39]], [300, 65, [2, 100, 299]], [6, 4, []]] as const) {
      twin(`adamwStepRows R=${R} C=${C}`, seed++, (g) => [g.f32(R * C), g.f32(R * C, (r) => 0.1 * r.normal()),
        g.f32(R * C, (r) => 0.01 * r.uniform()), g.i32([...rows]), g.f32(rows.length * C)] as const,
      (k, [p, m, v, rw, gr]) => (k === ref ? refRows : natRows)(p, m, v, rw, gr, C, 1e-3, 0.9, 0.999, 1e-8, 0.1,
        1 - 0.9 ** 3, 1 - 0.999 ** 3));
    }
  });

  test('logsumexp and scaled softmax of gathered table rows', () => {
    let seed = 980;
    // [R, V, rows]: odd widths around the vector width, repeated and unsorted rows, no rows, V = 0,
    // a row long enough to span several exp chunks, and enough rows for the thread pool.
    const many = Array.from({ length: 70 }, (_, i) => (i * 37) % 90);
    for (const [R, V, rows] of [[1, 1, [0]], [5, 3, [4, 1, 1]], [40, 17, [0, 3, 39]], [9, 65, [8, 2, 5, 0]], [300, 33, []],
      [3, 1000, [2, 0]], [4, 0, [1, 3]], [90, 300, many]] as const) {
      const table = (g: Inputs) => g.f32(R * V, (r) => 4 * r.normal());
      twin(`gatherLogSumExp R=${R} V=${V} n=${rows.length}`, seed++, (g) => [table(g), g.i32([...rows]), g.f32(rows.length)] as const,
        (k, [t, rw, lse]) => k.gatherLogSumExp(t, rw, lse, V));
      twin(`gatherSoftmax R=${R} V=${V} n=${rows.length}`, seed++, (g) => {
        const t = table(g);
        const rw = g.i32([...rows]);
        const lse = g.f32(rows.length);
        ref.gatherLogSumExp(t, rw, lse, V);
        return [t, rw, lse, g.f32(rows.length, (r) => r.uniform() - 0.2), g.f32(rows.length * V)] as const;
      }, (k, [t, rw, lse, scale, out]) => k.gatherSoftmax(t, rw, lse, scale, out, V));
    }
    assert.throws(() => nat.gatherLogSumExp(new Float32Array(6), new Int32Array([2]), new Float32Array(1), 3), RangeError);
    assert.throws(() => nat.gatherSoftmax(new Float32Array(6), new Int32Array([1]), new Float32Array(1), new Float32Array(1),
      new Float32Array(2), 3), RangeError);
  });

  test('fillNormal draws bit for bit the reference normals, state and spare included', () => {
    // Lengths: empty, odd and even, around the native kernel's block of 2^16 pairs, and several
    // blocks; written into views with guards. State [1, 0, 2, 3] makes the very first draw 0, the
    // value Box-Muller must skip.
    const states = [[1, 2, 3, 4], [1, 0, 2, 3], [-123456789, 987654321, -5, 0x7fffffff]];
    let c = 0;
    for (const n of [0, 1, 2, 3, ...ODD, 4097, 131071, 131072, 131073, 300001]) {
      const [mean, std] = [[0, 1], [-10, 1], [0.25, 0.02]][c % 3]!;
      const st = states[c++ % states.length]!;
      const run = (k: Kernels) => {
        const whole = new Float32Array(n + 2 * GUARD).fill(SENTINEL);
        const state = Int32Array.from(st);
        const spare = new Float64Array(1);
        k.fillNormal(state, whole.subarray(GUARD, GUARD + n), mean!, std!, spare);
        return { whole, state, spare: spare[0]! };
      };
      const r = run(ref);
      const x = run(nat);
      const what = `fillNormal n=${n} mean=${mean} std=${std} state=${st}`;
      for (let i = 0; i < r.whole.length; i++) {
        if (!Object.is(x.whole[i], r.whole[i])) assert.fail(`${what}: [${i - GUARD}] native ${x.whole[i]} vs reference ${r.whole[i]}`);
      }
      assert.deepEqual([...x.state], [...r.state], `${what}: state`);
      assert.ok(Object.is(x.spare, r.spare), `${what}: spare native ${x.spare} vs reference ${r.spare}`);
      assert.equal(Number.isNaN(r.spare), n % 2 === 0, `${what}: a spare exactly when n is odd`);
    }
  });

  test('bad arguments throw instead of touching memory', () => {
    const a = new Float32Array(6);
    assert.throws(() => nat.sgemm(false, false, 2, 3, 4, a, a, a, false), RangeError);
    assert.throws(() => nat.embeddingForward(new Int32Array([0, 5]), new Float32Array(8), new Float32Array(8), 4), RangeError);
    assert.throws(() => nat.embeddingBackward(new Int32Array([-1]), new Float32Array(4), new Float32Array(8), 4), RangeError);
    assert.throws(() => nat.crossEntropyForward(a, new Int32Array([3, 0]), a, a, 2, 3), RangeError);
    assert.throws(() => nat.geluForward(new Float64Array(3) as unknown as Float32Array, a), TypeError);
    assert.throws(() => nat.softmaxForward(a, new Float32Array(5), 2, 3), RangeError);
  });
});

describe('native backend registration', { skip }, () => {
  test('registered at import, active unless SLM_BACKEND=reference, with build info', (t) => {
    assert.ok(availableBackends().includes('native'));
    assert.equal(kernels().name, process.env.SLM_BACKEND === 'reference' ? 'reference' : 'native');
    const info = nativeInfo();
    assert.ok(info);
    assert.ok(info.threads >= 1);
    assert.ok([0, 256, 512].includes(info.vectorBits));
    // Kernels added to the interface after the addon was written fall back to the reference.
    if (info.fallbacks.length > 0) t.diagnostic(`reference fallbacks: ${info.fallbacks.join(', ')}`);
    for (const core of ['sgemm', 'crossEntropyForward', 'crossEntropyBackward', 'attentionForward', 'adamwStep']) {
      assert.ok(!info.fallbacks.includes(core), `${core} should be native`);
    }
    assert.match(info.flags, /-O3/);
  });
});
