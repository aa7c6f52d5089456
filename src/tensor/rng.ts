/**
 * The one seeded random number generator used everywhere: parameter init, dropout masks,
 * shuffling and sampling. Same seed, same numbers, bit for bit, on every platform.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna; backend/reference/xoshiro.ts, shared with the kernels
 * that draw this stream), its 128-bit state filled from the seed with splitmix32. Uniform floats take
 * the top 24 bits, so they are exact float32 values in [0, 1). Normals use Box-Muller on two
 * uniforms (both outputs are used), with ln, sin and cos built from basic double operations (see
 * backend/reference/random.ts) rather than Math.*, whose last bits vary between engines: that is
 * what lets the native kernel draw a large initialisation (840M normals for the Markov table)
 * with exactly the numbers of this file. `fork(label)` derives an independent stream, so that for
 * example changing the dropout rate does not change the data order.
 */
import { kernels } from '../backend/index.js';
import { boxMuller } from '../backend/reference/random.js';
import { Xoshiro } from '../backend/reference/xoshiro.js';
import { ConfigError, ShapeError } from './errors.js';

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function hashString(label: string): number {
  // FNV-1a: only used to turn a stream label into a seed offset.
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private x: Xoshiro;
  private spareNormal: number | null = null;
  readonly seed: number;

  constructor(seed = 42) {
    if (!Number.isFinite(seed)) throw new ConfigError(`Rng seed must be a finite number, got ${seed}`, 'pass a whole number, e.g. --seed 42');
    this.seed = seed;
    const st = { s: (seed >>> 0) ^ Math.floor(seed / 4294967296) };
    const w = [splitmix32(st), splitmix32(st), splitmix32(st), splitmix32(st)];
    if ((w[0]! | w[1]! | w[2]! | w[3]!) === 0) w[0] = 1;
    this.x = new Xoshiro(w[0]! | 0, w[1]! | 0, w[2]! | 0, w[3]! | 0);
  }

  /** An independent generator derived from this one's seed and a label. */
  fork(label: string): Rng {
    return new Rng(((this.seed >>> 0) ^ hashString(label)) >>> 0);
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    return this.x.next32();
  }

  /** Uniform float in [0, 1), exactly representable in float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Standard normal N(0, 1) by Box-Muller. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let k1 = this.nextUint32() >>> 8; // u1 = k1 / 2^24, never 0
    while (k1 === 0) k1 = this.nextUint32() >>> 8;
    const k2 = this.nextUint32() >>> 8;
    boxMuller(k1, k2, pair);
    this.spareNormal = pair[1]!;
    return pair[0]!;
  }

  /** Integer in [0, n) without modulo bias. */
  int(n: number): number {
    if (!(n > 0) || n > 4294967296) throw new ShapeError(`Rng.int needs 0 < n <= 2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /**
   * Fills `out` with N(mean, std) samples: out[i] = mean + std * normal(), in order, drawn by the
   * active backend's fillNormal kernel (the same numbers on every backend).
   */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    let i = 0;
    if (this.spareNormal !== null && out.length > 0) {
      out[0] = mean + std * this.spareNormal;
      this.spareNormal = null;
      i = 1;
    }
    if (i === out.length) return out;
    const state = new Int32Array(4);
    this.x.store(state);
    const spare = new Float64Array(1);
    kernels().fillNormal(state, i === 0 ? out : out.subarray(i), mean, std, spare);
    this.x = Xoshiro.load(state);
    this.spareNormal = Number.isNaN(spare[0]!) ? null : spare[0]!;
    return out;
  }

  /** Fills `out` with U(low, high) samples. */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * this.uniform();
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
  }

  /** Internal state, for checkpoints: restoring it resumes the exact stream. */
  getState(): number[] {
    return [...this.x.words(), this.spareNormal ?? Number.NaN];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new ConfigError(`Rng state must have 5 numbers, got ${state.length}`, 'the saved generator state is damaged: restore trainer.json or start a new run');
    this.x = new Xoshiro(state[0]! | 0, state[1]! | 0, state[2]! | 0, state[3]! | 0);
    this.spareNormal = Number.isNaN(state[4]!) ? null : state[4]!;
  }
}

const pair = new Float64Array(2); // normal()'s Box-Muller output

let globalRng = new Rng(42);

/** The default generator used when an API is not given one (like torch's default generator). */
export function defaultRng(): Rng {
  return globalRng;
}

/** Re-seeds the default generator, like torch.manual_seed. */
export function manualSeed(seed: number): Rng {
  globalRng = new Rng(seed);
  return globalRng;
}
