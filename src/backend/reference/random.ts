/**
 * Reference normal sampling: the definition of the standard normals of tensor/rng.ts, so that a
 * native kernel can draw the very same numbers (a model's initial weights are identical on every
 * backend). Box-Muller on two uniforms with 24-bit resolution, u = k / 2^24 for k the top 24 bits of
 * a xoshiro128** output (k1 = 0 is skipped, drawing again):
 *   z1 = r cos(2π u2), z2 = r sin(2π u2), r = sqrt(-2 ln u1).
 * ln, sin and cos are not Math.log/sin/cos, whose last bit differs between engines and C libraries:
 * they are computed here from +, -, *, / and sqrt only (each exactly rounded IEEE double), with
 * tables built the same way, so any implementation that follows these steps in this order gets
 * the same bits. Errors are a few double ulps, far below the float32 the samples are stored in.
 *   ln u1 = (e - 24) ln 2 + ln(1 + i/2^11) + log1p(x): k1 = 2^e (1 + i/2^11) (1 + x), |x| < 2^-11,
 *           with log1p(x) a degree-5 polynomial;
 *   2π u2 = quadrant q (top 2 bits of k2) + θa + θb (next 11 and last 11 bits), with sin and cos of
 *           θa and θb from two tables and the angle-addition formulas.
 */
import { Xoshiro } from './xoshiro.js';

// Tables, built once from series (deterministic: basic operations in a fixed order).
const TWO_PI = 6.283185307179586; // 2 * Math.PI
const LN2 = 0.6931471805599453; // Math.LN2

/** ln(1 + i/2^11) for i < 2^11, by 2 atanh(s), s = i / (2^12 + i), summed as a series in s². */
const LOG_TABLE = new Float64Array(2048);
/** sin and cos of θa = 2π a / 2^13 (a < 2^11, a quarter turn) and θb = 2π b / 2^24 (b < 2^11). */
const SIN_A = new Float64Array(2048);
const COS_A = new Float64Array(2048);
const SIN_B = new Float64Array(2048);
const COS_B = new Float64Array(2048);

function sinSeries(x: number): number {
  // x (1 - x²/3! (1 - x²/(4·5) (1 - ...))) with 14 terms: |x| <= π/2 leaves under 1e-21.
  const x2 = x * x;
  let acc = 1;
  for (let k = 13; k >= 1; k--) acc = 1 - (x2 / ((2 * k) * (2 * k + 1))) * acc;
  return x * acc;
}

function cosSeries(x: number): number {
  const x2 = x * x;
  let acc = 1;
  for (let k = 13; k >= 1; k--) acc = 1 - (x2 / ((2 * k - 1) * (2 * k))) * acc;
  return acc;
}

for (let i = 0; i < 2048; i++) {
  const s = i / (4096 + i);
  const s2 = s * s;
  let acc = 1 / 45;
  for (let k = 21; k >= 0; k--) acc = acc * s2 + 1 / (2 * k + 1);
  LOG_TABLE[i] = 2 * s * acc;
  const a = (TWO_PI * i) / 8192;
  SIN_A[i] = sinSeries(a);
  COS_A[i] = cosSeries(a);
  const b = (TWO_PI * i) / 16777216;
  SIN_B[i] = sinSeries(b);
  COS_B[i] = cosSeries(b);
}

/** ln(k / 2^24) for an integer 0 < k < 2^24. */
function logUniform(k: number): number {
  const e = 31 - Math.clz32(k); // k = 2^e * m, 1 <= m < 2
  const kn = k << (23 - e); // m * 2^23, in [2^23, 2^24)
  const i = (kn >>> 12) & 2047; // top 11 bits of m's fraction
  const lo = kn & 4095; // the other 12
  const x = lo / ((2048 + i) * 4096); // m = (1 + i/2^11)(1 + x)
  const p = x * (1 + x * (-0.5 + x * (0.3333333333333333 + x * (-0.25 + x * 0.2))));
  return ((e - 24) * LN2 + LOG_TABLE[i]!) + p;
}

/** Box-Muller on k1 (0 < k1 < 2^24) and k2 (< 2^24): pair[0] = r cos, pair[1] = r sin. */
export function boxMuller(k1: number, k2: number, pair: Float64Array): void {
  const r = Math.sqrt(-2 * logUniform(k1));
  const j = k2 & 0x3fffff;
  const sa = SIN_A[j >>> 11]!, ca = COS_A[j >>> 11]!;
  const sb = SIN_B[j & 2047]!, cb = COS_B[j & 2047]!;
  const s = sa * cb + ca * sb; // sin(θa + θb)
  const c = ca * cb - sa * sb; // cos(θa + θb)
  switch (k2 >>> 22) { // + q quarter turns
    case 0: pair[0] = r * c; pair[1] = r * s; break;
    case 1: pair[0] = -(r * s); pair[1] = r * c; break;
    case 2: pair[0] = -(r * c); pair[1] = -(r * s); break;
    default: pair[0] = r * s; pair[1] = -(r * c); break;
  }
}

export function fillNormal(state: Int32Array, out: Float32Array, mean: number, std: number, spare: Float64Array): void {
  const g = Xoshiro.load(state);
  const pair = new Float64Array(2);
  spare[0] = Number.NaN;
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    // Two 24-bit draws as Rng.normal takes them: k1 until nonzero, then k2.
    let k1 = g.next24();
    while (k1 === 0) k1 = g.next24();
    const k2 = g.next24();
    boxMuller(k1, k2, pair);
    out[i] = mean + std * pair[0]!;
    if (i + 1 < n) out[i + 1] = mean + std * pair[1]!;
    else spare[0] = pair[1]!;
  }
  g.store(state);
}
