/**
 * Sliding-window scoring rows for a model with a fixed context (the transformer's positions): a
 * document longer than the window is scored in overlapping windows, each target exactly once and
 * with as much context as the window allows, as Hugging Face's perplexity guide does. The first
 * window scores its every target; each next one moves `stride` tokens on and scores only the
 * targets no earlier window did (the last window ends at the document's last token). A document
 * that fits is one row, as in padded batches. Rows are batched in document order and padded to the
 * longest row of their batch; `mask` marks the targets a row scores, `inputMask` its real inputs.
 */
import { Tensor } from '../tensor/tensor.js';
import { ConfigError } from '../tensor/errors.js';
import type { StepBatch } from './batches.js';
import { documentIds, numDocuments, type TokenSplit } from './split.js';

export interface WindowOptions {
  batchSize: number;
  /** Inputs a row may hold (the model's maxSequence). */
  window: number;
  /** Tokens each next window moves on (default: half the window). */
  stride?: number;
}

/** One row: the document, its first input token, and how many leading targets it leaves unscored. */
interface Row { doc: number; start: number; inputs: number; skip: number }

function* rows(split: TokenSplit, o: WindowOptions): Generator<Row> {
  const L = o.window;
  const stride = o.stride ?? Math.max(1, Math.floor(L / 2));
  if (!Number.isInteger(L) || L < 1) throw new ConfigError(`the scoring window must be a positive whole number of tokens, got ${L}`);
  if (!Number.isInteger(stride) || stride < 1 || stride > L) {
    throw new ConfigError(`the sliding window's stride must be between 1 and the window (${L}), got ${stride}`, 'a smaller stride gives each token more context and costs more');
  }
  for (let d = 0; d < numDocuments(split); d++) {
    const n = split.offsets[d + 1]! - split.offsets[d]!;
    if (n < 2) continue; // no target
    // Targets are positions 1 … n−1; a row starting at s predicts s+1 … s+inputs.
    let scored = 0; // targets 1 … scored are done
    for (let s = 0; scored < n - 1; s = Math.min(s + stride, n - 1 - L)) {
      const inputs = Math.min(L, n - 1 - s);
      yield { doc: d, start: s, inputs, skip: scored - s };
      scored = s + inputs;
    }
  }
}

/** Batches `windowBatches` will yield. */
export function countWindowBatches(split: TokenSplit, o: WindowOptions): number {
  let n = 0;
  for (const _ of rows(split, o)) n++;
  return Math.ceil(n / o.batchSize);
}

export function* windowBatches(split: TokenSplit, o: WindowOptions): Generator<StepBatch> {
  let pending: Row[] = [];
  const flush = (): StepBatch => {
    const B = pending.length;
    const T = Math.max(...pending.map((r) => r.inputs));
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const mask = new Int32Array(B * T);
    const inputMask = new Int32Array(B * T);
    let tokens = 0;
    pending.forEach((r, b) => {
      const doc = documentIds(split, r.doc);
      for (let t = 0; t < r.inputs; t++) {
        inputs[b * T + t] = doc[r.start + t]!;
        targets[b * T + t] = doc[r.start + t + 1]!;
        inputMask[b * T + t] = 1;
        if (t >= r.skip) {
          mask[b * T + t] = 1;
          tokens++;
        }
      }
    });
    pending = [];
    const shape = [B, T];
    return { inputs: new Tensor(inputs, shape), targets: new Tensor(targets, shape), mask: new Tensor(mask, shape), inputMask: new Tensor(inputMask, shape), tokens };
  };
  for (const r of rows(split, o)) {
    pending.push(r);
    if (pending.length === o.batchSize) yield flush();
  }
  if (pending.length > 0) yield flush();
}
