/**
 * The README's performance tables, generated from the benchmarks' JSON results
 * (bench/results/sgemm.json, trainStep.json, architectures.json and threads.json), so the figures
 * there are the ones a run wrote. Where a result carries the machine's peak measured in the same
 * run, kernels and steps are also given as a fraction of it; older results without it show "–".
 *
 *   node dist/bench/report.js                 prints the Markdown tables
 *   node dist/bench/report.js --write FILE    replaces each table in FILE between its markers,
 *                                             <!-- bench:NAME --> … <!-- /bench:NAME -->
 *
 * `npm run bench` prints them at the end. A result file that is missing leaves its table alone.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeModel, type AnyModelConfig } from '../src/models/registry.js';
import { threadsTable, type ThreadsResults } from './threadsReport.js';

const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

/** The peak probe's result as the benchmarks store it (backend/native/peak.ts). */
export interface PeakSide {
  available: boolean;
  fmaGflops?: number;
  readGBs?: number;
  triadGBs?: number;
  threads?: number;
  reason?: string;
}

interface SgemmResults {
  date: string;
  loadAverage?: number[];
  peak?: { start: PeakSide; end: PeakSide };
  native: { vectorWidth: string; threads: number } | null;
  torch: string | null;
  results: { name: string; M: number; N: number; K: number; nativeGflops: number; torchGflops: number | null; referenceGflops: number | null }[];
}
interface StepSide {
  tokensPerSecond?: number;
  cpuSeconds?: number[];
  loadAverage?: [number, number];
  secondsPerStep?: number;
  firstStepSeconds?: number;
  stepSeconds?: number[];
  peakRssBytes?: number;
  microRows?: number | null;
  usefulFlops?: number[];
  usefulBytes?: number[];
  peak?: PeakSide;
  error?: string;
}
interface StepResults {
  date: string;
  steps: number;
  torchSteps?: number;
  backend: string;
  torch: { version: string | null; threads: number | null } | null;
  results: { model: string; batchSize: number; T: number; tokensPerStep: number; slmkit: StepSide; torch: StepSide | null;
    torchAccumulated: StepSide | null; ratio: number | null; ratioAccumulated: number | null; parameters?: number }[];
}

const num = (x: number): string => Math.round(x).toLocaleString('en');
const gb = (n: number | undefined): string => (n === undefined ? '–' : `${(n / 1e9).toFixed(2)} GB`);
const day = (iso: string): string => iso.slice(0, 10);
const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** The higher FMA peak of those given (GFLOP/s), or null when none was measured. */
export function bestPeak(...peaks: (PeakSide | undefined)[]): number | null {
  const g = peaks.map((p) => (p?.available && p.fmaGflops && Number.isFinite(p.fmaGflops) ? p.fmaGflops : 0));
  const m = Math.max(0, ...g);
  return m > 0 ? m : null;
}

/** Per-step amounts over the timed steps (the warm-up left out) per second, or null. */
function perSecond(amounts: number[] | undefined, seconds: number[] | undefined): number | null {
  if (!amounts || !seconds || amounts.length !== seconds.length || amounts.length === 0) return null;
  const from = seconds.length > 1 ? 1 : 0;
  const total = amounts.slice(from).reduce((a, x) => a + x, 0);
  const secs = seconds.slice(from).reduce((a, x) => a + x, 0);
  return secs > 0 ? total / secs : null;
}

/** A step side's achieved work against the peak its own process measured (nulls where not recorded). */
export interface PeakShare {
  /** Useful GFLOP/s over the timed steps, and as a fraction of the FMA peak. */
  gflops: number | null;
  peakGflops: number | null;
  fraction: number | null;
  /** For a bandwidth-bound model: its least memory traffic in GB/s, and as a fraction of the triad bandwidth. */
  gbs: number | null;
  triadGBs: number | null;
  bandwidthFraction: number | null;
}

export function peakShare(o: StepSide | null): PeakShare {
  const ok = o !== null && !o.error;
  const peakGflops = ok ? bestPeak(o.peak) : null;
  const flops = ok ? perSecond(o.usefulFlops, o.stepSeconds) : null;
  const bytes = ok ? perSecond(o.usefulBytes, o.stepSeconds) : null;
  const triad = ok && o.peak?.available && o.peak.triadGBs ? o.peak.triadGBs : null;
  const gflops = flops === null ? null : flops / 1e9;
  const gbs = bytes === null ? null : bytes / 1e9;
  return {
    gflops, peakGflops, fraction: gflops !== null && peakGflops ? gflops / peakGflops : null,
    gbs, triadGBs: triad, bandwidthFraction: gbs !== null && triad ? gbs / triad : null,
  };
}

/**
 * "181 GFLOP/s, 77% of 234"; for a step without matrix products, its memory traffic against the
 * triad bandwidth ("38 GB/s, 90% of triad 43") or "– (no products)"; else "–".
 */
function peakCell(o: StepSide | null): string {
  const p = peakShare(o);
  if (p.gflops === null && p.gbs === null) return '–';
  if (!p.gflops) {
    if (p.gbs === null) return '– (no products)';
    return `${p.gbs.toFixed(0)} GB/s moved${p.bandwidthFraction === null ? '' : `, ${pct(p.bandwidthFraction)} of triad ${p.triadGBs!.toFixed(0)}`}`;
  }
  return p.fraction === null ? `${p.gflops.toFixed(0)} GFLOP/s` : `${p.gflops.toFixed(0)} GFLOP/s, ${pct(p.fraction)} of ${p.peakGflops!.toFixed(0)}`;
}

/** The peaks the steps' processes measured, for a table's caption: "peak 229–236 GFLOP/s fp32 FMA, …". */
function peakCaption(sides: (StepSide | null)[]): string {
  const ps = sides.map((o) => (o && !o.error && o.peak?.available ? o.peak : null)).filter((p): p is PeakSide => p !== null);
  if (ps.length === 0) return '';
  const range = (xs: number[], d: number) => {
    const lo = Math.min(...xs).toFixed(d);
    const hi = Math.max(...xs).toFixed(d);
    return lo === hi ? lo : `${lo}–${hi}`;
  };
  const bw = ps.filter((p) => p.readGBs !== undefined && p.triadGBs !== undefined);
  const bytes = sides.some((o) => o && !o.error && o.usefulBytes);
  return `; the machine's fp32 FMA peak, measured by each model's process before its steps on ${ps[0]!.threads ?? '?'} threads: ` +
    `${range(ps.map((p) => p.fmaGflops ?? 0), 0)} GFLOP/s${bw.length ? ` (memory: read ${range(bw.map((p) => p.readGBs!), 1)} GB/s, ` +
    `triad ${range(bw.map((p) => p.triadGBs!), 1)} GB/s)` : ''}; useful FLOPs: matrix products over real tokens, forward + backward` +
    `${bytes ? '; GB/s moved: the least memory traffic of a step without products (exact AdamW over the table, the loss\'s rows)' : ''} ` +
    '(src/models/flops.ts)';
}

/** A results file, or null (with a note) when it is missing or not valid JSON. */
function readJson<T>(name: string): T | null {
  const file = `${resultsDir}${name}.json`;
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    console.error(`${file} is not valid JSON (${(e as Error).message}); its table is left out — run that benchmark again`);
    return null;
  }
}

/** The sgemm table: GFLOP/s of slmkit and OpenBLAS on each shape, and their ratio. */
export function sgemmTable(r: SgemmResults): string {
  const peak = bestPeak(r.peak?.start, r.peak?.end);
  const lines = [row(['shape', 'M × N × K', 'slmkit GFLOP/s', 'of peak', 'PyTorch (OpenBLAS) GFLOP/s', 'ratio']), row(['---', '---', '---', '---', '---', '---'])];
  for (const s of r.results) {
    const ratio = s.torchGflops ? `${(s.nativeGflops / s.torchGflops).toFixed(2)}×` : '–';
    const torch = s.torchGflops === null ? '–' : s.torchGflops.toFixed(0);
    const ref = s.referenceGflops === null ? '' : ` (reference backend ${s.referenceGflops.toFixed(1)})`;
    lines.push(row([s.name.replace(/ \(\+reference\)$/, ''), `${s.M} × ${s.N} × ${s.K}`, `${s.nativeGflops.toFixed(0)}${ref}`,
      peak === null ? '–' : pct(s.nativeGflops / peak), torch, ratio]));
  }
  const load = r.loadAverage?.[0];
  lines.push('', `Measured ${day(r.date)} (\`node dist/bench/sgemm.bench.js\`), best of the repeats, ${r.native ? `${r.native.threads} threads, ${r.native.vectorWidth}` : 'native addon missing'}; ` +
    `${r.torch ?? 'PyTorch not installed'}${load === undefined ? '' : `; load average ${load.toFixed(2)} at the start`}` +
    `${peak === null ? '' : `; of peak: of the fp32 FMA peak measured in the same run (${peak.toFixed(0)} GFLOP/s, the higher of its start and end)`}.`);
  return lines.join('\n');
}

function stepCell(o: StepSide | null): string {
  if (o === null) return '–';
  if (o.error) return o.error === 'out of memory' ? 'out of memory' : 'failed';
  const steps = (o.stepSeconds ?? []).slice(1);
  const secs = (x: number): string => x.toFixed(x < 10 ? 2 : 1);
  const lo = Math.min(...steps);
  const hi = Math.max(...steps);
  const range = steps.length > 1 && secs(lo) !== secs(hi) ? `${secs(lo)}–${secs(hi)}` : secs(o.secondsPerStep!);
  return `${num(o.tokensPerSecond!)} (${range} s/step)`;
}

/** The training-step table: tokens/s and peak RSS of slmkit and of the notebook's PyTorch code. */
export function trainStepTable(r: StepResults): string {
  const lines = [
    row(['model', 'batch', 'real tokens / step', 'slmkit tokens/s', 'PyTorch tokens/s', 'ratio', 'slmkit useful work, of peak', 'slmkit peak RSS', 'PyTorch peak RSS']),
    row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ];
  for (const m of r.results) {
    let torch = stepCell(m.torch);
    let ratio = m.ratio;
    let torchRss = m.torch ? `${gb(m.torch.peakRssBytes)}${m.torch.error ? ' at failure' : ''}` : '–';
    if (m.torchAccumulated && !m.torchAccumulated.error) {
      torch = `${stepCell(m.torchAccumulated)}, accumulating ${m.torchAccumulated.microRows} rows (the notebook's step: ${stepCell(m.torch)})`;
      ratio = m.ratioAccumulated;
      torchRss = `${gb(m.torchAccumulated.peakRssBytes)} (${torchRss})`;
    }
    const first = m.slmkit.firstStepSeconds === undefined ? '' : `; first ${m.slmkit.firstStepSeconds.toFixed(1)} s`;
    lines.push(row([`\`${m.model}\``, `${m.batchSize} × ${m.T}`, num(m.tokensPerStep), `${stepCell(m.slmkit)}${first}`,
      torch, ratio === null ? '–' : `${ratio.toFixed(1)}×`, peakCell(m.slmkit), gb(m.slmkit.peakRssBytes), torchRss]));
  }
  const torch = r.torch ? `PyTorch ${r.torch.version ?? '?'}, ${r.torch.threads ?? '?'} threads` : 'PyTorch not run';
  const torchSteps = r.torchSteps !== undefined && r.torchSteps < r.steps ? ` (PyTorch: the first ${r.torchSteps})` : '';
  lines.push('', `Measured ${day(r.date)} (\`node dist/bench/trainStep.bench.js\`): ${r.steps} steps per model${torchSteps}, ` +
    `the first a warm-up; tokens/s counts real targets over the timed steps; slmkit on the ${r.backend} backend; ${torch}` +
    `${peakCaption(r.results.map((m) => m.slmkit))}.`);
  return lines.join('\n');
}

interface ArchResults {
  date: string;
  steps: number;
  torchSteps: number;
  batchSize: number;
  width: number;
  backend: string;
  loadAverage?: { start: number[]; end: number[] };
  torch: { version: string | null; threads: number | null } | null;
  results: { model: string; config: Record<string, unknown>; batchSize: number; T: number; tokensPerStep: number; slmkit: StepSide;
    torch: StepSide | null; torchAccumulated: StepSide | null; ratio: number | null; ratioAccumulated: number | null }[];
}

/** CPU seconds per timed step (the warm-up left out), or null when the side did not record them. */
function cpuPerStep(o: StepSide | null): number | null {
  const c = o?.cpuSeconds;
  if (!c || o?.error) return null;
  const timed = c.length > 1 ? c.slice(1) : c;
  return timed.reduce((a, x) => a + x, 0) / timed.length;
}

/**
 * The architectures table: each of mlp, cnn, rnn, lstm and gru against its PyTorch twin on the same
 * batches (tokens/s, ratio, CPU seconds per step), and each recurrent model's tokens/s as a share of
 * the transformer's at the same width.
 */
export function architecturesTable(r: ArchResults): string {
  const lines = [
    row(['model', 'size', 'slmkit tokens/s', 'PyTorch tokens/s', 'ratio', 'slmkit useful work, of peak', 'CPU s / step (slmkit, PyTorch)', 'load (slmkit, PyTorch)', 'vs transformer']),
    row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ];
  const tf = r.results.find((m) => m.model === 'transformer');
  const tfTps = tf && !tf.slmkit.error ? tf.slmkit.tokensPerSecond ?? null : null;
  for (const m of r.results) {
    const accumulated = m.torch?.error && m.torchAccumulated && !m.torchAccumulated.error;
    const torchSide = accumulated ? m.torchAccumulated : m.torch;
    let torch = stepCell(torchSide);
    if (accumulated) torch += `, accumulating ${m.torchAccumulated!.microRows} rows (the notebook's step: ${stepCell(m.torch)})`;
    const ratio = accumulated ? m.ratioAccumulated : m.ratio;
    const cs = cpuPerStep(m.slmkit);
    const ct = cpuPerStep(torchSide);
    const cpu = cs === null ? '–' : `${cs.toFixed(1)}, ${ct === null ? '–' : ct.toFixed(1)}`;
    const ld = (o: StepSide | null) => (o?.loadAverage ? o.loadAverage.map((x) => x.toFixed(1)).join('–') : '–');
    const s = m.slmkit.error ? null : m.slmkit.tokensPerSecond ?? null;
    const vs = m.model === 'transformer' ? 'the reference'
      : ['rnn', 'lstm', 'gru'].includes(m.model) && s !== null && tfTps ? `${(s / tfTps).toFixed(2)}×` : '';
    lines.push(row([`\`${m.model}\``, describeModel(m.config as unknown as AnyModelConfig), stepCell(m.slmkit),
      m.model === 'transformer' && !m.torch ? '(not run)' : torch, ratio === null ? '–' : `${ratio.toFixed(1)}×`, peakCell(m.slmkit), cpu,
      `${ld(m.slmkit)}, ${ld(torchSide)}`, vs]));
  }
  const torch = r.torch ? `PyTorch ${r.torch.version ?? '?'}, ${r.torch.threads ?? '?'} threads` : 'PyTorch not run';
  const real = r.results[0] ? num(r.results[0].tokensPerStep) : '?';
  const load = r.loadAverage ? `; load average ${r.loadAverage.start[0]!.toFixed(1)} at the start, ${r.loadAverage.end[0]!.toFixed(1)} at the end` : '';
  lines.push('', `Measured ${day(r.date)} (\`node dist/bench/architectures.bench.js\`): batch ${r.batchSize} × ${r.results[0]?.T ?? '?'} ` +
    `(${real} real targets per timed step), ${r.steps} steps per model (PyTorch: the first ${r.torchSteps}), the first a warm-up; ` +
    `slmkit on the ${r.backend} backend; ${torch}${load}${peakCaption(r.results.map((m) => m.slmkit))}.`);
  return lines.join('\n');
}

/** Every table whose results exist, by marker name. */
export function tables(): Map<string, string> {
  const out = new Map<string, string>();
  const sg = readJson<SgemmResults>('sgemm');
  if (sg) out.set('sgemm', sgemmTable(sg));
  const ts = readJson<StepResults>('trainStep');
  if (ts) out.set('trainStep', trainStepTable(ts));
  const ar = readJson<ArchResults>('architectures');
  if (ar) out.set('architectures', architecturesTable(ar));
  const th = readJson<ThreadsResults>('threads');
  if (th) out.set('threads', threadsTable(th));
  return out;
}

/** `text` with the block between <!-- bench:NAME --> and <!-- /bench:NAME --> replaced by `table`. */
export function replaceBlock(text: string, name: string, table: string): { text: string; found: boolean } {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) return { text, found: false };
  return { text: `${text.slice(0, a + open.length)}\n${table}\n${text.slice(b)}`, found: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t = tables();
  const target = process.argv[2] === '--write' ? process.argv[3] : undefined;
  if (process.argv[2] === '--write' && !target) {
    console.error('usage: node dist/bench/report.js [--write README.md]');
    process.exit(2);
  }
  if (!target) {
    for (const [name, table] of t) console.log(`<!-- bench:${name} -->\n${table}\n<!-- /bench:${name} -->\n`);
  } else {
    let text = readFileSync(target, 'utf8');
    for (const [name, table] of t) {
      const r = replaceBlock(text, name, table);
      console.log(r.found ? `${target}: ${name} table updated` : `${target}: no <!-- bench:${name} --> block; left alone`);
      text = r.text;
    }
    writeFileSync(`${target}.tmp`, text);
    renameSync(`${target}.tmp`, target);
  }
}
