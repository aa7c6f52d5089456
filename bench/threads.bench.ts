/**
 * Scaling with cores: the thread pool's speedup from 1 thread to the pool's size (2 here) on the
 * machine's FMA peak and bandwidth probes, on each sgemm shape of sgemm.bench.ts, and on one
 * training step of each model. The thread count changes in-process (setNativeThreads), and the
 * counts are alternated inside every measurement (1, 2, 1, 2, …, best of each), so both meet the
 * same machine load. The target: no kernel slower on 2 threads than on 1.
 *
 * Steps run in one child process per model (this file with --child): the first batch of the PubMed
 * train split in file order at BENCH_BATCH rows (default: each model's training batch), a warm-up
 * step on all threads, then BENCH_STEPS steps per thread count. The markov model (a 3.4 GB table,
 * 13.5 GB with AdamW's state) runs only when BENCH_MODELS names it.
 * Writes bench/results/threads.json (the README's table: bench/threadsReport.ts).
 *
 *   npx tsc -p . && node dist/bench/threads.bench.js
 *   BENCH_THREADS=1,2 (default: 1 and the pool's size) · REPEATS=2 (sgemm: runs per count) · BENCH_STEPS=2
 *   BENCH_MODELS=lowrank,mlp,cnn,rnn,lstm,gru,transformer · BENCH_BATCH=<rows> · BENCH_DATA=<folder>
 *   BENCH_PARTS=peak,sgemm,steps (which parts run) · BENCH_TIMEOUT_S=900 (per child)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernels, profileActiveKernels } from '../src/backend/index.js';
import '../src/backend/native/autoload.js';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { measurePeak, nativeThreads, setNativeThreads } from '../src/backend/native/peak.js';
import { shiftBatch } from '../src/data/batches.js';
import { openData } from '../src/data/open.js';
import { describeModel, createModel, modelTypes, resolveModelConfig, type ModelType } from '../src/models/registry.js';
import { AdamW } from '../src/optim/adamw.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { estimateMemory } from '../src/train/memory.js';
import { runBatch } from '../src/train/step.js';
import { filled } from './fill.js';
import { gflops, sgemmShapes, timeSgemm } from './sgemmShapes.js';
import { firstBatches } from './steps.js';
import { SLOWER, speedup, type ThreadsResults, type ThreadsRow } from './threadsReport.js';

const dataDir = process.env.BENCH_DATA ?? fileURLToPath(new URL('../../../shared/data/pubmed', import.meta.url));
const repeats = Math.max(1, Number(process.env.REPEATS ?? 2));
const steps = Math.max(1, Number(process.env.BENCH_STEPS ?? 2));
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000;
const parts = new Set((process.env.BENCH_PARTS ?? 'peak,sgemm,steps').split(',').map((s) => s.trim()));
const defaultModels = modelTypes.filter((t) => t !== 'markov');
/** Models whose steps are also split by kernel (BENCH_KERNEL_MODELS; 'none' for none). */
const kernelModels = new Set((process.env.BENCH_KERNEL_MODELS ?? 'transformer,lstm').split(',').map((s) => s.trim()));
/** Kernels under this share of the one-thread step are left out of the kernel rows. */
const KERNEL_SHARE = 0.02;

/** The thread counts to compare: BENCH_THREADS, else 1 and the pool's size. */
function threadCounts(max: number): number[] {
  const raw = process.env.BENCH_THREADS;
  const counts = raw ? raw.split(',').map((s) => Number(s.trim())) : [1, max];
  for (const c of counts) if (!(Number.isInteger(c) && c >= 1 && c <= max)) throw new Error(`BENCH_THREADS: ${c} is not a thread count in [1, ${max}]`);
  return [...new Set(counts)];
}

/** Runs `f` once per count per round (alternating), and keeps the best (highest) figure of each count. */
function alternate(counts: number[], rounds: number, f: () => number): number[] {
  const best = counts.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    counts.forEach((c, i) => {
      setNativeThreads(c);
      best[i] = Math.max(best[i]!, f());
    });
  }
  return best;
}

/**
 * In the child: BENCH_STEPS steps per thread count of one model, alternated; tokens/s per count
 * (best step). For the models in BENCH_KERNEL_MODELS the kernels are timed too (backend/profile.ts):
 * a row per kernel taking at least KERNEL_SHARE of the one-thread step, and one for the time outside
 * every kernel, each its least milliseconds per step at each count.
 */
async function childSteps(type: ModelType, counts: number[]): Promise<ThreadsRow[]> {
  const data = await openData(dataDir);
  const cfg = resolveModelConfig({ type, vocabSize: data.tokenizer.vocabSize });
  const tc = resolveTrainConfig(type, process.env.BENCH_BATCH ? { batchSize: Number(process.env.BENCH_BATCH) } : {});
  const b = shiftBatch(firstBatches(data.train, tc.batchSize, 1)[0]!);
  const microRows = estimateMemory(cfg, tc.batchSize, b.inputs.shape[1]!, tc.memoryBudget).microRows;
  const model = createModel(cfg, new Rng(tc.seed)).train();
  const opt = new AdamW(model.parameters(), { lr: tc.lr, betas: [tc.beta1, tc.beta2], eps: tc.eps, weightDecay: tc.weightDecay });
  const step = (): number => {
    const t0 = performance.now();
    opt.zeroGrad();
    runBatch(model, b, microRows, true);
    opt.step();
    return (performance.now() - t0) / 1000;
  };
  step(); // warm-up on all threads: optimizer state and buffers allocated here
  const profile = kernelModels.has(type) ? profileActiveKernels() : null;
  const kernelMs = counts.map(() => new Map<string, number>()); // least ms per step, per kernel, per count
  const keep = (i: number, name: string, ms: number) => kernelMs[i]!.set(name, Math.min(kernelMs[i]!.get(name) ?? Infinity, ms));
  const tokensPerSecond = alternate(counts, steps, () => {
    profile?.reset();
    const s = step();
    const threads = nativeThreads()!.threads;
    process.stderr.write(`  ${type}: ${threads} thread(s) ${s.toFixed(2)} s\n`);
    if (profile) {
      const i = counts.indexOf(threads);
      let inKernels = 0;
      for (const k of profile.report()) {
        keep(i, k.name, 1000 * k.seconds);
        inKernels += 1000 * k.seconds;
      }
      keep(i, OUTSIDE, 1000 * s - inKernels);
    }
    return b.tokens / s;
  });
  profile?.stop();
  const detail = `${describeModel(cfg)}, batch ${tc.batchSize} × ${b.inputs.shape[1]! + 1}, ${b.tokens} real targets`;
  const rows: ThreadsRow[] = [{ kind: 'step', name: type, detail, unit: 'tokens/s', values: tokensPerSecond }];
  if (profile) {
    const oneThreadMs = 1000 * b.tokens / tokensPerSecond[0]!;
    const names = [...kernelMs[0]!.entries()].filter(([n, ms]) => n === OUTSIDE || ms >= KERNEL_SHARE * oneThreadMs)
      .sort((x, y) => (x[0] === OUTSIDE ? 1 : y[0] === OUTSIDE ? -1 : y[1] - x[1])).map(([n]) => n);
    for (const n of names) {
      rows.push({ kind: 'kernel', name: n, detail: `\`${type}\` step, ${(100 * kernelMs[0]!.get(n)! / oneThreadMs).toFixed(1)}% of it on 1 thread`,
        unit: 'ms', lowerIsBetter: true, values: kernelMs.map((m) => m.get(n) ?? 0) });
    }
  }
  return rows;
}

const OUTSIDE = 'outside the kernels';

async function runParent(): Promise<void> {
  const load = loadNativeAddon();
  if (!load.ok) {
    console.log(`threads: native addon not available (${load.reason}); nothing to compare`);
    return;
  }
  const pool = nativeThreads()!;
  const counts = threadCounts(pool.maxThreads);
  const loadStart = os.loadavg();
  console.log(`threads: ${counts.join(' vs ')} (pool of ${pool.maxThreads}), ${kernels().name} backend, ${load.info.vectorWidth}; ` +
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  const rows: ThreadsRow[] = [];
  const show = (r: ThreadsRow) => {
    rows.push(r);
    console.log(`${(r.kind === 'kernel' ? `  ${r.name}` : r.name).padEnd(34)} ${r.values.map((v) => v.toFixed(1).padStart(9)).join(' ')} ${r.unit.padEnd(9)} ` +
      r.values.slice(1).map((v) => `${speedup(r, v).toFixed(2)}×`).join(' '));
  };

  if (parts.has('peak')) {
    const fma = alternate(counts, 3, () => { const p = measurePeak({ seconds: 0.2, bufferBytes: 2 ** 20 }); return p.available ? p.fmaGflops : 0; });
    show({ kind: 'peak', name: 'fp32 FMA peak', detail: 'independent FMA chains in registers', unit: 'GFLOP/s', values: fma });
    const bw = alternate(counts, 3, () => { const p = measurePeak({ seconds: 0, bufferBytes: 256 * 2 ** 20 }); return p.available ? p.readGBs : 0; });
    show({ kind: 'peak', name: 'memory read', detail: 'streaming sum over 256 MiB', unit: 'GB/s', values: bw });
  }
  if (parts.has('sgemm')) {
    for (const s of sgemmShapes(repeats)) {
      const A = filled(s.M * s.K, 1);
      const B = filled(s.K * s.N, 2);
      const C = new Float32Array(s.M * s.N);
      const best = alternate(counts, Math.min(s.reps, 2 * repeats), () => gflops(s, timeSgemm(load.kernels, s, A, B, C, 1)));
      show({ kind: 'sgemm', name: s.name.replace(/ \(\+reference\)$/, ''), detail: `${s.M} × ${s.N} × ${s.K}`, unit: 'GFLOP/s', values: best });
    }
  }
  setNativeThreads(pool.threads);
  if (parts.has('steps')) {
    if (!existsSync(join(dataDir, 'train.txt')) && !existsSync(join(dataDir, 'manifest.json'))) {
      console.log(`no PubMed data at ${dataDir}: steps skipped (set BENCH_DATA to a corpus folder)`);
    } else {
      const models = (process.env.BENCH_MODELS ?? defaultModels.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
      for (const m of models) if (!modelTypes.includes(m as ModelType)) throw new Error(`BENCH_MODELS: unknown model '${m}' (use ${modelTypes.join(', ')})`);
      const { spawnSync } = await import('node:child_process');
      for (const m of models) {
        const res = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', m, counts.join(',')], {
          stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL',
        });
        const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
        if (res.status === 0 && line) for (const r of JSON.parse(line.slice('RESULT '.length)) as ThreadsRow[]) show(r);
        else console.log(`${m}: child failed (${res.signal ? `killed by ${res.signal}` : `exit code ${res.status}`})`);
      }
    }
  }
  // The time outside every kernel is single-threaded JavaScript: reported, but no kernel's speedup.
  for (const r of rows.filter((x) => x.name === OUTSIDE)) {
    console.log(`note: ${r.detail.split(',')[0]}: the JavaScript between kernels took ${r.values.map((v) => `${v.toFixed(1)} ms`).join(' vs ')} (one thread runs it either way)`);
  }
  const slower = rows.filter((r) => r.name !== OUTSIDE && r.values.slice(1).some((v) => speedup(r, v) < SLOWER));
  console.log(slower.length === 0 ? `\nMET   nothing slower (by more than ${Math.round(100 * (1 - SLOWER))}%) on ${counts.slice(1).join(', ')} threads than on ${counts[0]}`
    : `\nMISS  slower with more threads: ${slower.map((r) => r.name).join(', ')}`);
  const result: ThreadsResults = {
    date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, vectorWidth: load.info.vectorWidth,
    threads: counts, loadAverage: { start: loadStart, end: os.loadavg() }, rows,
  };
  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}threads.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${outDir}threads.json`);
}

if (process.argv[2] === '--child') {
  const rows = await childSteps(process.argv[3] as ModelType, process.argv[4]!.split(',').map(Number));
  process.stdout.write(`RESULT ${JSON.stringify(rows)}\n`);
} else await runParent();
