/**
 * The README's scaling-with-cores table, from bench/results/threads.json (threads.bench.ts): each
 * probe, sgemm shape and training step at each thread count, and the speedup over one thread.
 * bench/report.ts lists it with the other tables (marker <!-- bench:threads -->).
 */

/** One measured thing at each thread count (values in the order of ThreadsResults.threads). */
export interface ThreadsRow {
  /** kernel: one kernel's time within a model's step (its name; the step in detail). */
  kind: 'peak' | 'sgemm' | 'step' | 'kernel';
  name: string;
  /** Shape, or model and batch. */
  detail: string;
  /** 'GFLOP/s', 'GB/s' or 'tokens/s': higher is better; 'ms' (kernel rows): lower is better. */
  unit: string;
  /** Whether a smaller figure is the better one (times). */
  lowerIsBetter?: boolean;
  values: number[];
}

/** How many times better a figure is than the row's first (one-thread) one; 0 when either is missing. */
export function speedup(r: ThreadsRow, v: number): number {
  const b = r.values[0]!;
  if (!(b > 0) || !(v > 0)) return 0;
  return r.lowerIsBetter ? b / v : v / b;
}

/** threads.json. */
export interface ThreadsResults {
  date: string;
  cpu: string;
  cpus: number;
  vectorWidth: string;
  /** The thread counts compared, the first the baseline (1). */
  threads: number[];
  loadAverage?: { start: number[]; end: number[] };
  rows: ThreadsRow[];
}

/** A figure below this share of the one-thread figure counts as slower (the rest is measurement noise). */
export const SLOWER = 0.95;

const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
const figure = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(1));

/** The table: what, its size, the figure at each thread count, and each count's speedup over the first. */
export function threadsTable(r: ThreadsResults): string {
  const [base, ...more] = r.threads;
  const label = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const header = ['what', 'size', ...r.threads.map(label), ...more.map((n) => `speedup ${label(n)}`)];
  const lines = [row(header), row(header.map(() => '---'))];
  const kinds: Record<ThreadsRow['kind'], string> = { peak: 'probe', sgemm: 'sgemm', step: 'training step', kernel: 'kernel' };
  for (const x of r.rows) {
    const speedups = x.values.slice(1).map((v) => {
      const s = speedup(x, v);
      return s > 0 ? `${s.toFixed(2)}×${s < SLOWER ? ' (slower)' : ''}` : '–';
    });
    const name = x.kind === 'step' ? `\`${x.name}\` ${kinds[x.kind]}` : x.kind === 'kernel' ? `… ${x.name}` : `${kinds[x.kind]}: ${x.name}`;
    const unit = (v: number) => (x.unit === 'ms' ? `${v.toFixed(v >= 100 ? 0 : 1)} ms` : `${figure(v)} ${x.unit}`);
    lines.push(row([name, x.detail, ...x.values.map(unit), ...speedups]));
  }
  const ld = r.loadAverage;
  const load = ld ? `; load average ${ld.start[0]!.toFixed(1)} at the start, ${ld.end[0]!.toFixed(1)} at the end` : '';
  lines.push('', `Measured ${r.date.slice(0, 10)} (\`node dist/bench/threads.bench.js\`) on ${r.cpus} × ${r.cpu}, ${r.vectorWidth}: ` +
    `${r.threads.map(label).join(' and ')} alternated in one process (best of each), the baseline ${label(base ?? 1)}${load}.`);
  return lines.join('\n');
}
