/** Reference elementwise kernels: broadcasting add/mul over rows, scaling, reductions over rows. */
import { Xoshiro } from './xoshiro.js';

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
  // u >= ceil(p * 2^24).
  const threshold = Math.ceil(p * 16777216);
  const g = Xoshiro.load(state);
  for (let i = 0; i < mask.length; i++) mask[i] = g.next24() >= threshold ? 1 : 0;
  g.store(state);
}

export function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}
