/**
 * Axis scales and ticks for the charts: linear and base-10 logarithmic maps from data to pixels,
 * "nice" tick values (1, 2, 2.5 or 5 times a power of ten) so labels read as round numbers, and
 * short tick labels (12k, 1.5M). Pure functions, browser-safe.
 */

export interface Scale {
  /** Data value → pixel. */
  (v: number): number;
  readonly domain: readonly [number, number];
  readonly ticks: number[];
  readonly log: boolean;
}

/** A round step near (max - min) / count: 1, 2, 2.5 or 5 × 10^k. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

/** Ticks at multiples of a nice step; the domain grows to the first and last tick. */
export function linearScale(min: number, max: number, r0: number, r1: number, count = 6): Scale {
  if (!(max > min)) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.05 : 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; lo + k * step <= hi + step * 1e-9; k++) ticks.push(+(lo + k * step).toPrecision(12));
  const f = ((v: number) => r0 + ((v - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  return Object.assign(f, { domain: [lo, hi] as const, ticks, log: false });
}

/** Base-10 log scale over positive values; ticks at powers of ten (and 2×, 5× when few decades). */
export function logScale(min: number, max: number, r0: number, r1: number): Scale {
  const lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (hi === lo) hi = lo + 1;
  const ticks: number[] = [];
  const decades = hi - lo;
  for (let e = lo; e <= hi; e++) {
    for (const m of decades <= 2 ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v <= 10 ** hi) ticks.push(+v.toPrecision(12));
    }
  }
  const f = ((v: number) => r0 + ((Math.log10(v) - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  return Object.assign(f, { domain: [10 ** lo, 10 ** hi] as const, ticks, log: true });
}

/** A short label: 0, 0.5, 12, 1,500 → 1.5k, 2,000,000 → 2M. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(+x.toPrecision(3));
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}
