/**
 * Training-step throughput and peak memory, side by side with the notebook's PyTorch code
 * (bench/torch_notebook.py) on identical batches: the first BENCH_STEPS batches of the PubMed
 * train split in file order, padded the notebook's way, at the notebook's settings (low-rank and
 * full-rank Markov chain at batch 128, the workshop transformer at batch 64). A step is forward +
 * masked loss + backward + AdamW. The first step is a warm-up (optimizer state is allocated there)
 * and is reported on its own; tokens/s counts real target tokens (the mask) over the other steps.
 *
 * Each model runs in its own child process (this file with --child), then its PyTorch twin, one
 * after the other, so the peak RSS is per model and only one heavy process runs at a time. PyTorch
 * runs under a memory limit: when the notebook's step does not fit, it reports "out of memory" and,
 * for the low-rank model and the transformer, is measured again with gradient accumulation over a
 * quarter of the batch (same gradient, not the notebook's code; labelled as such).
 * Each child also measures the machine's fp32 FMA peak before its steps, and the table gives the
 * step's useful GFLOP/s (matrix products over real tokens, src/models/flops.ts) as a fraction of it.
 * Writes bench/results/trainStep.json.
 *
 *   npx tsc -p . && node dist/bench/trainStep.bench.js
 *   BENCH_STEPS=2 (default: a warm-up and one timed step) · BENCH_TORCH_STEPS=<n> (PyTorch's share of
 *   the same batches; default BENCH_STEPS: PyTorch takes minutes per step) · BENCH_MODELS=lowrank,markov,transformer · BENCH_DATA=<folder>
 *   BENCH_TORCH_FALLBACK=0 (no accumulated re-run) · BENCH_TIMEOUT_S=1800 (per process) · BENCH_TORCH=0 (slmkit alone)
 *   SLM_BACKEND=reference|native selects slmkit's backend, as everywhere.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernels, nativeInfo } from '../src/backend/index.js';
import '../src/backend/native/autoload.js';
import { shiftBatch } from '../src/data/batches.js';
import { openData } from '../src/data/open.js';
import type { ModelType } from '../src/models/registry.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { formatBytes } from '../src/train/memory.js';
import {
  failed, firstBatches, printResult, runTorch as runTorchScript, spawnChild, timeSteps, torchAvailable, writeBatches,
  type Outcome, type StepResult, type StepRow,
} from './steps.js';
import { peakShare } from './report.js';

const dataDir = process.env.BENCH_DATA ?? fileURLToPath(new URL('../../../shared/data/pubmed', import.meta.url));
const steps = Math.max(1, Number(process.env.BENCH_STEPS ?? 2)); // warm-up step included
const torchSteps = Math.max(1, Math.min(steps, Number(process.env.BENCH_TORCH_STEPS ?? steps))); // its first batches
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 1800) * 1000;
const allModels: ModelType[] = ['lowrank', 'markov', 'transformer'];

const runSlmkit = (type: ModelType): Outcome => spawnChild(fileURLToPath(import.meta.url), ['--child', type], timeoutMs);
const runTorch = (type: ModelType, batchesFile: string, microRows = 0): Outcome =>
  runTorchScript(batchesFile, ['--model', type, ...(microRows > 0 ? ['--micro-rows', String(microRows)] : [])], timeoutMs);

type Row = StepRow;

const gb = (n: number | undefined): string => (n === undefined ? '-' : `${(n / 1e9).toFixed(2)} GB`);
const num = (x: number): string => Math.round(x).toLocaleString('en');

async function runParent(): Promise<void> {
  if (!existsSync(join(dataDir, 'train.txt')) && !existsSync(join(dataDir, 'manifest.json'))) {
    console.log(`trainStep: no PubMed data at ${dataDir}; skipped (set BENCH_DATA to a corpus folder)`);
    return;
  }
  const selected = (process.env.BENCH_MODELS ?? allModels.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of selected) if (!allModels.includes(m as ModelType)) throw new Error(`BENCH_MODELS: unknown model '${m}' (use ${allModels.join(', ')})`);
  const fallback = new Set(process.env.BENCH_TORCH_FALLBACK === '0' ? [] : ['lowrank', 'transformer']);

  const data = await openData(dataDir, {
    onProgress: (split, docs) => { if (docs % 5000 === 0) process.stderr.write(`  preparing ${split}: ${docs} documents\n`); },
  });
  const info = nativeInfo();
  const backend = kernels().name;
  console.log(`slmkit backend: ${backend}${info ? ` (${info.threads} threads, ${info.vectorWidth}${info.fallbacks.length ? `, reference fallbacks: ${info.fallbacks.join(', ')}` : ''})` : ''}; ` +
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; data ${data.dir}; ${steps} steps per model (first one a warm-up)` +
    `${torchSteps < steps ? `, ${torchSteps} for PyTorch` : ''}`);
  const haveTorch = torchAvailable();
  if (!haveTorch) console.log(`PyTorch ${process.env.BENCH_TORCH === '0' ? 'left out (BENCH_TORCH=0)' : 'not installed'}: slmkit alone`);

  const tmp = mkdtempSync(join(os.tmpdir(), 'slmkit-trainstep-'));
  const rows: Row[] = [];
  try {
    for (const type of selected as ModelType[]) {
      const tc = resolveTrainConfig(type, {});
      const batches = firstBatches(data.train, tc.batchSize, steps);
      const stepBatches = batches.map(shiftBatch);
      const timedTokens = stepBatches.slice(stepBatches.length > 1 ? 1 : 0).map((b) => b.tokens);
      const T = batches[0]!.ids.shape[1]!;
      console.log(`\n${type}: batch ${tc.batchSize} × ${T} tokens, ${timedTokens.map(num).join(' / ')} real targets per timed step`);
      const slmkit = runSlmkit(type);
      if (!failed(slmkit) && slmkit.backend !== backend) console.log(`  note: the ${type} child ran on the ${String(slmkit.backend)} backend, not ${backend}`);
      let torch: Outcome | null = null;
      let torchAccumulated: Outcome | null = null;
      if (haveTorch) {
        const file = join(tmp, `batches-${tc.batchSize}.json`);
        if (!existsSync(file)) writeBatches(file, data.tokenizer.vocabSize, batches.slice(0, torchSteps));
        process.stderr.write(`  PyTorch ${type}: the notebook's step …\n`);
        torch = runTorch(type, file);
        if (failed(torch)) process.stderr.write(`  PyTorch ${type}: ${torch.error}\n`);
        if (failed(torch) && torch.error === 'out of memory' && fallback.has(type)) {
          const micro = Math.max(1, Math.floor(tc.batchSize / 4));
          process.stderr.write(`  PyTorch ${type}: again with gradient accumulation over ${micro} rows …\n`);
          torchAccumulated = runTorch(type, file, micro);
        }
      }
      const tps = (o: Outcome | null) => (o && !failed(o) ? o.tokensPerSecond : null);
      const s = tps(slmkit);
      const ratio = (o: Outcome | null) => (s !== null && tps(o) ? s / tps(o)! : null);
      rows.push({
        model: type, batchSize: tc.batchSize, T, tokensPerStep: timedTokens.reduce((a, x) => a + x, 0) / timedTokens.length,
        slmkit, torch, torchAccumulated, ratio: ratio(torch), ratioAccumulated: ratio(torchAccumulated),
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // The table.
  const cell = (o: Outcome | null, f: (r: StepResult) => string): string => (o === null ? '-' : failed(o) ? (o.error === 'out of memory' ? 'OOM' : 'failed') : f(o));
  const header = ['model', 'batch', 'tokens/step', 'slmkit tok/s', 'PyTorch tok/s', 'ratio', 'GFLOP/s (of peak)', 'slmkit s/step', 'PyTorch s/step', 'slmkit peak RSS', 'PyTorch peak RSS'];
  const useful = (o: Outcome): string => {
    const p = peakShare(failed(o) ? null : o);
    if (!p.gflops && p.gbs !== null) return `${p.gbs.toFixed(0)} GB/s${p.bandwidthFraction === null ? '' : ` (${(100 * p.bandwidthFraction).toFixed(0)}% triad)`}`;
    if (p.gflops === 0) return '- (no products)';
    return p.gflops === null ? '-' : `${p.gflops.toFixed(0)}${p.fraction === null ? '' : ` (${(100 * p.fraction).toFixed(0)}%)`}`;
  };
  const lines: string[][] = [header];
  for (const r of rows) {
    lines.push([r.model, `${r.batchSize}×${r.T}`, num(r.tokensPerStep), cell(r.slmkit, (x) => num(x.tokensPerSecond)),
      cell(r.torch, (x) => num(x.tokensPerSecond)), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×`, useful(r.slmkit),
      cell(r.slmkit, (x) => x.secondsPerStep.toFixed(2)), cell(r.torch, (x) => x.secondsPerStep.toFixed(2)),
      gb(r.slmkit.peakRssBytes), r.torch ? `${gb(r.torch.peakRssBytes)}${failed(r.torch) ? ' (at failure)' : ''}` : '-']);
    if (r.torchAccumulated) {
      const a = r.torchAccumulated;
      lines.push([`  PyTorch, grad. accumulation over ${(a as { microRows?: number }).microRows ?? '?'} rows`, '', '', '',
        cell(a, (x) => num(x.tokensPerSecond)), r.ratioAccumulated === null ? '-' : `${r.ratioAccumulated.toFixed(2)}×`,
        '', '', cell(a, (x) => x.secondsPerStep.toFixed(2)), '', gb(a.peakRssBytes)]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (i === 0 && l[1] === '' ? 0 : l[i]!.length))));
  console.log('');
  for (const l of lines) {
    if (l[1] === '') console.log(l[0]!.padEnd(widths[0]! + 1 + widths[1]! + 1 + widths[2]! + 1 + widths[3]!) + ' ' +
      l.slice(4).map((c, i) => c.padStart(widths[i + 4]!)).join(' '));
    else console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' '));
  }
  console.log('(tokens/s: real target tokens over the timed steps; ratio: slmkit / PyTorch; GFLOP/s: useful FLOPs (src/models/flops.ts) ' +
    'over the timed steps, of peak: of the fp32 FMA peak its process measured before its steps; RSS: peak resident set of the process)');

  // The project's targets on this machine.
  const targets: { name: string; met: boolean | null; detail: string }[] = [];
  const byModel = new Map(rows.map((r) => [r.model, r]));
  const lr = byModel.get('lowrank');
  if (lr) {
    const useAcc = lr.ratio === null && lr.ratioAccumulated !== null;
    const ratio = lr.ratio ?? lr.ratioAccumulated;
    targets.push({ name: 'lowrank step >= 5x PyTorch tokens/s at batch 128', met: ratio === null ? null : ratio >= 5,
      detail: ratio === null ? 'no PyTorch figure' : `${ratio.toFixed(2)}x${useAcc ? ' (vs PyTorch with gradient accumulation: the notebook\'s step ran out of memory)' : ''}` });
  }
  const mk = byModel.get('markov');
  if (mk) {
    const ok = !failed(mk.slmkit);
    const sps = ok ? (mk.slmkit as StepResult).secondsPerStep : null;
    const rss = mk.slmkit.peakRssBytes;
    targets.push({ name: 'markov step at batch 128 <= 2 s with peak RSS < 12 GB', met: ok ? sps! <= 2 && rss !== undefined && rss < 12e9 : false,
      detail: ok ? `${sps!.toFixed(2)} s/step, ${gb(rss)}` : (mk.slmkit as { error: string }).error });
  }
  const tf = byModel.get('transformer');
  if (tf) {
    const useAcc = tf.ratio === null && tf.ratioAccumulated !== null;
    const ratio = tf.ratio ?? tf.ratioAccumulated;
    targets.push({ name: 'transformer step >= 3x PyTorch tokens/s at batch 64', met: ratio === null ? null : ratio >= 3,
      detail: ratio === null ? 'no PyTorch figure' : `${ratio.toFixed(2)}x${useAcc ? ' (vs PyTorch with gradient accumulation)' : ''}` });
  }
  console.log('');
  for (const t of targets) console.log(`${t.met === null ? 'n/a ' : t.met ? 'MET ' : 'MISS'}  ${t.name}: ${t.detail}`);

  const torchInfo = rows.flatMap((r) => [r.torch, r.torchAccumulated]).find((o): o is StepResult => o !== null && !failed(o));
  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}trainStep.json`, `${JSON.stringify({
    date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length,
    memoryBytes: os.totalmem(), backend, native: info,
    nativeBuiltAt: info && existsSync(info.path) ? statSync(info.path).mtime.toISOString() : null, steps, torchSteps, warmupSteps: 1,
    torch: haveTorch ? { version: torchInfo?.torch ?? null, threads: torchInfo?.threads ?? null, blas: torchInfo?.blas ?? null } : null,
    results: rows, targets,
  }, null, 2)}\n`);
  console.log(`\nwrote ${outDir}trainStep.json (${formatBytes(os.totalmem())} machine)`);
}

if (process.argv[2] === '--child') printResult(await timeSteps(dataDir, { model: { type: process.argv[3] as ModelType } }, steps));
else await runParent();
