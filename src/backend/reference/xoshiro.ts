/**
 * xoshiro128** (Blackman & Vigna) on four 32-bit words, exact in JavaScript without BigInt: the
 * one stepper behind tensor/rng.ts's Rng and the reference kernels that must draw Rng's numbers
 * bit for bit (dropout masks, normal draws), which load the state from an Int32Array(4) and store
 * it back at the end, as native/xoshiro.h does for the C++ twins.
 */
export class Xoshiro {
  constructor(private s0: number, private s1: number, private s2: number, private s3: number) {}

  static load(state: Int32Array): Xoshiro {
    return new Xoshiro(state[0]!, state[1]!, state[2]!, state[3]!);
  }

  /** The next output, an unsigned 32-bit integer. */
  next32(): number {
    const x = Math.imul(this.s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** The next output's top 24 bits (what Rng.uniform() scales by 2^-24). */
  next24(): number {
    return this.next32() >>> 8;
  }

  /** The four state words, as signed 32-bit integers. */
  words(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  store(state: Int32Array): void {
    state[0] = this.s0;
    state[1] = this.s1;
    state[2] = this.s2;
    state[3] = this.s3;
  }
}
