/**
 * The harness for native-vs-reference kernel tests: the loaded addon (or the reason it is
 * missing), seeded inputs laid out as subarray views between sentinels, a tolerance check scaled
 * to each value, and `twin`, which runs one kernel call on both backends and compares every output.
 */
import assert from 'node:assert/strict';
import type { Kernels } from '../../src/backend/kernels.js';
import { loadNativeAddon } from '../../src/backend/native/addon.js';
import { referenceKernels as ref } from '../../src/backend/reference/index.js';
import { Rng } from '../../src/tensor/rng.js';

export const load = loadNativeAddon();
export const skip = load.ok ? false : `native addon not built (${load.reason})`;
export const nat: Kernels = load.ok ? load.kernels : ref;

export type Arr = Float32Array | Int32Array | Uint8Array;
export const GUARD = 3;  // elements of sentinel on each side of a view
export const SENTINEL = 1234.5;

/** Makes kernel arguments, either plain arrays or views into a larger buffer with sentinels around. */
export class Inputs {
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

export interface Tol { rtol?: number; atol?: number }

/** |a - e| <= atol + rtol * scale (scale defaults to |e|); NaN and infinities must match exactly. */
export function assertNear(a: ArrayLike<number>, e: ArrayLike<number>, what: string, tol: Tol = {}, scale?: ArrayLike<number>): void {
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
export function twin<R>(what: string, seed: number, build: (g: Inputs) => R, call: (k: Kernels, a: R) => number | void,
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

export const ODD = [1, 3, 7, 15, 17, 31, 33, 65];
export const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
