/**
 * What `slm train` (and `slm run`) print while a run trains: the plan (memory, checkpoint size)
 * with the refusal when it cannot fit, a progress bar or log lines, held-out evaluations with their
 * own progress and time estimate, and checkpoints. Lines that a tiny corpus would repeat thousands
 * of times a minute (per-epoch evaluations and checkpoints) are throttled to one every few seconds;
 * the last evaluation is always shown.
 */
import { ConfigError } from '../tensor/errors.js';
import { formatBytes } from '../train/memory.js';
import type { TimeSpent } from '../train/loop.js';
import type { TrainEvent, TrainPlan } from '../train/trainer.js';
import { formatDuration, type Progress, say } from './common.js';

/** Seconds between two printed epoch evaluations or checkpoints. */
const THROTTLE_SECONDS = 10;

/** Prints the plan and throws a ConfigError when the run will not fit in `available` bytes. */
export function reportPlan(plan: TrainPlan, available: number, json: boolean | undefined): void {
  const m = plan.estimate;
  say(json, `memory estimate: ${formatBytes(m.total)} (parameters ${formatBytes(m.parameters)}, gradients ${formatBytes(m.gradients)}, `
    + `optimizer ${formatBytes(m.optimizer)}, activations ${formatBytes(m.activations)} in micro-batches of ${m.microRows} rows); available ${formatBytes(available)}`);
  if (m.total > available * 0.95) {
    throw new ConfigError(`training needs about ${formatBytes(m.total)} but only ${formatBytes(available)} is available`,
      'lower --memory-budget or --batch-size, or choose a smaller model');
  }
  const ck = plan.checkpointBytes;
  if (ck.weights + ck.optimizer > 1e9) {
    say(json, `note: each checkpoint writes ${formatBytes(ck.weights + ck.optimizer)} (weights ${formatBytes(ck.weights)}`
      + (ck.optimizer > 0 ? `, optimizer state ${formatBytes(ck.optimizer)}; --no-save-optimizer saves the weights alone, but the run then cannot be resumed)` : ')'));
  }
}

/**
 * Where a run's time went, in one line: the whole (every session, final evaluation and checkpoint
 * included), the steps' share, and each thing outside the steps.
 */
export function formatTimeSpent(t: TimeSpent): string {
  const secs = (x: number) => (x < 10 ? `${x.toFixed(1)}s` : formatDuration(x));
  const other = Math.max(0, t.total - t.steps - t.data - t.evaluation - t.checkpoints);
  const outside = t.total - t.steps;
  const pct = (x: number) => (t.total > 0 ? `${((100 * x) / t.total).toFixed(1)}%` : '–');
  return `time: ${secs(t.total)} in all, ${secs(t.steps)} in steps (${pct(t.steps)}); outside them ${secs(Math.max(0, outside))} (${pct(Math.max(0, outside))}): `
    + `held-out evaluation ${secs(t.evaluation)}, checkpoints ${secs(t.checkpoints)}, waiting for data ${secs(t.data)}, other ${secs(other)}`;
}

export class TrainReporter {
  private readonly lastQuiet = { eval: -Infinity, checkpoint: -Infinity };
  private evalStarted = 0;
  private evalShown = false;

  constructor(private readonly p: Progress, private readonly json: boolean | undefined) {}

  private line(text: string): void {
    if (this.json) process.stderr.write(`${text}\n`);
    else this.p.log(text);
  }

  /** Epoch-end lines of each kind are shown at most every THROTTLE_SECONDS. */
  private quietOk(kind: 'eval' | 'checkpoint'): boolean {
    const now = performance.now();
    if (now - this.lastQuiet[kind] < THROTTLE_SECONDS * 1000) return false;
    this.lastQuiet[kind] = now;
    return true;
  }

  onEvent(e: TrainEvent): void {
    switch (e.kind) {
      case 'start':
        if (e.cutDocuments > 0) {
          say(this.json, `note: ${e.cutDocuments.toLocaleString('en-US')} training documents are longer than the model's ${e.documentLimit! - 1} positions and are cut to `
            + `${e.documentLimit} tokens; --batching packed trains on every token`);
        }
        if (e.resumedAt > 0) say(this.json, `resuming at step ${e.resumedAt}`);
        if (!this.json) this.p.start(e.totalSteps, 'train');
        return;
      case 'step': {
        const text = `epoch ${e.epoch} loss ${e.loss.toFixed(4)} ${Math.round(e.tokensPerSecond)} tok/s ETA ${formatDuration(e.etaSeconds)}`;
        // When time or tokens end the run before its planned steps, the step total means nothing: show the budget's share.
        const byStep = e.totalSteps !== Infinity && Math.abs(e.step / e.totalSteps - e.progress) < 1e-6;
        const stepText = byStep ? `step ${e.step}/${e.totalSteps}` : `step ${e.step} (${(100 * e.progress).toFixed(0)}% of the budget)`;
        const line = `${stepText} epoch ${e.epoch} batch ${e.batch}/${e.batchesPerEpoch} loss ${e.loss.toFixed(4)} `
          + `(avg ${e.avgLoss.toFixed(4)}) lr ${e.lr.toPrecision(3)} ${Math.round(e.tokensPerSecond)} tok/s ETA ${formatDuration(e.etaSeconds)}`;
        if (this.json) {
          if (e.log) process.stderr.write(`${line}\n`);
          return;
        }
        this.p.update(e.step, text, line, e.log);
        return;
      }
      case 'eval-start':
        this.evalStarted = performance.now();
        this.evalShown = e.why === 'end' || e.why === 'every' || this.quietOk('eval');
        if (e.why === 'end') this.line(`final evaluation on ${e.documents.toLocaleString('en-US')} held-out documents (${e.tokens.toLocaleString('en-US')} tokens) ...`);
        return;
      case 'eval-progress': {
        // A long evaluation says how far it is and when it will end (after a first few batches).
        const s = (performance.now() - this.evalStarted) / 1000;
        if (this.evalShown && s > 5 && e.done < e.total && e.done % Math.max(1, Math.floor(e.total / 10)) === 0) {
          this.line(`  evaluating: ${e.done}/${e.total} batches, about ${formatDuration((s / e.done) * (e.total - e.done))} left`);
        }
        return;
      }
      case 'eval': {
        if (!this.evalShown) return;
        const r = e.result;
        const when = e.why === 'every' ? `during epoch ${e.epoch + 1}` : `${e.epoch} epoch${e.epoch === 1 ? '' : 's'} done`;
        this.line(`after step ${e.step} (${when}): test loss ${r.loss.toFixed(4)} per token (${r.tokens.toLocaleString('en-US')} tokens), `
          + `${r.batchMeanLoss.toFixed(4)} as the mean of ${r.batches} batch losses (the notebook's figure); perplexity ${r.perplexity.toFixed(1)}${e.best ? ' (best so far)' : ''}`);
        return;
      }
      case 'skip':
        this.line(`skipped step ${e.step} (epoch ${e.epoch}, batch ${e.batch}): ${e.why}; no update was applied `
          + `(${e.skipped} of at most ${e.allowed} skips used; --skip-nonfinite)`);
        return;
      case 'recovered':
        this.line(e.what === 'completed'
          ? 'the previous session was stopped while committing a checkpoint: finished it'
          : 'the previous session was stopped while writing a checkpoint: dropped the unfinished one, resuming from the one before');
        return;
      case 'checkpoint':
        if (e.reason === 'end') return;
        if (e.reason === 'epoch' && !this.quietOk('checkpoint')) return;
        this.line(`checkpoint at step ${e.step} (${e.reason})`);
        return;
      default:
        e satisfies never;
    }
  }
}
