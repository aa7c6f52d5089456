/**
 * Loss curves from a run's metrics.jsonl text: training steps ({step, loss, tokens, seconds}) and
 * test evaluations ({step, testLoss}), with cumulative tokens and seconds so a curve can be drawn
 * against steps, tokens seen or training time. A counted (n-gram) run has one line at step 0 with
 * its test loss: it becomes a reference level. Pure parsing of text, browser-safe: the caller
 * reads the file.
 */

/** One point of a curve, with every x the chart may use. */
export interface CurvePoint {
  step: number;
  tokens: number;
  seconds: number;
  loss: number;
}

export interface RunCurves {
  /** Label in the legend (the run folder's name). */
  name: string;
  /** Training loss at every step (raw). */
  train: CurvePoint[];
  /** Test loss at each evaluation. */
  test: CurvePoint[];
  /** A count-based model's test loss: drawn as a horizontal reference line. */
  reference?: number;
}

/** Metrics text that cannot be plotted; `line` is 1-based, or 0 for the whole file. */
export class MetricsError extends Error {
  constructor(message: string, readonly line: number, readonly hint: string) {
    super(message);
    this.name = 'MetricsError';
  }
}

interface Row {
  step?: unknown;
  loss?: unknown;
  tokens?: unknown;
  seconds?: unknown;
  testLoss?: unknown;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Parses metrics.jsonl text; `counted` marks a count-based run (its test loss becomes a reference). */
export function parseMetrics(text: string, name: string, counted = false): RunCurves {
  const lines = text.split('\n');
  const partial = lines.length > 0 && lines[lines.length - 1] !== '';
  const out: RunCurves = { name, train: [], test: [] };
  let tokens = 0;
  const at = new Map<number, { tokens: number; seconds: number }>();
  for (const [i, l] of lines.entries()) {
    if (l.trim() === '') continue;
    let row: Row;
    try {
      row = JSON.parse(l) as Row;
    } catch {
      if (partial && i === lines.length - 1) {
        throw new MetricsError(`its last line is incomplete (line ${i + 1}): the run is still being written`, i + 1,
          'plot it again once the step is written, or when the run ends');
      }
      throw new MetricsError(`line ${i + 1} is not JSON`, i + 1, 'the file is damaged; slm train writes one JSON object per line');
    }
    if (typeof row !== 'object' || row === null || !num(row.step)) {
      throw new MetricsError(`line ${i + 1} has no step number`, i + 1, 'is this a metrics.jsonl written by slm train?');
    }
    if (num(row.loss)) {
      tokens += num(row.tokens) ? row.tokens : 0;
      const seconds = num(row.seconds) ? row.seconds : 0;
      out.train.push({ step: row.step, tokens, seconds, loss: row.loss });
      at.set(row.step, { tokens, seconds });
    }
    if (num(row.testLoss)) {
      const x = at.get(row.step) ?? { tokens, seconds: out.train.at(-1)?.seconds ?? 0 };
      out.test.push({ step: row.step, tokens: x.tokens, seconds: x.seconds, loss: row.testLoss });
    }
  }
  if (counted) {
    const last = out.test.at(-1);
    if (!last) throw new MetricsError('the counted model has no test loss', 0, 'count it again with slm train --model ngram');
    return { name, train: [], test: [], reference: last.loss };
  }
  if (out.train.length === 0 && out.test.length === 0) {
    throw new MetricsError('it holds no training steps yet', 0, 'plot the run once it has trained a step');
  }
  return out;
}

/** Trailing moving average over `window` points (fewer at the start). */
export function smoothLosses(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** The smoothing window for n raw points: about a twentieth of the run, 1 to 100 steps. */
export function smoothingWindow(n: number): number {
  return Math.max(1, Math.min(100, Math.round(n / 20)));
}
