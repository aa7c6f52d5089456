/**
 * The training loop: AdamW over padded (or packed) batches, micro-batched to a memory budget,
 * the training loss every `logEvery` steps, the test loss at each epoch end, a metrics log,
 * checkpoints (each epoch, every `saveEvery` steps, and when `signal` aborts), resume from a run
 * folder, and a hard stop on a non-finite loss that keeps the last good checkpoint.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countBatches, maxDistinctTokens, shiftBatch } from '../data/batches.js';
import { BatchPrefetcher } from '../data/prefetch.js';
import type { TokenSplit } from '../data/store.js';
import { writeFileAtomic } from '../io/atomic.js';
import {
  loadModelWeights, loadOptimizer, readJson, RUN_FILES, saveModelWeights, saveOptimizer, writeJsonAtomic,
} from '../io/checkpoint.js';
import type { LanguageModel } from '../models/model.js';
import type { ModelConfig } from '../models/registry.js';
import { Dropout } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip.js';
import { constantLr, warmupCosineLr, type LrSchedule } from '../optim/schedule.js';
import { CheckpointError, ConfigError, TrainingError } from '../tensor/errors.js';
import type { Rng } from '../tensor/rng.js';
import type { TrainConfig } from './config.js';
import { documentLimit, documentsLongerThan, evaluate, paddedLength, type EvalResult } from './evaluate.js';
import { memoryKeeper } from './gc.js';
import { estimateMemory, type MemoryEstimate } from './memory.js';
import { runBatch } from './step.js';

export { TrainingError };

export type TrainEvent =
  | { kind: 'start'; parameters: number; estimate: MemoryEstimate; batchesPerEpoch: number; totalSteps: number; resumedAt: number;
    /** Training documents longer than the model accepts, cut to documentLimit tokens (padded batches). */
    cutDocuments: number; documentLimit: number | null }
  | { kind: 'step'; step: number; totalSteps: number; epoch: number; batch: number; batchesPerEpoch: number;
    loss: number; lr: number; tokensPerSecond: number; seconds: number; etaSeconds: number; log: boolean; avgLoss: number }
  | { kind: 'eval'; epoch: number; step: number; result: EvalResult }
  | { kind: 'checkpoint'; step: number; reason: 'epoch' | 'every' | 'interrupt' | 'end' };

interface TrainerState {
  version: 1;
  step: number;
  epoch: number;
  batchInEpoch: number;
  tokens: number;
  seconds: number;
  rngStates: number[][];
  lastTestLoss: number | null;
  done: boolean;
  /** Highest resident memory of any process that worked on this run, bytes (absent in older runs). */
  peakRssBytes?: number;
}

export interface TrainRun {
  model: LanguageModel;
  modelConfig: ModelConfig;
  config: TrainConfig;
  train: TokenSplit;
  test?: TokenSplit;
  /** Run folder for checkpoints and metrics; none: nothing is written. */
  outDir?: string;
  /** Continue from the checkpoint in outDir. */
  resume?: boolean;
  /** Extra fields for config.json (tokenizer settings, data path). */
  extraConfig?: Record<string, unknown>;
  /** tokenizer.json content to store in the run folder. */
  tokenizerJson?: unknown;
  /** Aborting saves a checkpoint and returns with `interrupted: true`. */
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainResult {
  /** Mean training loss over the last logEvery steps. */
  trainLoss: number;
  /** Token-weighted test loss after the last epoch (null without a test split or epoch end). */
  testLoss: number | null;
  testBatchMeanLoss: number | null;
  steps: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** Peak resident memory over the whole run (all resumed sessions), bytes. */
  peakRssBytes: number;
  interrupted: boolean;
}

/** This process's peak resident set size so far, bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Dropout generators in module order: their states make a resumed run bit-identical. */
export function collectRngs(m: Module): Rng[] {
  const out: Rng[] = [];
  const walk = (x: Module) => {
    if (x instanceof Dropout && x.rng) out.push(x.rng);
    for (const [, c] of x.namedChildren()) walk(c);
  };
  walk(m);
  return out;
}


export async function train(run: TrainRun): Promise<TrainResult> {
  const { model, config: c, outDir } = run;
  const emit = run.onEvent ?? (() => {});
  const opt = new AdamW(model.parameters(), { lr: c.lr, betas: [c.beta1, c.beta2], eps: c.eps, weightDecay: c.weightDecay });
  const batchesPerEpoch = countBatches(run.train, { batchSize: c.batchSize, mode: c.batching, blockSize: c.blockSize });
  const totalSteps = Math.min(c.maxSteps ?? Infinity, c.epochs * batchesPerEpoch);
  const schedule: LrSchedule = c.schedule === 'cosine' || c.warmupSteps > 0
    ? warmupCosineLr({ lr: c.lr, warmupSteps: c.warmupSteps, totalSteps: c.schedule === 'cosine' ? Math.max(totalSteps, c.warmupSteps + 1) : Infinity, minLr: c.minLr ?? undefined })
    : constantLr(c.lr);
  const docLimit = c.batching === 'padded' ? documentLimit(model) : undefined;
  if (c.batching === 'packed' && model.maxSequence !== undefined && c.blockSize - 1 > model.maxSequence) {
    throw new ConfigError(`packed rows of ${c.blockSize} tokens give ${c.blockSize - 1} inputs, more than the model's ${model.maxSequence} positions`,
      `set blockSize to at most ${model.maxSequence + 1} (--block-size), or build the model with a larger maxLen`);
  }
  const T = c.batching === 'packed' ? c.blockSize : paddedLength(model, run.train);
  const estimate = estimateMemory(run.modelConfig, c.batchSize, Math.max(1, T - 1), c.memoryBudget,
    c.batching === 'padded' ? (rows) => maxDistinctTokens(run.train, rows) : undefined);
  const rngs = collectRngs(model);
  let state: TrainerState = {
    version: 1, step: 0, epoch: 0, batchInEpoch: 0, tokens: 0, seconds: 0, rngStates: [], lastTestLoss: null, done: false,
  };

  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    if (run.resume) {
      state = resumeState(outDir, model, opt);
      rngs.forEach((r, i) => { if (state.rngStates[i]) r.setState(state.rngStates[i]!); });
    } else {
      writeJsonAtomic(join(outDir, RUN_FILES.config), { slmkit: 1, model: run.modelConfig, train: c, ...run.extraConfig });
      if (run.tokenizerJson !== undefined) writeJsonAtomic(join(outDir, RUN_FILES.tokenizer), run.tokenizerJson);
      writeFileAtomic(join(outDir, RUN_FILES.metrics), '');
    }
  }
  emit({
    kind: 'start', parameters: model.numParameters(), estimate, batchesPerEpoch, totalSteps, resumedAt: state.step,
    cutDocuments: documentsLongerThan(run.train, docLimit), documentLimit: docLimit ?? null,
  });

  const save = (reason: 'epoch' | 'every' | 'interrupt' | 'end') => {
    state.peakRssBytes = Math.max(state.peakRssBytes ?? 0, peakRss());
    if (!outDir) return;
    state.rngStates = rngs.map((r) => r.getState());
    saveOptimizer(outDir, model, opt, state.step);
    saveModelWeights(outDir, model, state.step);
    writeJsonAtomic(join(outDir, RUN_FILES.trainer), state);
    emit({ kind: 'checkpoint', step: state.step, reason });
  };
  const log = (rec: Record<string, unknown>) => {
    if (outDir) appendFileSync(join(outDir, RUN_FILES.metrics), `${JSON.stringify(rec)}\n`);
  };

  model.train();
  const recent: number[] = [];
  let testEval = null as EvalResult | null;
  let interrupted = false;
  let timeUp = false;
  const t0 = performance.now() - state.seconds * 1000;
  const tokens0 = state.tokens;
  const secondsAtStart = state.seconds;
  const stepAtStart = state.step;
  let evaluatedAt = -1;
  const runTest = async (): Promise<boolean> => {
    if (!run.test) return true;
    testEval = await evaluate(model, run.test, {
      batchSize: c.batchSize, microRows: estimate.microRows, mode: c.batching, blockSize: c.blockSize, signal: run.signal,
    });
    if (run.signal?.aborted) return false;
    evaluatedAt = state.step;
    state.lastTestLoss = testEval.loss;
    log({ step: state.step, epoch: state.epoch, testLoss: testEval.loss, testBatchMeanLoss: testEval.batchMeanLoss, testTokens: testEval.tokens });
    emit({ kind: 'eval', epoch: state.epoch, step: state.step, result: testEval });
    return true;
  };

  const keepMemory = memoryKeeper();
  const batches = new BatchPrefetcher(run.train, {
    batchSize: c.batchSize, shuffle: c.shuffle, seed: c.seed, mode: c.batching, blockSize: c.blockSize, maxLen: docLimit,
  });
  try {
    outer: while (state.epoch < c.epochs && state.step < totalSteps) {
      for await (const b of batches.epoch(state.epoch, state.batchInEpoch)) {
        if (state.step >= totalSteps) break outer;
        if (c.maxSeconds !== null && state.seconds - secondsAtStart >= c.maxSeconds) {
          timeUp = true;
          break outer;
        }
        if (run.signal?.aborted) {
          interrupted = true;
          break outer;
        }
        opt.lr = schedule(state.step);
        opt.zeroGrad();
        const r = runBatch(model, shiftBatch(b), estimate.microRows, true);
        if (!Number.isFinite(r.loss)) {
          throw new TrainingError(`loss became ${r.loss} at step ${state.step + 1} (epoch ${state.epoch + 1}, batch ${state.batchInEpoch + 1})`,
            `the last good checkpoint is kept${outDir ? ` in ${outDir}` : ''}; lower the learning rate (now ${opt.lr}) or set gradClip`);
        }
        if (c.gradClip !== null) {
          const norm = clipGradNorm(model.parameters(), c.gradClip);
          if (!Number.isFinite(norm)) {
            throw new TrainingError(`gradient norm became ${norm} at step ${state.step + 1}`, 'lower the learning rate; the last good checkpoint is kept');
          }
        }
        opt.step();
        keepMemory();
        state.step++;
        state.batchInEpoch++;
        state.tokens += r.tokens;
        state.seconds = (performance.now() - t0) / 1000;
        recent.push(r.loss);
        if (recent.length > c.logEvery) recent.shift();
        const tps = (state.tokens - tokens0) / Math.max(1e-9, state.seconds - secondsAtStart);
        const stepsPerSec = (state.step - stepAtStart) / Math.max(1e-9, state.seconds - secondsAtStart);
        const isLog = state.step % c.logEvery === 0;
        const avgLoss = recent.reduce((a, x) => a + x, 0) / recent.length;
        log({ step: state.step, epoch: state.epoch + 1, loss: r.loss, tokens: r.tokens, lr: opt.lr, seconds: +state.seconds.toFixed(3) });
        emit({
          kind: 'step', step: state.step, totalSteps, epoch: state.epoch + 1, batch: state.batchInEpoch, batchesPerEpoch, loss: r.loss,
          lr: opt.lr, tokensPerSecond: tps, seconds: state.seconds, etaSeconds: (totalSteps - state.step) / stepsPerSec, log: isLog, avgLoss,
        });
        if (c.saveEvery !== null && state.step % c.saveEvery === 0) save('every');
        await new Promise((res) => setImmediate(res));
      }
      if ((state.step >= totalSteps || timeUp) && state.batchInEpoch < batchesPerEpoch) break;
      // Epoch end: test loss over the whole test split, checkpoint.
      state.epoch++;
      state.batchInEpoch = 0;
      if (!(await runTest())) {
        interrupted = true;
        break;
      }
      save('epoch');
    }
  } finally {
    await batches.close();
  }
  // A run cut short by maxSteps still reports a test loss for the weights it ends with.
  if (!interrupted && evaluatedAt !== state.step && state.step > stepAtStart && !(await runTest())) interrupted = true;
  if (interrupted) save('interrupt');
  else {
    state.done = true;
    save('end');
  }
  const seconds = state.seconds;
  return {
    trainLoss: recent.length ? recent.reduce((a, x) => a + x, 0) / recent.length : Number.NaN,
    testLoss: testEval?.loss ?? state.lastTestLoss,
    testBatchMeanLoss: testEval?.batchMeanLoss ?? null,
    steps: state.step,
    tokens: state.tokens,
    seconds,
    tokensPerSecond: (state.tokens - tokens0) / Math.max(1e-9, seconds - secondsAtStart),
    peakRssBytes: state.peakRssBytes ?? peakRss(),
    interrupted,
  };
}

function resumeState(outDir: string, model: LanguageModel, opt: AdamW): TrainerState {
  const st = readJson<TrainerState>(join(outDir, RUN_FILES.trainer), 'trainer state');
  if (st.version !== 1) throw new CheckpointError(`${outDir}/${RUN_FILES.trainer} has version ${st.version}; expected 1`);
  const mStep = loadModelWeights(outDir, model);
  const oStep = loadOptimizer(outDir, model, opt);
  if (mStep !== st.step || oStep !== st.step) {
    throw new CheckpointError(`checkpoint files in ${outDir} disagree: trainer at step ${st.step}, model at ${mStep}, optimizer at ${oStep}`,
      'the last save was interrupted between files; start a new run or restore the files');
  }
  // Drop metric lines written after the checkpoint, so the log has each step once.
  const mpath = join(outDir, RUN_FILES.metrics);
  if (existsSync(mpath)) {
    const kept = readFileSync(mpath, 'utf8').split('\n').filter((l) => {
      if (!l) return false;
      try { return (JSON.parse(l) as { step: number }).step <= st.step; } catch { return false; }
    });
    writeFileAtomic(mpath, kept.map((l) => `${l}\n`).join(''));
  }
  return st;
}
