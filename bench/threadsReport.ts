/**
 * The README's scaling-with-cores table, from bench/results/threads.json (threads.bench.ts): each
 * probe, sgemm shape and training step at each thread count, and the speedup over one thread.
 * bench/report.ts lists it with the other tables (marker <!-- bench:threads -->).
 */

/** One measured thing at each thread count (values in the order of ThreadsResults.threads). */
export interface ThreadsRow {
  kind: 'peak' | 'sgemm' | 'step';
  name: string;
  /** Shape, or model and batch. */
  detail: string;
  /** 'GFLOP/s', 'GB/s' or 'tokens/s': higher is better. */
  unit: string;
  values: number[];
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
  const kinds: Record<ThreadsRow['kind'], string> = { peak: 'probe', sgemm: 'sgemm', step: 'training step' };
  for (const x of r.rows) {
    const b = x.values[0];
    const speedups = x.values.slice(1).map((v) => {
      if (!b || !(v > 0)) return '–';
      const s = v / b;
      return `${s.toFixed(2)}×${s < SLOWER ? ' (slower)' : ''}`;
    });
    const name = x.kind === 'step' ? `\`${x.name}\` ${kinds[x.kind]}` : `${kinds[x.kind]}: ${x.name}`;
    lines.push(row([name, x.detail, ...x.values.map((v) => `${figure(v)} ${x.unit}`), ...speedups]));
  }
  const ld = r.loadAverage;
  const load = ld ? `; load average ${ld.start[0]!.toFixed(1)} at the start, ${ld.end[0]!.toFixed(1)} at the end` : '';
  lines.push('', `Measured ${r.date.slice(0, 10)} (\`node dist/bench/threads.bench.js\`) on ${r.cpus} × ${r.cpu}, ${r.vectorWidth}: ` +
    `${r.threads.map(label).join(' and ')} alternated in one process (best of each), the baseline ${label(base ?? 1)}${load}.`);
  return lines.join('\n');
}
