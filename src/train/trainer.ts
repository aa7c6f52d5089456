/**
 * A training run in a run folder (Node): the browser-safe loop (loop.ts) with everything a real run
 * needs around it — a plan made before anything is written (memory, steps, checkpoint size), the
 * optimizer the config names, batches built ahead in a worker, held-out evaluation (each epoch,
 * every evalEvery steps, and at the end, on a fixed slice when evalDocs is set), the best weights
 * kept in RUN_DIR/best/, checkpoints (each epoch at most once a minute, every saveEvery steps, at
 * the end and when `signal` aborts), metrics.jsonl, and resume from the folder, bit-identical:
 * every module's random generator is saved, not only dropout's. The folder is locked while the run
 * writes it (one writer at a time), each checkpoint is one transaction (io/checkpoint.ts), and a
 * resume first completes or drops a checkpoint its predecessor was killed in, then checks every
 * file it reads (runState.ts) — a damaged or mismatched file is refused, never resumed from.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { countBatches, maxDistinctTokens } from '../data/batches.js';
import { BatchPrefetcher } from '../data/prefetch.js';
import { firstDocuments, numDocuments, type TokenSplit } from '../data/split.js';
import { writeFailure, writeFileAtomic } from '../io/atomic.js';
import {
  discardPendingCheckpoint, fileCrc, recoverCheckpoint, RUN_FILES, saveCheckpoint, saveModelWeights, writeJsonAtomic,
} from '../io/checkpoint.js';
import { LockBusy, tryLockFolder, type FolderLock } from '../io/lock.js';
import type { LanguageModel } from '../models/model.js';
import type { ModelConfig } from '../models/registry.js';
import { CheckpointError, ConfigError, TrainingError } from '../tensor/errors.js';
import type { TrainConfig } from './config.js';
import { documentLimit, documentsLongerThan, evaluate, paddedLength, type EvalResult } from './evaluate.js';
import { memoryKeeper } from './gc.js';
import { trainLoop, type CheckpointReason, type EvalReason, plannedSteps, type SkipReport, type StepReport, type TimeSpent } from './loop.js';
import { estimateMemory, type MemoryEstimate } from './memory.js';
import { createOptimizer } from './optimizer.js';
import { resumeState, type TrainerState } from './runState.js';
import { headBiasOf, setUnigramBias } from './headBias.js';

export { TrainingError };

/** What a run will need, computed before anything is written. */
export interface TrainPlan {
  parameters: number;
  estimate: MemoryEstimate;
  batchesPerEpoch: number;
  totalSteps: number;
  /** Training documents longer than the model accepts, cut to documentLimit tokens (padded batches). */
  cutDocuments: number;
  documentLimit: number | null;
  /** Bytes one checkpoint writes: weights, and the optimizer state unless saveOptimizer is off. */
  checkpointBytes: { weights: number; optimizer: number };
  /** Held-out documents evaluated each time (0 without a test split or with eval off). */
  evalDocuments: number;
}

export type TrainEvent =
  | ({ kind: 'start'; resumedAt: number } & TrainPlan)
  | ({ kind: 'step'; totalSteps: number; batchesPerEpoch: number; log: boolean } & StepReport)
  | ({ kind: 'skip' } & SkipReport)
  | { kind: 'recovered'; what: 'completed' | 'discarded' }
  | { kind: 'eval-start'; why: EvalReason; step: number; documents: number; tokens: number }
  | { kind: 'eval-progress'; done: number; total: number }
  | { kind: 'eval'; epoch: number; step: number; why: EvalReason; result: EvalResult; best: boolean }
  | { kind: 'checkpoint'; step: number; reason: CheckpointReason };

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
  /** Called with the plan before anything is written; throw to refuse the run (memory, disk). */
  checkPlan?: (plan: TrainPlan) => void;
  onEvent?: (e: TrainEvent) => void;
}

export interface TrainResult {
  /** Mean training loss over the last logEvery steps. */
  trainLoss: number;
  /** Token-weighted held-out loss of the final weights (null without a test split or with eval off). */
  testLoss: number | null;
  testBatchMeanLoss: number | null;
  /** The best held-out loss seen and its step (its weights are in RUN_DIR/best/). */
  bestTestLoss: number | null;
  bestStep: number | null;
  steps: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** Peak resident memory over the whole run (all resumed sessions), bytes. */
  peakRssBytes: number;
  /** Batches skipped for a non-finite loss or gradient over the whole run (skipNonfinite). */
  skippedSteps: number;
  interrupted: boolean;
  /** What ended the run: all epochs, maxSteps, maxTokens, the time budget, or an interrupt. */
  stop: 'epochs' | 'steps' | 'tokens' | 'time' | 'interrupt';
  /** Where the wall-clock time of every session went (steps, data, evaluation, checkpoints), seconds. */
  time: TimeSpent;
}

/** This process's peak resident set size so far, bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Epoch-end checkpoints come at most this often (a tiny corpus has thousands of epochs a minute). */
const EPOCH_CHECKPOINT_SECONDS = 60;

/** The held-out documents evaluated during the run: the first evalDocs, or all. */
function evalSplit(run: TrainRun): TokenSplit | undefined {
  if (!run.test || !run.config.eval) return undefined;
  return run.config.evalDocs === null ? run.test : firstDocuments(run.test, run.config.evalDocs);
}

/** Steps, memory and checkpoint size of a run, without writing or allocating anything large. */
export function planTraining(run: TrainRun): TrainPlan {
  const { model, config: c } = run;
  const batchesPerEpoch = countBatches(run.train, { batchSize: c.batchSize, mode: c.batching, blockSize: c.blockSize });
  if (batchesPerEpoch === 0) throw new ConfigError('the training split has no documents', 'prepare the data again, with a corpus that has text');
  const docLimit = c.batching === 'padded' ? documentLimit(model) : undefined;
  if (c.batching === 'packed' && model.maxSequence !== undefined && c.blockSize - 1 > model.maxSequence) {
    throw new ConfigError(`packed rows of ${c.blockSize} tokens give ${c.blockSize - 1} inputs, more than the model's ${model.maxSequence} positions`,
      `set blockSize to at most ${model.maxSequence + 1} (--block-size), or build the model with a larger maxLen`);
  }
  const T = c.batching === 'packed' ? c.blockSize : paddedLength(model, run.train);
  const moments = c.optimizer === 'adamw' ? 2 : c.momentum > 0 ? 1 : 0;
  const estimate = estimateMemory(run.modelConfig, c.batchSize, Math.max(1, T - 1), c.memoryBudget,
    c.batching === 'padded' ? (rows) => maxDistinctTokens(run.train, rows) : undefined, moments);
  const parameters = model.numParameters();
  const held = evalSplit(run);
  return {
    parameters, estimate, batchesPerEpoch, totalSteps: plannedSteps(c, batchesPerEpoch),
    cutDocuments: documentsLongerThan(run.train, docLimit), documentLimit: docLimit ?? null,
    checkpointBytes: { weights: parameters * 4, optimizer: c.saveOptimizer ? moments * parameters * 4 : 0 },
    evalDocuments: held ? numDocuments(held) : 0,
  };
}

export async function train(run: TrainRun): Promise<TrainResult> {
  const plan = planTraining(run);
  run.checkPlan?.(plan);
  let lock: FolderLock | null = null;
  if (run.outDir) {
    if (!run.resume) mkdirSync(run.outDir, { recursive: true });
    const l = tryLockFolder(run.outDir, 'run folder');
    if (l instanceof LockBusy) throw new CheckpointError(l.why, l.hint);
    lock = l;
  }
  try {
    return await trainLocked(run, plan);
  } finally {
    lock?.release();
  }
}

async function trainLocked(run: TrainRun, plan: TrainPlan): Promise<TrainResult> {
  const { model, config: c, outDir } = run;
  const emit = run.onEvent ?? (() => {});
  const opt = createOptimizer(model, c);
  const rngs = model.namedRngs();
  let st: TrainerState = {
    version: 3, step: 0, epoch: 0, batchInEpoch: 0, tokens: 0, seconds: 0, skipped: 0, rngs: {}, lastTestLoss: null,
    bestTestLoss: null, bestStep: null, done: false, resumable: c.saveOptimizer, files: {},
  };
  const bestDir = outDir ? join(outDir, 'best') : undefined;
  // Checked before anything is written; set once the folder is ready (a resumed run has its own).
  const headBias = !run.resume && c.headBiasInit === 'unigram' ? headBiasOf(model, run.modelConfig.type) : null;
  if (outDir) {
    if (run.resume) {
      const recovered = recoverCheckpoint(outDir);
      if (recovered !== 'none') emit({ kind: 'recovered', what: recovered });
      st = resumeState(outDir, model, opt, plan.batchesPerEpoch);
      for (const [name, r] of rngs) {
        const saved = st.rngs[name];
        if (!saved) throw new CheckpointError(`${join(outDir, RUN_FILES.trainer)} has no state for the generator '${name}'`, 'the run was saved by a model with other random parts; start a new run');
        r.setState(saved);
      }
    } else {
      discardPendingCheckpoint(outDir);
      const config = { slmkit: 1, model: run.modelConfig, train: c, ...run.extraConfig };
      writeJsonAtomic(join(outDir, RUN_FILES.config), config);
      if (run.tokenizerJson !== undefined) writeJsonAtomic(join(outDir, RUN_FILES.tokenizer), run.tokenizerJson);
      writeFileAtomic(join(outDir, RUN_FILES.metrics), '');
      // trainer.json records these files' CRC-32s: a resume refuses them changed.
      for (const name of [RUN_FILES.config, RUN_FILES.tokenizer]) {
        const crc = fileCrc(join(outDir, name));
        if (crc) st.files[name] = crc;
      }
      if (bestDir && c.keepBest && evalSplit(run)) {
        mkdirSync(bestDir, { recursive: true });
        writeJsonAtomic(join(bestDir, RUN_FILES.config), { ...config, best: true });
        if (run.tokenizerJson !== undefined) writeJsonAtomic(join(bestDir, RUN_FILES.tokenizer), run.tokenizerJson);
      }
    }
  }
  if (headBias) setUnigramBias(headBias, run.train);
  emit({ kind: 'start', resumedAt: st.step, ...plan });

  let lastSave = performance.now();
  /** The step of the last checkpoint in the folder (null: none yet). */
  let savedStep: number | null = run.resume ? st.step : null;
  const resumeHint = (hint: string) => (savedStep === null ? hint : `${hint.replace(/, then run the command again$/, '')}, then continue with slm train --resume ${outDir}`);
  const kept = () => (savedStep === null ? 'no checkpoint was saved yet' : `the checkpoint at step ${savedStep} in ${outDir} is intact`);
  const save = (reason: CheckpointReason) => {
    st.peakRssBytes = Math.max(st.peakRssBytes ?? 0, peakRss());
    if (!outDir) return;
    if (reason === 'epoch' && performance.now() - lastSave < EPOCH_CHECKPOINT_SECONDS * 1000 && st.epoch < c.epochs) return;
    st.rngs = Object.fromEntries(rngs.map(([n, r]) => [n, r.getState()]));
    try {
      saveCheckpoint(outDir, { model, ...(c.saveOptimizer ? { optimizer: opt } : {}), step: st.step, state: st as unknown as Record<string, unknown> });
    } catch (err) {
      const w = writeFailure(err, outDir);
      if (!w) throw err;
      throw new CheckpointError(`${w.message}: the checkpoint at step ${st.step} was not saved; ${kept()}`, resumeHint(w.hint));
    }
    savedStep = st.step;
    lastSave = performance.now();
    emit({ kind: 'checkpoint', step: st.step, reason });
  };
  const log = (rec: Record<string, unknown>) => {
    if (!outDir) return;
    try {
      appendFileSync(join(outDir, RUN_FILES.metrics), `${JSON.stringify(rec)}\n`);
    } catch (err) {
      const w = writeFailure(err, join(outDir, RUN_FILES.metrics));
      if (!w) throw err;
      throw new CheckpointError(`${w.message}; ${kept()}`, resumeHint(w.hint));
    }
  };

  const held = evalSplit(run);
  let testEval: EvalResult | null = null;
  const runEval = async (why: EvalReason): Promise<boolean> => {
    if (!held) return true;
    emit({ kind: 'eval-start', why, step: st.step, documents: numDocuments(held), tokens: held.ids.length - numDocuments(held) });
    const r = await evaluate(model, held, {
      batchSize: c.batchSize, microRows: plan.estimate.microRows, mode: c.batching, blockSize: c.blockSize, signal: run.signal,
      onProgress: (done, total) => emit({ kind: 'eval-progress', done, total }),
    });
    if (run.signal?.aborted) return false;
    testEval = r;
    st.lastTestLoss = r.loss;
    const best = st.bestTestLoss === null || r.loss < st.bestTestLoss;
    if (best) {
      st.bestTestLoss = r.loss;
      st.bestStep = st.step;
      if (bestDir && c.keepBest && existsSync(bestDir)) saveModelWeights(bestDir, model, st.step);
    }
    log({ step: st.step, epoch: st.epoch, testLoss: r.loss, testBatchMeanLoss: r.batchMeanLoss, testTokens: r.tokens, ...(held !== run.test ? { testDocs: numDocuments(held) } : {}) });
    emit({ kind: 'eval', epoch: st.epoch, step: st.step, why, result: r, best });
    return true;
  };

  const batches = new BatchPrefetcher(run.train, {
    batchSize: c.batchSize, shuffle: c.shuffle, seed: c.seed, mode: c.batching, blockSize: c.blockSize, maxLen: plan.documentLimit ?? undefined,
  });
  let result;
  try {
    result = await trainLoop({
      model, optimizer: opt, config: c, batches, batchesPerEpoch: plan.batchesPerEpoch, microRows: plan.estimate.microRows,
      state: st, signal: run.signal,
      hooks: {
        afterStep: memoryKeeper(),
        skipped: (r) => {
          log({ step: r.step, epoch: r.epoch, batch: r.batch, skipped: r.why, skippedSteps: r.skipped });
          emit({ kind: 'skip', ...r });
        },
        step: (r) => {
          log({ step: r.step, epoch: r.epoch, loss: r.loss, tokens: r.tokens, lr: r.lr, seconds: +r.seconds.toFixed(3), ...(r.gradNorm !== null ? { gradNorm: +r.gradNorm.toPrecision(5) } : {}) });
          emit({ kind: 'step', ...r, totalSteps: plan.totalSteps, batchesPerEpoch: plan.batchesPerEpoch, log: r.step % c.logEvery === 0 });
        },
        evaluate: runEval,
        checkpoint: (why) => {
          if (why === 'end') st.done = true;
          save(why);
        },
      },
    });
  } catch (err) {
    if (err instanceof TrainingError) {
      const keptText = !outDir ? 'nothing was written (no run folder)' : savedStep === null ? `no checkpoint was saved before it in ${outDir}`
        : `the last good checkpoint is kept: step ${savedStep} in ${outDir}`;
      throw new TrainingError(`${err.message}; the run stopped there and ${keptText}`, err.hint);
    }
    throw err;
  } finally {
    await batches.close();
  }
  const done = testEval as EvalResult | null;
  return {
    trainLoss: result.trainLoss, testLoss: done?.loss ?? st.lastTestLoss, testBatchMeanLoss: done?.batchMeanLoss ?? null,
    bestTestLoss: st.bestTestLoss, bestStep: st.bestStep, steps: st.step, tokens: st.tokens, seconds: st.seconds,
    tokensPerSecond: result.tokensPerSecond, peakRssBytes: st.peakRssBytes ?? peakRss(), skippedSteps: st.skipped ?? 0,
    interrupted: result.stop === 'interrupt', stop: result.stop, time: { ...st.time! },
  };
}
