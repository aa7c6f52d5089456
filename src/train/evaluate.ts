/**
 * Held-out evaluation: the masked cross-entropy over a whole split, in evaluation mode (dropout
 * off) and without a graph. Reported two ways: token-weighted (total loss / total real tokens —
 * the figure to compare models by) and the notebook's mean of per-batch means.
 */
import { countBatches, packedBatches, paddedBatches, shiftBatch, type Batch, type StepBatch } from '../data/batches.js';
import { longestDocument, type TokenSplit } from '../data/split.js';
import { bitsPerText, splitTextSize } from '../data/textBits.js';
import { countWindowBatches, windowBatches } from '../data/windows.js';
import type { LanguageModel } from '../models/model.js';
import { yieldToEventLoop } from './loop.js';
import { runBatch } from './step.js';

export interface EvalOptions {
  batchSize: number;
  /** Rows per micro-batch (memory); default the whole batch. */
  microRows?: number;
  mode?: 'padded' | 'packed';
  blockSize?: number;
  /** Padded mode: cut documents to this many tokens instead of scoring long ones in sliding windows. */
  maxLen?: number;
  /**
   * Padded mode, a model with a fixed context (maxSequence) and documents longer than it: each such
   * document is scored in overlapping windows that move on by this many tokens (default half the
   * context), every target once (data/windows.ts).
   */
  stride?: number;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Stops early (between batches) when aborted; the result then covers the batches done. */
  signal?: AbortSignal;
}

export interface EvalResult {
  /** Token-weighted mean masked cross-entropy, nats per token. */
  loss: number;
  perplexity: number;
  bitsPerToken: number;
  /**
   * Total loss in bits over the UTF-8 bytes (characters) of the text the scored tokens cover:
   * comparable across tokenizers. Null for a store without text sizes (prepared by slmkit < 0.2)
   * or when the model's context cut documents short (the loss then covers only part of the text).
   */
  bitsPerByte: number | null;
  bitsPerChar: number | null;
  /** Real target tokens counted. */
  tokens: number;
  /** The notebook's figure: mean over batches of each batch's masked mean. */
  batchMeanLoss: number;
  batches: number;
  /** Documents longer than the model's context, scored in sliding windows (0: none needed). */
  windowed: number;
}

/**
 * Padded mode: the longest a document may be for `model` (inputs are one shorter than the
 * document), or undefined when any length fits.
 */
export function documentLimit(model: LanguageModel): number | undefined {
  return model.maxSequence === undefined ? undefined : model.maxSequence + 1;
}

/** Tokens per row of the widest padded batch `model` sees on `split` (for memory planning). */
export function paddedLength(model: LanguageModel, split: TokenSplit): number {
  return Math.min(longestDocument(split), documentLimit(model) ?? Infinity);
}

/** Documents of `split` longer than `limit` tokens. */
export function documentsLongerThan(split: TokenSplit, limit: number | undefined): number {
  if (limit === undefined) return 0;
  let n = 0;
  for (let d = 0; d + 1 < split.offsets.length; d++) if (split.offsets[d + 1]! - split.offsets[d]! > limit) n++;
  return n;
}

function* mapBatches<A, B>(source: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of source) yield f(a);
}

export function* evalBatches(split: TokenSplit, o: EvalOptions): Generator<Batch> {
  if (o.mode === 'packed') yield* packedBatches(split, { batchSize: o.batchSize, blockSize: o.blockSize ?? 512 });
  else yield* paddedBatches(split, { batchSize: o.batchSize, maxLen: o.maxLen });
}

export async function evaluate(model: LanguageModel, split: TokenSplit, o: EvalOptions): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  let sum = 0;
  let tokens = 0;
  let batchSum = 0;
  let batches = 0;
  // A model with a fixed context scores documents longer than it in sliding windows, unless told to cut them.
  const window = o.mode !== 'packed' && o.maxLen === undefined ? model.maxSequence : undefined;
  const windowed = window === undefined ? 0 : documentsLongerThan(split, window + 1); // a row holds window inputs and one more target
  const source: Iterable<StepBatch> = windowed > 0
    ? windowBatches(split, { batchSize: o.batchSize, window: window!, stride: o.stride })
    : mapBatches(evalBatches(split, { ...o, maxLen: o.maxLen ?? documentLimit(model) }), shiftBatch);
  const total = windowed > 0 ? countWindowBatches(split, { batchSize: o.batchSize, window: window!, stride: o.stride })
    : countBatches(split, { ...o, mode: o.mode ?? 'padded' });
  try {
    for (const sb of source) {
      if (o.signal?.aborted) break;
      const r = runBatch(model, sb, o.microRows ?? o.batchSize, false);
      sum += r.loss * r.tokens;
      tokens += r.tokens;
      if (r.tokens > 0) {
        batchSum += r.loss;
        batches++;
      }
      o.onProgress?.(batches, total);
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  const loss = tokens === 0 ? Number.NaN : sum / tokens;
  const limit = o.mode === 'packed' || windowed > 0 ? undefined : o.maxLen ?? documentLimit(model);
  const whole = documentsLongerThan(split, limit) === 0;
  return {
    loss,
    perplexity: Math.exp(loss),
    bitsPerToken: loss / Math.LN2,
    ...bitsPerText(sum, whole ? splitTextSize(split) : null),
    tokens,
    batchMeanLoss: batches === 0 ? Number.NaN : batchSum / batches,
    batches,
    windowed,
  };
}
