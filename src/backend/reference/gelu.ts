/**
 * Reference GELU, exact erf form: gelu(x) = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
 * PyTorch's default (approximate='none'). JavaScript has no Math.erf, so `erf` is computed here
 * to double precision: a Maclaurin series near zero and a continued fraction for erfc in the tails.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;

/** erf(x) to about 1e-15 absolute. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) by backward recurrence.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + (k / 2) / f;
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return x > 0 ? 1 - erfc : erfc - 1;
}

export function geluForward(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    y[i] = 0.5 * xi * (1 + erf(xi * INV_SQRT2));
  }
}

export function geluBackward(x: Float32Array, gy: Float32Array, gx: Float32Array, accumulate: boolean): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const cdf = 0.5 * (1 + erf(xi * INV_SQRT2));
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * xi * xi);
    const g = gy[i]! * (cdf + xi * pdf);
    gx[i] = accumulate ? gx[i]! + g : g;
  }
}
