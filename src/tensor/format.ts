/**
 * A tensor's values as text, the way PyTorch prints them in a notebook: nested brackets with
 * aligned columns, and past 1,000 elements only the first and last three entries of each
 * dimension with `...` between them, so a (128, 512) batch of ids prints in a few lines. Floats
 * get four decimals (an exponent from 1e8 up). Browser-safe; Tensor.toString stays the short
 * shape-and-dtype form used in error messages.
 */
import type { Tensor } from './tensor.js';

export interface FormatOptions {
  /** Entries shown at each end of a summarised dimension (PyTorch's edgeitems, default 3). */
  edgeItems?: number;
  /** Summarise when the tensor has more elements than this (PyTorch's threshold, default 1000). */
  threshold?: number;
  /** Decimals of float entries (default 4). */
  precision?: number;
}

/** Positions of a dimension of length n to show; null marks the `...` gap. */
function shownIndices(n: number, edge: number, summarise: boolean): (number | null)[] {
  const all = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return summarise && n > 2 * edge ? [...all(0, edge), null, ...all(n - edge, n)] : all(0, n);
}

/** `tensor([[ 101, 1103, ...,    0,    0]])`: the values of `t`, summarised when large. */
export function formatTensor(t: Tensor, o: FormatOptions = {}): string {
  const edge = o.edgeItems ?? 3;
  const precision = o.precision ?? 4;
  const summarise = t.size > (o.threshold ?? 1000);
  const entry = (v: number): string => {
    if (t.dtype === 'int32') return String(v);
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
    return Math.abs(v) >= 1e8 ? v.toExponential(precision) : v.toFixed(precision);
  };
  const shape = t.shape;
  if (shape.length === 0) return `tensor(${entry(t.data[0]!)})`;
  if (t.size === 0) return `tensor([], shape=[${shape.join(', ')}])`;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const shown = shape.map((n) => shownIndices(n, edge, summarise));
  // One width for every entry shown, so columns line up as PyTorch's do.
  let width = 0;
  const visit = (d: number, offset: number): void => {
    for (const i of shown[d]!) {
      if (i === null) continue;
      if (d === shape.length - 1) width = Math.max(width, entry(t.data[offset + i]!).length);
      else visit(d + 1, offset + i * strides[d]!);
    }
  };
  visit(0, 0);
  const prefix = 'tensor(';
  const render = (d: number, offset: number): string => {
    const last = d === shape.length - 1;
    const parts = shown[d]!.map((i) => {
      if (i === null) return '...';
      return last ? entry(t.data[offset + i]!).padStart(width) : render(d + 1, offset + i * strides[d]!);
    });
    // Rows of a matrix on their own lines, blocks of higher dimensions a blank line apart.
    const sep = last ? ', ' : `,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(prefix.length + d + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  return `${prefix}${render(0, 0)})`;
}
