/**
 * The training loop, browser-safe: batches in, optimizer steps out, nothing else. It knows the
 * model, an optimizer, a learning-rate schedule and a source of batches; it stops at the first of
 * its limits (epochs, steps, tokens, seconds) or when its signal aborts. A non-finite loss or
 * gradient norm stops it with a TrainingError before the bad step is applied, or — with
 * skipNonfinite N, as llm.c does — skips that batch (no update) up to N times in the run, then
 * stops; the skipped steps are reported through a hook and counted in the state. Everything around it —
 * files, resume, prefetching, evaluation, checkpoints, metrics, progress — comes in through hooks,
 * so the Node run folder (trainer.ts) and a web page share this one loop.
 */
import type { Batch } from '../data/batches.js';
import { shiftBatch } from '../data/batches.js';
import type { LanguageModel } from '../models/model.js';
import { clipGradNorm, gradNorm as globalGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import { TrainingError } from '../tensor/errors.js';
import type { TrainConfig } from './config.js';
import { lrAt } from './schedule.js';
import { runBatch } from './step.js';

/** Where a run stands; a checkpoint saves it and a resumed run starts from it. */
export interface LoopState {
  /** Optimizer steps taken. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Batches of the current epoch already trained on. */
  batchInEpoch: number;
  /** Real target tokens trained on. */
  tokens: number;
  /** Wall-clock seconds of training (evaluation and checkpoints included). */
  seconds: number;
  /** Batches skipped for a non-finite loss or gradient (skipNonfinite); absent means none. */
  skipped?: number;
  /** Where the run's wall-clock time went, over every session (absent in runs saved before it was kept). */
  time?: TimeSpent;
}

/** Seconds of a run's wall-clock time by what it was spent on. */
export interface TimeSpent {
  /** All of it, from each session's start to its end (final evaluation and checkpoint included). */
  total: number;
  /** Forward, backward, clipping and the optimizer's update. */
  steps: number;
  /** Waiting for the next batch. */
  data: number;
  /** Held-out evaluations. */
  evaluation: number;
  /** Writing checkpoints (and best weights kept by the evaluation hook count there, not here). */
  checkpoints: number;
}

/** A source of batches: one epoch at a time, from a given batch on (resuming mid-epoch). */
export interface BatchSource {
  epoch(epoch: number, startBatch: number): AsyncIterable<Batch> | Iterable<Batch>;
}

export interface StepReport {
  step: number;
  /** 1-based epoch this step belongs to. */
  epoch: number;
  /** 1-based batch within the epoch. */
  batch: number;
  loss: number;
  /** Real target tokens in this step's batch. */
  tokens: number;
  lr: number;
  /** The global gradient norm (before clipping, when gradClip is set). */
  gradNorm: number | null;
  /** Training seconds so far. */
  seconds: number;
  /** Fraction of the run done, 0 to 1, by whichever limit is closest (steps, tokens or time). */
  progress: number;
  /** Seconds left by the limit that will end the run first. */
  etaSeconds: number;
  /** Mean loss over the last logEvery steps. */
  avgLoss: number;
  /** Tokens per second since this session started. */
  tokensPerSecond: number;
}

/** A batch whose loss or gradient was not finite, skipped without an update (skipNonfinite). */
export interface SkipReport {
  /** The step it would have been. */
  step: number;
  epoch: number;
  batch: number;
  /** What was not finite: "loss NaN", "gradient norm Infinity". */
  why: string;
  /** Batches skipped so far in the run, this one included, and the most allowed. */
  skipped: number;
  allowed: number;
}

export type StopReason = 'epochs' | 'steps' | 'tokens' | 'time' | 'interrupt';
export type EvalReason = 'every' | 'epoch' | 'end';
export type CheckpointReason = 'every' | 'epoch' | 'interrupt' | 'end';

export interface LoopHooks {
  /** After each optimizer step. */
  step?(r: StepReport): void | Promise<void>;
  /** Evaluate the current weights; resolve false if evaluation was interrupted. */
  evaluate?(why: EvalReason): Promise<boolean>;
  /** Save the current state. */
  checkpoint?(why: CheckpointReason): void | Promise<void>;
  /** After each step's update, for housekeeping (prompt garbage collection in Node). */
  afterStep?(): void;
  /** After the gradient is computed, before it is checked and applied (gradient statistics; fault-injection tests). */
  afterBackward?(step: number): void;
  /** A batch was skipped for a non-finite loss or gradient (skipNonfinite). */
  skipped?(r: SkipReport): void | Promise<void>;
}

export type LoopConfig = Pick<TrainConfig, 'epochs' | 'maxSteps' | 'maxSeconds' | 'maxTokens' | 'gradClip' | 'saveEvery' | 'evalEvery'
  | 'logEvery' | 'lr' | 'warmupSteps' | 'schedule' | 'minLr'> & Partial<Pick<TrainConfig, 'skipNonfinite'>>;

export interface LoopOptions {
  model: LanguageModel;
  optimizer: Optimizer;
  config: LoopConfig;
  batches: BatchSource;
  /** Batches in one epoch (for progress and the step limit). */
  batchesPerEpoch: number;
  /** Rows per micro-batch (memory); the gradient is always the whole batch's. */
  microRows: number;
  /** Resume from here (default: a fresh start); updated in place as the loop runs. */
  state?: LoopState;
  signal?: AbortSignal;
  hooks?: LoopHooks;
  /** Milliseconds clock (default performance.now). */
  now?: () => number;
}

export interface LoopResult {
  state: LoopState;
  stop: StopReason;
  /** Mean training loss over the last logEvery steps of this session (NaN if none). */
  trainLoss: number;
  /** Tokens per second over this session's steps. */
  tokensPerSecond: number;
}

/** Lets other work run between steps (a page repaints; Node handles signals). */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((res) => { if (g.setImmediate) g.setImmediate(res); else setTimeout(res, 0); });
}

/** Optimizer steps the run will take at most: all epochs, or maxSteps. */
export function plannedSteps(c: Pick<TrainConfig, 'epochs' | 'maxSteps'>, batchesPerEpoch: number): number {
  return Math.min(c.maxSteps ?? Infinity, c.epochs * batchesPerEpoch);
}

export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  const { model, optimizer: opt, config: c, hooks = {} } = o;
  const now = o.now ?? (() => performance.now());
  const st: LoopState = o.state ?? { step: 0, epoch: 0, batchInEpoch: 0, tokens: 0, seconds: 0 };
  const totalSteps = plannedSteps(c, o.batchesPerEpoch);
  const t0 = now() - st.seconds * 1000;
  const start = { step: st.step, tokens: st.tokens, seconds: st.seconds };
  const sessionStart = now();
  const spent: TimeSpent = st.time ??= { total: 0, steps: 0, data: 0, evaluation: 0, checkpoints: 0 };
  const totalBefore = spent.total;
  const since = (t: number) => (now() - t) / 1000;
  // Kept current before each checkpoint, so that a run killed later resumes with its time so far.
  const syncTotal = () => { spent.total = totalBefore + since(sessionStart); };
  const recent: number[] = [];
  let evaluatedAt = -1;
  let stop: StopReason | null = null;

  // Progress by each limit; the run ends at the first to reach 1.
  const progressOf = () => Math.min(1, Math.max(
    totalSteps === Infinity ? 0 : st.step / totalSteps,
    c.maxTokens === null ? 0 : st.tokens / c.maxTokens,
    c.maxSeconds === null ? 0 : st.seconds / c.maxSeconds));
  const limitReached = (): StopReason | null => {
    if (st.step >= totalSteps) return st.step >= c.epochs * o.batchesPerEpoch ? 'epochs' : 'steps';
    if (c.maxTokens !== null && st.tokens >= c.maxTokens) return 'tokens';
    if (c.maxSeconds !== null && st.seconds >= c.maxSeconds) return 'time';
    if (o.signal?.aborted) return 'interrupt';
    return null;
  };
  const evaluate = async (why: EvalReason): Promise<boolean> => {
    if (!hooks.evaluate) return true;
    const t = now();
    const ok = await hooks.evaluate(why);
    spent.evaluation += since(t);
    if (ok) evaluatedAt = st.step;
    return ok;
  };
  const checkpoint = async (why: CheckpointReason) => {
    if (!hooks.checkpoint) return;
    syncTotal();
    const t = now();
    await hooks.checkpoint(why);
    spent.checkpoints += since(t);
  };

  model.train();
  outer: while (st.epoch < c.epochs) {
    stop = limitReached();
    if (stop) break;
    let waitFrom = now();
    for await (const b of o.batches.epoch(st.epoch, st.batchInEpoch)) {
      spent.data += since(waitFrom);
      stop = limitReached();
      if (stop) break outer;
      const time = c.maxSeconds === null ? 0 : st.seconds / c.maxSeconds;
      const tok = c.maxTokens === null ? 0 : st.tokens / c.maxTokens;
      opt.lr = lrAt(c, st.step, totalSteps, Math.max(time, tok));
      const stepFrom = now();
      opt.zeroGrad();
      const r = runBatch(model, shiftBatch(b), o.microRows, true);
      hooks.afterBackward?.(st.step + 1);
      // Checked on every step, clipping or not: a non-finite gradient must never reach the weights.
      const gradNorm = Number.isFinite(r.loss)
        ? (c.gradClip !== null ? clipGradNorm(model.parameters(), c.gradClip) : globalGradNorm(model.parameters())) : null;
      const bad = !Number.isFinite(r.loss) ? ['loss', r.loss] as const : !Number.isFinite(gradNorm) ? ['gradient norm', gradNorm] as const : null;
      if (bad !== null) {
        const where = `step ${st.step + 1} (epoch ${st.epoch + 1}, batch ${st.batchInEpoch + 1})`;
        const allowed = c.skipNonfinite ?? 0;
        const skipped = st.skipped ?? 0;
        if (skipped >= allowed) {
          throw new TrainingError(`${bad[0]} became ${bad[1]} at ${where}${allowed > 0 ? `, after skipping ${skipped} bad steps (skipNonfinite ${allowed})` : ''}`,
            `lower the learning rate (now ${opt.lr}) or set gradClip${allowed === 0 ? '; skipNonfinite N skips up to N such steps instead of stopping' : ''}`);
        }
        opt.zeroGrad(); // the step is dropped: no update, no optimizer step, the batch is consumed
        st.skipped = skipped + 1;
        st.batchInEpoch++;
        await hooks.skipped?.({ step: st.step + 1, epoch: st.epoch + 1, batch: st.batchInEpoch, why: `${bad[0]} ${bad[1]}`, skipped: st.skipped, allowed });
        spent.steps += since(stepFrom);
        await yieldToEventLoop();
        waitFrom = now();
        continue;
      }
      opt.step();
      hooks.afterStep?.();
      spent.steps += since(stepFrom);
      st.step++;
      st.batchInEpoch++;
      st.tokens += r.tokens;
      st.seconds = (now() - t0) / 1000;
      recent.push(r.loss);
      if (recent.length > c.logEvery) recent.shift();
      const elapsed = Math.max(1e-9, st.seconds - start.seconds);
      const rates = { step: (st.step - start.step) / elapsed, token: (st.tokens - start.tokens) / elapsed };
      const eta = Math.min(
        (totalSteps - st.step) / rates.step,
        c.maxTokens === null ? Infinity : (c.maxTokens - st.tokens) / rates.token,
        c.maxSeconds === null ? Infinity : c.maxSeconds - st.seconds);
      await hooks.step?.({
        step: st.step, epoch: st.epoch + 1, batch: st.batchInEpoch, loss: r.loss, tokens: r.tokens, lr: opt.lr, gradNorm,
        seconds: st.seconds, progress: progressOf(), etaSeconds: Math.max(0, eta), tokensPerSecond: rates.token,
        avgLoss: recent.reduce((a, x) => a + x, 0) / recent.length,
      });
      if (c.evalEvery !== null && st.step % c.evalEvery === 0 && !(await evaluate('every'))) {
        stop = 'interrupt';
        break outer;
      }
      if (c.saveEvery !== null && st.step % c.saveEvery === 0) await checkpoint('every');
      await yieldToEventLoop();
      waitFrom = now();
    }
    // The source ran dry: an epoch ended (unless a limit stopped it exactly at its last batch).
    st.epoch++;
    st.batchInEpoch = 0;
    if (evaluatedAt !== st.step && !(await evaluate('epoch'))) {
      stop = 'interrupt';
      break;
    }
    await checkpoint('epoch');
  }
  stop ??= limitReached() ?? 'epochs';
  // A run cut short still reports a held-out loss for the weights it ends with.
  if (stop !== 'interrupt' && evaluatedAt !== st.step && st.step > start.step && !(await evaluate('end'))) stop = 'interrupt';
  // The last checkpoint holds the time up to itself; the result counts it too.
  await checkpoint(stop === 'interrupt' ? 'interrupt' : 'end');
  syncTotal();
  return {
    state: st, stop,
    trainLoss: recent.length ? recent.reduce((a, x) => a + x, 0) / recent.length : Number.NaN,
    tokensPerSecond: (st.tokens - start.tokens) / Math.max(1e-9, st.seconds - start.seconds),
  };
}
