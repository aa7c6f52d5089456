/**
 * What the training-step benchmarks share (trainStep.bench.ts: the notebook's models;
 * architectures.bench.ts: mlp, cnn, rnn, lstm, gru): the first batches of a split in file order,
 * a child process that times training steps of one model on them, and the PyTorch side
 * (bench/torch_notebook.py) run on the same batches from a JSON file.
 *
 * A child measures each step's wall time and the process's CPU time (user + system) over it, and
 * the load average before and after: on a shared machine the CPU time per token moves much less
 * with the load than the wall time does, and the load says how shared the machine was. Right before
 * its steps it measures the machine's fp32 FMA peak on the kernels' threads (backend/native/peak.ts)
 * and counts each step's useful FLOPs from the model's shapes and the batch's real tokens
 * (models/flops.ts), so the report can say what fraction of the peak the step achieved.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { kernels } from '../src/backend/index.js';
import { describePeak, measurePeak, type PeakResult } from '../src/backend/native/peak.js';
import { paddedBatches, shiftBatch, type Batch } from '../src/data/batches.js';
import { openData } from '../src/data/open.js';
import type { TokenSplit } from '../src/data/store.js';
import { stepBytes, stepFlops, stepTokensFromMask } from '../src/models/flops.js';
import { createModel, resolveModelConfig, type ModelType } from '../src/models/registry.js';
import { AdamW } from '../src/optim/adamw.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { estimateMemory } from '../src/train/memory.js';
import { runBatch } from '../src/train/step.js';

export const python = '/usr/bin/python3';
export const torchScript = fileURLToPath(new URL('../../bench/torch_notebook.py', import.meta.url));

/** What one side measured for one model. */
export interface StepResult {
  tokensPerSecond: number;
  secondsPerStep: number;
  firstStepSeconds: number;
  stepSeconds: number[];
  /** CPU seconds (user + system, every thread) of each step. */
  cpuSeconds?: number[];
  losses: number[];
  tokens: number[];
  peakRssBytes: number;
  parameters: number;
  microRows: number | null;
  /** 1-minute load average before the first step and after the last. */
  loadAverage?: [number, number];
  /** Useful FLOPs of each step (models/flops.ts: matrix products over real tokens, forward + backward). */
  usefulFlops?: number[];
  /** Least memory traffic of each step, bytes, for a bandwidth-bound model (models/flops.ts stepBytes). */
  usefulBytes?: number[];
  /** The machine's peak, measured by the same process right before the steps. */
  peak?: PeakResult;
  [k: string]: unknown;
}
export type Outcome = StepResult | { error: string; peakRssBytes?: number; [k: string]: unknown };
export const failed = (o: Outcome | null): o is { error: string; peakRssBytes?: number } => o !== null && 'error' in o;

/** What a child runs: a model type with config overrides, and training overrides (batch size, lr). */
/** One model's row in a step benchmark: slmkit's child and its PyTorch twin on the same batches. */
export interface StepRow {
  model: ModelType;
  batchSize: number;
  T: number;
  tokensPerStep: number;
  slmkit: Outcome;
  torch: Outcome | null;
  /** Gradient accumulation re-run when the notebook's step ran out of memory. */
  torchAccumulated: Outcome | null;
  /** slmkit / PyTorch tokens/s (the notebook's step; else the accumulated one). */
  ratio: number | null;
  ratioAccumulated: number | null;
}

export interface ChildSpec {
  model: { type: ModelType; [key: string]: unknown };
  train?: Record<string, unknown>;
}

/** The first `n` padded batches of the split in file order, at `batchSize`. */
export function firstBatches(split: TokenSplit, batchSize: number, n: number): Batch[] {
  const out: Batch[] = [];
  for (const b of paddedBatches(split, { batchSize })) {
    out.push(b);
    if (out.length >= n) break;
  }
  return out;
}

/**
 * In the child: `steps` training steps (forward, masked loss, backward, AdamW) of the model `spec`
 * describes on the first batches of `dataDir`'s train split, micro-batched as the trainer plans
 * it. The first step is a warm-up; the figures come from the others.
 */
export async function timeSteps(dataDir: string, spec: ChildSpec, steps: number): Promise<StepResult> {
  const data = await openData(dataDir);
  const { type, ...overrides } = spec.model;
  const cfg = resolveModelConfig({ ...overrides, type, vocabSize: data.tokenizer.vocabSize });
  const tc = resolveTrainConfig(type, spec.train ?? {});
  const batches = firstBatches(data.train, tc.batchSize, steps).map(shiftBatch);
  const T = Math.max(...batches.map((b) => b.inputs.shape[1]!));
  const microRows = estimateMemory(cfg, tc.batchSize, T, tc.memoryBudget).microRows; // as the trainer plans it
  const t0 = performance.now();
  const model = createModel(cfg, new Rng(tc.seed)).train();
  const opt = new AdamW(model.parameters(), { lr: tc.lr, betas: [tc.beta1, tc.beta2], eps: tc.eps, weightDecay: tc.weightDecay });
  const initSeconds = (performance.now() - t0) / 1000;
  process.stderr.write(`  slmkit ${type}: ${kernels().name} backend, initialised in ${initSeconds.toFixed(1)} s, ` +
    `micro-batches of ${microRows} rows\n`);
  const peak = measurePeak(); // best rounds within 0.5 s each: on a shared machine, the least disturbed
  process.stderr.write(`  slmkit ${type}: ${describePeak(peak)}\n`);
  const stepShapes = batches.map((b) => stepTokensFromMask(b.mask.data, b.mask.shape[0]!, b.mask.shape[1]!));
  const usefulFlops = stepShapes.map((st) => stepFlops(cfg, st));
  const bytes = stepShapes.map((st) => stepBytes(cfg, st));
  const usefulBytes = bytes.every((x): x is number => x !== null) ? bytes : undefined;
  const stepSeconds: number[] = [];
  const cpuSeconds: number[] = [];
  const losses: number[] = [];
  const tokens: number[] = [];
  const loadBefore = os.loadavg()[0]!;
  for (const b of batches) {
    const c0 = process.cpuUsage();
    const s0 = performance.now();
    opt.zeroGrad();
    const r = runBatch(model, b, microRows, true);
    opt.step();
    stepSeconds.push((performance.now() - s0) / 1000);
    const c = process.cpuUsage(c0);
    cpuSeconds.push((c.user + c.system) / 1e6);
    losses.push(r.loss);
    tokens.push(r.tokens);
    process.stderr.write(`  slmkit ${type}: step ${stepSeconds.length}/${batches.length} ${stepSeconds.at(-1)!.toFixed(2)} s ` +
      `(CPU ${cpuSeconds.at(-1)!.toFixed(2)} s), loss ${r.loss.toFixed(4)}\n`);
  }
  const timed = stepSeconds.length > 1 ? 1 : 0;
  const seconds = stepSeconds.slice(timed).reduce((a, x) => a + x, 0);
  return {
    tokensPerSecond: tokens.slice(timed).reduce((a, x) => a + x, 0) / seconds,
    secondsPerStep: seconds / (stepSeconds.length - timed),
    firstStepSeconds: stepSeconds[0]!,
    stepSeconds, cpuSeconds, losses, tokens, usefulFlops, usefulBytes, peak,
    peakRssBytes: process.resourceUsage().maxRSS * 1024, // maxRSS is in kB
    parameters: model.numParameters(),
    microRows,
    initSeconds,
    loadAverage: [loadBefore, os.loadavg()[0]!],
    backend: kernels().name,
  };
}

/** Runs `script` with `args` as a child and reads its `RESULT {json}` line. */
export function spawnChild(script: string, args: string[], timeoutMs: number): Outcome {
  const res = spawnSync(process.execPath, ['--expose-gc', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 24,
  });
  const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (res.status === 0 && line) return JSON.parse(line.slice('RESULT '.length)) as StepResult;
  const why = res.error ? res.error.message : res.signal ? `killed by ${res.signal}` : `exit code ${res.status}`;
  return { error: `slmkit child failed: ${why}` };
}

/** Prints a child's result where spawnChild looks for it. */
export function printResult(r: StepResult): void {
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

/** Whether PyTorch can run here (BENCH_TORCH=0 leaves it out: slmkit alone, for a quick run). */
export function torchAvailable(): boolean {
  if (process.env.BENCH_TORCH === '0') return false;
  return spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** bench/torch_notebook.py on a batches file: `args` after the file (--model TYPE, --config JSON, --micro-rows R). */
export function runTorch(batchesFile: string, args: string[], timeoutMs: number): Outcome {
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be pinned on this machine for old OpenBLAS builds;
  // they slow a current one, so they are unset (both together) for this command alone.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const res = spawnSync(python, [torchScript, batchesFile, ...args], { env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 24 });
  const line = (res.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (res.status === 0 && line.startsWith('{')) return JSON.parse(line) as Outcome;
  const why = res.error ? res.error.message : res.signal ? `killed by ${res.signal}` : `exit code ${res.status}`;
  return { error: `PyTorch run failed: ${why}: ${(res.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}` };
}

/** The batches as the PyTorch script reads them: flat ids and masks with their shape. */
export function writeBatches(file: string, vocabSize: number, batches: Batch[]): void {
  const json = {
    vocabSize,
    batches: batches.map((b) => ({ B: b.ids.shape[0], T: b.ids.shape[1], ids: Array.from(b.ids.data), mask: Array.from(b.mask.data) })),
  };
  writeFileSync(file, JSON.stringify(json));
}
