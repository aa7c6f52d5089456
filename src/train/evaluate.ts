/**
 * Held-out evaluation: the masked cross-entropy over a whole split, in evaluation mode (dropout
 * off) and without a graph. Reported two ways: token-weighted (total loss / total real tokens —
 * the figure to compare models by) and the notebook's mean of per-batch means.
 */
import { countBatches, packedBatches, paddedBatches, shiftBatch, type Batch } from '../data/batches.js';
import type { TokenSplit } from '../data/store.js';
import type { LanguageModel } from '../models/model.js';
import { runBatch } from './step.js';

export interface EvalOptions {
  batchSize: number;
  /** Rows per micro-batch (memory); default the whole batch. */
  microRows?: number;
  mode?: 'padded' | 'packed';
  blockSize?: number;
  maxLen?: number;
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
  /** Real target tokens counted. */
  tokens: number;
  /** The notebook's figure: mean over batches of each batch's masked mean. */
  batchMeanLoss: number;
  batches: number;
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
  const total = countBatches(split, { ...o, mode: o.mode ?? 'padded' });
  try {
    for (const b of evalBatches(split, o)) {
      if (o.signal?.aborted) break;
      const sb = shiftBatch(b);
      const r = runBatch(model, sb, o.microRows ?? o.batchSize, false);
      sum += r.loss * r.tokens;
      tokens += r.tokens;
      if (r.tokens > 0) {
        batchSum += r.loss;
        batches++;
      }
      o.onProgress?.(batches, total);
      await new Promise((res) => setImmediate(res));
    }
  } finally {
    model.train(wasTraining);
  }
  const loss = tokens === 0 ? Number.NaN : sum / tokens;
  return {
    loss,
    perplexity: Math.exp(loss),
    bitsPerToken: loss / Math.LN2,
    tokens,
    batchMeanLoss: batches === 0 ? Number.NaN : batchSum / batches,
    batches,
  };
}
