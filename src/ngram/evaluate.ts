/**
 * Held-out loss of an n-gram model over a token store split, on exactly the tokens and mask the
 * neural models are scored on (train/evaluate.ts): every target ids[1:] of each document, predicted
 * from the tokens before it in the same document ([CLS] first), token-weighted mean of −ln p in
 * nats. One rolling pass, one binary search per order and token, no (B,T,V) tensor.
 *
 * A smoothed model never gives a zero probability. Maximum likelihood does, for pairs never seen
 * in training; instead of an infinite loss it reports how many test tokens had probability zero
 * (and their share) and the loss over the others.
 */
import type { TokenSplit } from '../data/split.js';
import { bitsPerText, splitTextSize } from '../data/textBits.js';
import { ConfigError } from '../tensor/errors.js';
import type { NgramModel } from './model.js';

export interface NgramEvalOptions {
  /** Documents per batch for the notebook's mean-of-batch-means figure (default 32, slm eval's). */
  batchSize?: number;
  /** Called every few thousand documents with (documents done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface NgramEvalResult {
  /** Token-weighted mean −ln p over targets with p > 0 (all of them unless mle), nats per token. */
  loss: number;
  perplexity: number;
  bitsPerToken: number;
  /** Total loss in bits over the bytes (characters) of the text; null for an old store or when some tokens have p = 0. */
  bitsPerByte: number | null;
  bitsPerChar: number | null;
  /** Targets scored: every token but each document's first. */
  tokens: number;
  /** Targets with probability 0 (mle only; 0 otherwise), left out of `loss`. */
  zeroProbTokens: number;
  zeroProbShare: number;
  /** The notebook's figure: mean over padded batches of batchSize documents of each batch's mean. */
  batchMeanLoss: number;
  batches: number;
}

export function evaluateNgram(model: NgramModel, split: TokenSplit, o: NgramEvalOptions = {}): NgramEvalResult {
  if (split.vocabSize !== model.vocabSize) {
    throw new ConfigError(`the split was tokenized for a vocabulary of ${split.vocabSize} but the n-gram model has ${model.vocabSize}`,
      'evaluate on data prepared with the tokenizer the model was counted with');
  }
  const { ids, offsets } = split;
  const D = offsets.length - 1;
  const batchSize = o.batchSize ?? 32;
  const state = new Int32Array(model.order + 1);
  let sum = 0;
  let tokens = 0;
  let zeros = 0;
  let batchSum = 0;
  let batches = 0;
  let bSum = 0;
  let bTokens = 0;
  for (let d = 0; d < D; d++) {
    const a = offsets[d]!;
    const b = offsets[d + 1]!;
    if (b > a) model.resetState(state, ids[a]!);
    for (let t = a + 1; t < b; t++) {
      const p = model.advance(state, ids[t]!);
      tokens++;
      if (p > 0) {
        const nll = -Math.log(p);
        sum += nll;
        bSum += nll;
        bTokens++;
      } else zeros++;
    }
    if ((d + 1) % batchSize === 0 || d === D - 1) {
      if (bTokens > 0) {
        batchSum += bSum / bTokens;
        batches++;
      }
      bSum = 0;
      bTokens = 0;
    }
    if (o.onProgress && ((d + 1) % 2000 === 0 || d === D - 1)) o.onProgress(d + 1, D);
  }
  const scored = tokens - zeros;
  const loss = scored === 0 ? Number.NaN : sum / scored;
  return {
    loss,
    perplexity: Math.exp(loss),
    bitsPerToken: loss / Math.LN2,
    ...bitsPerText(sum, zeros > 0 ? null : splitTextSize(split)),
    tokens,
    zeroProbTokens: zeros,
    zeroProbShare: tokens === 0 ? 0 : zeros / tokens,
    batchMeanLoss: batches === 0 ? Number.NaN : batchSum / batches,
    batches,
  };
}
