/**
 * Fast deterministic fill in [-scale/2, scale/2) for benchmarks: they need data, not good
 * randomness (a linear congruential step per element).
 */
export function filled(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 4294967296 - 0.5) * scale;
  }
  return a;
}
