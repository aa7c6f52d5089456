/**
 * The loss chart as SVG text: training loss (raw, faint, and smoothed) and test loss of one or
 * more runs on shared axes, count-based runs as horizontal reference lines at their test loss,
 * and a legend beside the plot (never over the curves). Splits differ by more than colour, so the
 * chart reads in greyscale: train is a solid line, test a dashed line with hollow circles, a
 * counted model a dotted line. Pure string building, browser-safe (the web page draws the same).
 */
import type { CurvePoint, RunCurves } from './metrics.js';
import { smoothingWindow, smoothLosses } from './metrics.js';
import { formatTick, linearScale, logScale, type Scale } from './scale.js';

export type XAxis = 'steps' | 'tokens' | 'seconds';

export interface LossChartOptions {
  /** What the x axis counts (default steps). */
  x?: XAxis;
  /** Logarithmic x axis. */
  logX?: boolean;
  /** Title above the plot (default "Loss per token"). */
  title?: string;
  width?: number;
  height?: number;
}

/** Colour-blind-safe colours (Okabe & Ito), dark enough on white. */
export const runColors = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

const font = "font-family=\"DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif\"";
const maxPoints = 1500;

/** Escapes text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : `…${s.slice(s.length - n + 1)}`;
}

interface XSpec {
  get: (p: CurvePoint) => number;
  label: string;
}

function xSpec(kind: XAxis, maxSeconds: number): XSpec {
  switch (kind) {
    case 'steps':
      return { get: (p) => p.step, label: 'training steps' };
    case 'tokens':
      return { get: (p) => p.tokens, label: 'training tokens seen' };
    case 'seconds':
      return maxSeconds >= 180
        ? { get: (p) => p.seconds / 60, label: 'training time (minutes)' }
        : { get: (p) => p.seconds, label: 'training time (seconds)' };
    default:
      throw new Error(`unknown x axis ${kind satisfies never as string}`);
  }
}

function path(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

/** Every `stride`-th point (and the last), so a long run stays a small file. */
function thin<T>(xs: T[]): T[] {
  if (xs.length <= maxPoints) return xs;
  const stride = Math.ceil(xs.length / maxPoints);
  const out = xs.filter((_, i) => i % stride === 0);
  if (out[out.length - 1] !== xs[xs.length - 1]) out.push(xs[xs.length - 1]!);
  return out;
}

/** The chart as a standalone SVG document. */
export function lossChartSvg(runs: readonly RunCurves[], o: LossChartOptions = {}): string {
  if (runs.length === 0) throw new Error('lossChartSvg needs at least one run');
  const W = o.width ?? 960;
  const H = o.height ?? 540;
  const legendW = 250;
  const x0 = 78;
  const x1 = W - legendW - 16;
  const y0 = 52;
  const y1 = H - 66;
  const maxSeconds = Math.max(0, ...runs.flatMap((r) => r.train.map((p) => p.seconds)));
  const xs = xSpec(o.x ?? 'steps', maxSeconds);
  const keep = (p: CurvePoint) => !o.logX || xs.get(p) > 0;

  const curves = runs.map((r) => {
    const train = r.train.filter(keep);
    const smooth = smoothLosses(r.train.map((p) => p.loss), smoothingWindow(r.train.length)).filter((_, i) => keep(r.train[i]!));
    return { run: r, train, smooth, test: r.test.filter(keep) };
  });
  const allX = curves.flatMap((c) => [...c.train, ...c.test].map(xs.get));
  const allY = [
    ...curves.flatMap((c) => [...c.train, ...c.test].map((p) => p.loss)),
    ...runs.flatMap((r) => (r.reference !== undefined ? [r.reference] : [])),
  ].filter(Number.isFinite);
  const hasX = allX.length > 0;
  const xScale: Scale = !hasX ? linearScale(0, 1, x0, x1)
    : o.logX ? logScale(Math.min(...allX), Math.max(...allX), x0, x1)
      : linearScale(Math.min(0, ...allX), Math.max(...allX), x0, x1, 7);
  const yLo = allY.length ? Math.min(...allY) : 0;
  const yHi = allY.length ? Math.max(...allY) : 1;
  const yScale = linearScale(yLo - (yHi - yLo) * 0.03, yHi + (yHi - yLo) * 0.03, y1, y0, 6);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${font} font-size="13">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${x0}" y="30" font-size="17" font-weight="bold" fill="#111">${escapeXml(o.title ?? 'Loss per token')}</text>`);
  out.push(`<defs><clipPath id="plot-area"><rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/></clipPath></defs>`);

  // Grid and axes.
  out.push('<g class="axis y">');
  for (const t of yScale.ticks) {
    const y = yScale(t).toFixed(1);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text class="tick" x="${x0 - 8}" y="${y}" dy="4" text-anchor="end" fill="#333">${formatTick(t)}</text>`);
  }
  out.push(`<text class="axis-title" transform="translate(22 ${((y0 + y1) / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" fill="#111">loss (nats per token)</text>`);
  out.push('</g>');
  out.push('<g class="axis x">');
  if (hasX) {
    for (const t of xScale.ticks) {
      const x = xScale(t).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y1}" stroke="#eeeeee"/>`);
      out.push(`<text class="tick" x="${x}" y="${y1 + 20}" text-anchor="middle" fill="#333">${formatTick(t)}</text>`);
    }
  }
  const xTitle = hasX ? `${xs.label}${o.logX ? ', log scale' : ''}` : 'counted models only: no training curve';
  out.push(`<text class="axis-title" x="${((x0 + x1) / 2).toFixed(1)}" y="${H - 18}" text-anchor="middle" fill="#111">${escapeXml(xTitle)}</text>`);
  out.push('</g>');
  out.push(`<path d="M${x0},${y0}V${y1}H${x1}" fill="none" stroke="#222" stroke-width="1"/>`);

  // Series: lines clipped to the plot area; test markers unclipped (one may sit on the axis end).
  curves.forEach((c, i) => {
    const color = runColors[i % runColors.length]!;
    out.push(`<g class="series" data-run="${escapeXml(c.run.name)}">`);
    out.push('<g clip-path="url(#plot-area)">');
    if (c.run.reference !== undefined) {
      const y = yScale(c.run.reference).toFixed(1);
      out.push(`<path class="reference" d="M${x0},${y}H${x1}" fill="none" stroke="${color}" stroke-width="2.2" stroke-dasharray="1.5 4" stroke-linecap="round"/>`);
    }
    const trainPts = thin(c.train.map((p, k) => [p, c.smooth[k]!] as const));
    if (trainPts.length > 0) {
      out.push(`<path class="train-raw" d="${path(trainPts.map(([p]) => [xScale(xs.get(p)), yScale(p.loss)]))}" fill="none" stroke="${color}" stroke-width="1" stroke-opacity="0.28"/>`);
      out.push(`<path class="train-smooth" d="${path(trainPts.map(([p, s]) => [xScale(xs.get(p)), yScale(s)]))}" fill="none" stroke="${color}" stroke-width="2.4" stroke-linejoin="round"/>`);
    }
    if (c.test.length > 0) {
      const pts = c.test.map((p) => [xScale(xs.get(p)), yScale(p.loss)] as [number, number]);
      out.push(`<path class="test" d="${path(pts)}" fill="none" stroke="${color}" stroke-width="1.8" stroke-dasharray="7 4"/>`);
      out.push('</g>');
      for (const [x, y] of pts) out.push(`<circle class="test-point" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="#ffffff" stroke="${color}" stroke-width="2"/>`);
    } else out.push('</g>');
    out.push('</g>');
  });

  // Legend: one row per run, then what each line style means.
  const lx = x1 + 22;
  let ly = y0 + 6;
  out.push('<g class="legend">');
  out.push(`<text x="${lx}" y="${ly}" font-weight="bold" fill="#111">runs</text>`);
  ly += 22;
  runs.forEach((r, i) => {
    const color = runColors[i % runColors.length]!;
    const dash = r.reference !== undefined ? ' stroke-dasharray="1.5 4" stroke-linecap="round"' : '';
    const label = r.reference !== undefined ? `${shorten(r.name, 18)}: ${r.reference.toFixed(3)}` : shorten(r.name, 26);
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"${dash}/>`);
    out.push(`<text class="legend-label" x="${lx + 34}" y="${ly}" fill="#111">${escapeXml(label)}</text>`);
    ly += 20;
  });
  ly += 14;
  out.push(`<text x="${lx}" y="${ly}" font-weight="bold" fill="#111">lines</text>`);
  ly += 22;
  const swatch = (y: number, attrs: string) => `<line x1="${lx}" x2="${lx + 26}" y1="${y - 4}" y2="${y - 4}" stroke="#444" ${attrs}/>`;
  const key: [(y: number) => string, string][] = [];
  if (runs.some((r) => r.train.length > 0)) {
    key.push([(y) => swatch(y, 'stroke-width="2.4"'), 'train, smoothed']);
    key.push([(y) => swatch(y, 'stroke-width="1" stroke-opacity="0.35"'), 'train, each step']);
  }
  if (runs.some((r) => r.test.length > 0)) {
    key.push([(y) => `${swatch(y, 'stroke-width="1.8" stroke-dasharray="7 4"')}<circle cx="${lx + 13}" cy="${y - 4}" r="4" fill="#fff" stroke="#444" stroke-width="2"/>`, 'test']);
  }
  if (runs.some((r) => r.reference !== undefined)) {
    key.push([(y) => swatch(y, 'stroke-width="2.2" stroke-dasharray="1.5 4" stroke-linecap="round"'), 'counted model, test']);
  }
  for (const [shape, label] of key) {
    out.push(shape(ly));
    out.push(`<text class="legend-key" x="${lx + 34}" y="${ly}" fill="#111">${label}</text>`);
    ly += 20;
  }
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
