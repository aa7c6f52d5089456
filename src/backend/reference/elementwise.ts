/** Reference elementwise kernels: broadcasting add/mul over rows, scaling, reductions over rows. */

export function addBroadcast(x: Float32Array, b: Float32Array, out: Float32Array, R: number, C: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) out[o + c] = x[o + c]! + b[c]!;
  }
}

export function mulBroadcast(x: Float32Array, b: Float32Array, out: Float32Array, R: number, C: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) out[o + c] = x[o + c]! * b[c]!;
  }
}

export function scaleShift(x: Float32Array, s: number, t: number, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * s + t;
}

export function axpy(alpha: number, x: Float32Array, out: Float32Array, accumulate: boolean): void {
  if (accumulate) for (let i = 0; i < x.length; i++) out[i]! += alpha * x[i]!;
  else for (let i = 0; i < x.length; i++) out[i] = alpha * x[i]!;
}

export function sumRows(x: Float32Array, out: Float32Array, R: number, C: number, accumulate: boolean): void {
  if (!accumulate) out.fill(0, 0, C);
  for (let r = 0; r < R; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) out[c]! += x[o + c]!;
  }
}

export function sumRowsProduct(x: Float32Array, y: Float32Array, out: Float32Array, R: number, C: number,
  accumulate: boolean): void {
  if (!accumulate) out.fill(0, 0, C);
  for (let r = 0; r < R; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) out[c]! += x[o + c]! * y[o + c]!;
  }
}

export function dropoutApply(x: Float32Array, mask: Uint8Array, scale: number, out: Float32Array,
  accumulate: boolean): void {
  if (accumulate) for (let i = 0; i < x.length; i++) out[i]! += mask[i] ? x[i]! * scale : 0;
  else for (let i = 0; i < x.length; i++) out[i] = mask[i] ? x[i]! * scale : 0;
}

export function dropoutMask(state: Int32Array, p: number, mask: Uint8Array): void {
  // Rng.uniform() is u / 2^24 on the top 24 bits u of nextUint32(); u / 2^24 >= p is exactly
  // u >= ceil(p * 2^24). The generator is inlined here: a call per element costs more than it.
  const threshold = Math.ceil(p * 16777216);
  let s0 = state[0]!, s1 = state[1]!, s2 = state[2]!, s3 = state[3]!;
  for (let i = 0; i < mask.length; i++) {
    const x = Math.imul(s1, 5);
    const u = Math.imul((x << 7) | (x >>> 25), 9) >>> 8;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    mask[i] = u >= threshold ? 1 : 0;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

export function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}
