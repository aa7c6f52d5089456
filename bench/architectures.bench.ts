/**
 * The seed's other architectures side by side with PyTorch: a training step (forward, masked loss,
 * backward, AdamW) of mlp, cnn, rnn, lstm and gru at their defaults, and of the same model in
 * PyTorch 1.13 — the twins of scripts/golden/architectures.py, trained with the notebook's step by
 * bench/torch_notebook.py — on identical batches: the first BENCH_STEPS batches of the PubMed
 * train split in file order, padded the notebook's way, at the recurrent families' batch size.
 * tokens/s counts real targets over the steps after the first (a warm-up). One more row, slmkit
 * only, is the workshop transformer at the recurrent models' width (embedDim = their hiddenDim,
 * same layers and heads), for the target "recurrent models within 2× of the transformer's tokens/s
 * at equal width".
 *
 * For each model, slmkit's child runs first and PyTorch's right after it, so the two share
 * whatever load the machine had then; each side also records its CPU time per step and the load
 * average before and after. When the notebook's step runs out of memory in PyTorch, it is measured
 * again with gradient accumulation over a quarter of the rows (the same gradient; labelled).
 * Each child measures the machine's fp32 FMA peak before its steps; the table gives each step's
 * useful GFLOP/s (src/models/flops.ts) as a fraction of it.
 * Writes bench/results/architectures.json (the README's table: bench/report.ts).
 *
 *   npx tsc -p . && node dist/bench/architectures.bench.js
 *   BENCH_STEPS=4 (warm-up included) · BENCH_TORCH_STEPS=3 (PyTorch's share of the same batches)
 *   BENCH_MODELS=mlp,cnn,rnn,lstm,gru,transformer · BENCH_BATCH=<rows> · BENCH_DATA=<folder>
 *   BENCH_TORCH_TRANSFORMER=1 (PyTorch for the transformer row too) · BENCH_TIMEOUT_S=1800 (per process) · BENCH_TORCH=0 (slmkit alone)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernels, nativeInfo } from '../src/backend/index.js';
import '../src/backend/native/autoload.js';
import { shiftBatch } from '../src/data/batches.js';
import { openData } from '../src/data/open.js';
import { resolveModelConfig, type ModelType } from '../src/models/registry.js';
import { resolveTrainConfig } from '../src/train/config.js';
import {
  failed, firstBatches, printResult, runTorch, spawnChild, timeSteps, torchAvailable, writeBatches,
  type ChildSpec, type Outcome, type StepRow,
} from './steps.js';
import { peakShare } from './report.js';

const dataDir = process.env.BENCH_DATA ?? fileURLToPath(new URL('../../../shared/data/pubmed', import.meta.url));
const steps = Math.max(1, Number(process.env.BENCH_STEPS ?? 4));
const torchSteps = Math.max(1, Math.min(steps, Number(process.env.BENCH_TORCH_STEPS ?? 3)));
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 1800) * 1000;
const families: ModelType[] = ['mlp', 'cnn', 'rnn', 'lstm', 'gru'];
const allModels: ModelType[] = [...families, 'transformer'];
const recurrent = new Set<ModelType>(['rnn', 'lstm', 'gru']);

/** One row of the table, as architectures.json keeps it. */
export interface ArchRow extends StepRow {
  /** The resolved model config (type and vocabSize included). */
  config: Record<string, unknown>;
  lr: number;
}

async function runParent(): Promise<void> {
  if (!existsSync(join(dataDir, 'train.txt')) && !existsSync(join(dataDir, 'manifest.json'))) {
    console.log(`architectures: no PubMed data at ${dataDir}; skipped (set BENCH_DATA to a corpus folder)`);
    return;
  }
  const selected = (process.env.BENCH_MODELS ?? allModels.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of selected) if (!allModels.includes(m as ModelType)) throw new Error(`BENCH_MODELS: unknown model '${m}' (use ${allModels.join(', ')})`);
  const data = await openData(dataDir, {
    onProgress: (split, docs) => { if (docs % 5000 === 0) process.stderr.write(`  preparing ${split}: ${docs} documents\n`); },
  });
  const V = data.tokenizer.vocabSize;
  const batchSize = Number(process.env.BENCH_BATCH ?? resolveTrainConfig('lstm', {}).batchSize);
  // The transformer row takes the recurrent models' width.
  const width = (resolveModelConfig({ type: 'lstm', vocabSize: V }) as { hiddenDim: number }).hiddenDim;
  const info = nativeInfo();
  const backend = kernels().name;
  const loadStart = os.loadavg();
  console.log(`slmkit backend: ${backend}${info ? ` (${info.threads} threads, ${info.vectorWidth})` : ''}; ${os.cpus().length} × ` +
    `${os.cpus()[0]?.model ?? 'cpu'}; data ${data.dir}; batch ${batchSize}; ${steps} steps per model (first one a warm-up), ` +
    `${torchSteps} for PyTorch; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  const haveTorch = torchAvailable();
  if (!haveTorch) console.log(`PyTorch ${process.env.BENCH_TORCH === '0' ? 'left out (BENCH_TORCH=0)' : 'not installed'}: slmkit alone`);

  const batches = firstBatches(data.train, batchSize, steps);
  const stepBatches = batches.map(shiftBatch);
  const timedTokens = stepBatches.slice(stepBatches.length > 1 ? 1 : 0).map((b) => b.tokens);
  const tokensPerStep = timedTokens.reduce((a, x) => a + x, 0) / timedTokens.length;
  const T = batches[0]!.ids.shape[1]!;
  const tmp = mkdtempSync(join(os.tmpdir(), 'slmkit-arch-'));
  const batchesFile = join(tmp, 'batches.json');
  const rows: ArchRow[] = [];
  try {
    if (haveTorch) writeBatches(batchesFile, V, batches.slice(0, torchSteps));
    for (const type of selected as ModelType[]) {
      const model = type === 'transformer' ? { type, embedDim: width } : { type };
      const spec: ChildSpec = { model, train: { batchSize } };
      const config = resolveModelConfig({ ...model, vocabSize: V }) as unknown as Record<string, unknown>;
      const lr = resolveTrainConfig(type, {}).lr;
      console.log(`\n${type}: ${JSON.stringify(config)}, lr ${lr}; batch ${batchSize} × ${T}, ` +
        `${timedTokens.map((n) => n.toLocaleString('en')).join(' / ')} real targets per timed step`);
      const slmkit = spawnChild(fileURLToPath(import.meta.url), ['--child', JSON.stringify(spec)], timeoutMs);
      if (failed(slmkit)) console.log(`  slmkit ${type}: ${slmkit.error}`);
      let torch: Outcome | null = null;
      let torchAccumulated: Outcome | null = null;
      if (haveTorch && (type !== 'transformer' || process.env.BENCH_TORCH_TRANSFORMER === '1')) {
        const args = ['--model', type, '--config', JSON.stringify({ ...config, lr })];
        process.stderr.write(`  PyTorch ${type}: the notebook's step …\n`);
        torch = runTorch(batchesFile, args, timeoutMs);
        if (failed(torch)) process.stderr.write(`  PyTorch ${type}: ${torch.error}\n`);
        if (failed(torch) && torch.error === 'out of memory') {
          const micro = Math.max(1, Math.floor(batchSize / 4));
          process.stderr.write(`  PyTorch ${type}: again with gradient accumulation over ${micro} rows …\n`);
          torchAccumulated = runTorch(batchesFile, [...args, '--micro-rows', String(micro)], timeoutMs);
        }
      }
      const tps = (o: Outcome | null) => (o && !failed(o) ? o.tokensPerSecond : null);
      const s = tps(slmkit);
      const ratio = (o: Outcome | null) => (s !== null && tps(o) ? s / tps(o)! : null);
      const row: ArchRow = { model: type, config, lr, batchSize, T, tokensPerStep, slmkit, torch, torchAccumulated,
        ratio: ratio(torch), ratioAccumulated: ratio(torchAccumulated) };
      rows.push(row);
      const torchTps = tps(torch) ?? tps(torchAccumulated);
      const share = peakShare(failed(slmkit) ? null : slmkit);
      console.log(`  ${type}: slmkit ${s === null ? 'failed' : `${Math.round(s)} tokens/s`}` +
        (torchTps ? `, PyTorch ${Math.round(torchTps)} tokens/s${tps(torch) ? '' : ' (accumulated)'}, ratio ${(s! / torchTps).toFixed(2)}×` : '') +
        (share.gflops === null ? '' : `; useful ${share.gflops.toFixed(0)} GFLOP/s${share.fraction === null ? '' : `, ${(100 * share.fraction).toFixed(0)}% of the peak`}`));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const targets = archTargets(rows);
  console.log('');
  for (const t of targets) console.log(`${t.met === null ? 'n/a ' : t.met ? 'MET ' : 'MISS'}  ${t.name}: ${t.detail}`);
  const torchInfo = rows.flatMap((r) => [r.torch, r.torchAccumulated]).find((o) => o !== null && !failed(o)) as Record<string, unknown> | undefined;
  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}architectures.json`, `${JSON.stringify({
    date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, backend, native: info,
    steps, torchSteps, warmupSteps: 1, batchSize, width, loadAverage: { start: loadStart, end: os.loadavg() },
    torch: haveTorch ? { version: torchInfo?.torch ?? null, threads: torchInfo?.threads ?? null, blas: torchInfo?.blas ?? null } : null,
    results: rows, targets,
  }, null, 2)}\n`);
  console.log(`\nwrote ${outDir}architectures.json`);
}

/** The issue's targets: each model ≥ 3× PyTorch; rnn/lstm/gru within 2× of the transformer at equal width. */
export function archTargets(rows: ArchRow[]): { name: string; met: boolean | null; detail: string }[] {
  const out: { name: string; met: boolean | null; detail: string }[] = [];
  const tps = (o: Outcome | null) => (o && !failed(o) ? o.tokensPerSecond : null);
  for (const r of rows.filter((x) => x.model !== 'transformer')) {
    const ratio = r.ratio ?? r.ratioAccumulated;
    out.push({ name: `${r.model} >= 3x PyTorch tokens/s`, met: ratio === null ? null : ratio >= 3,
      detail: ratio === null ? 'no PyTorch figure' : `${ratio.toFixed(2)}x${r.ratio === null ? ' (vs PyTorch with gradient accumulation)' : ''}` });
  }
  const tf = rows.find((x) => x.model === 'transformer');
  const tfTps = tf ? tps(tf.slmkit) : null;
  for (const r of rows.filter((x) => recurrent.has(x.model))) {
    const s = tps(r.slmkit);
    out.push({ name: `${r.model} within 2x of the transformer's tokens/s at width ${String(r.config.hiddenDim)}`,
      met: s === null || tfTps === null ? null : s * 2 >= tfTps,
      detail: s === null || tfTps === null ? 'no figure' : `${Math.round(s)} vs ${Math.round(tfTps)} tokens/s (${(s / tfTps).toFixed(2)}x)` });
  }
  return out;
}

if (process.argv[2] === '--child') printResult(await timeSteps(dataDir, JSON.parse(process.argv[3]!) as ChildSpec, steps));
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runParent();
