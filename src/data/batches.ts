/**
 * Batches from a token store split, in two modes:
 * - padded (the notebook's): B documents padded with id 0 to the longest in the batch,
 *   attention mask 1 on real tokens; in file order by default, or shuffled with a seed per epoch.
 * - packed: the split's documents back to back ([CLS] a [SEP][CLS] b [SEP] …) cut into rows of T
 *   tokens that overlap by one, so every token but the first is a target exactly once and nothing
 *   is padding except the tail of the last row.
 * `shiftBatch` makes the notebook's inputs ids[:, :-1], targets ids[:, 1:] and mask mask[:, 1:].
 */
import { ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { narrow } from '../ops/shape.js';
import { documentIds, numDocuments, type TokenSplit } from './split.js';

export interface Batch {
  /** (B,T) int32 token ids, 0 on padding. */
  ids: Tensor;
  /** (B,T) int32, 1 on real tokens. */
  mask: Tensor;
}

export interface StepBatch {
  /** (B,T-1) ids[:, :-1] */
  inputs: Tensor;
  /** (B,T-1) ids[:, 1:] */
  targets: Tensor;
  /** (B,T-1) mask[:, 1:]: which targets count in the loss. */
  mask: Tensor;
  /** (B,T-1) mask[:, :-1]: which inputs are real (for attention). */
  inputMask: Tensor;
  /** Number of targets that count (sum of mask). */
  tokens: number;
}

/** The notebook's shift: predict token t+1 from tokens up to t. */
export function shiftBatch(b: Batch): StepBatch {
  const T = b.ids.shape[1]!;
  const mask = narrow(b.mask, 1, 1, T - 1);
  let tokens = 0;
  for (const m of mask.data) tokens += m;
  return {
    inputs: narrow(b.ids, 1, 0, T - 1),
    targets: narrow(b.ids, 1, 1, T - 1),
    mask,
    inputMask: narrow(b.mask, 1, 0, T - 1),
    tokens,
  };
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle documents (padded) or rows (packed) each epoch; default false (file order). */
  shuffle?: boolean;
  /** Seed for shuffling; the epoch number is mixed in so each epoch has its own order. */
  seed?: number;
  epoch?: number;
  /** Padded mode: cut documents to this many tokens (default: no cut). */
  maxLen?: number;
  /** Skip this many batches at the start of the epoch without building them (resuming). */
  startBatch?: number;
}

function checkBatchSize(n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`batch size must be a positive integer, got ${n}`);
}

function order(n: number, opts: BatchOptions): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (opts.shuffle) new Rng(opts.seed ?? 42).fork(`epoch-${opts.epoch ?? 0}`).shuffle(idx);
  return idx;
}

/** Number of batches an epoch yields. */
export function countBatches(split: TokenSplit, opts: BatchOptions & { mode?: 'padded' | 'packed'; blockSize?: number }): number {
  checkBatchSize(opts.batchSize);
  const units = opts.mode === 'packed' ? packedRows(split, opts.blockSize ?? 512) : numDocuments(split);
  return Math.ceil(units / opts.batchSize);
}

/** Padded batches of documents, the notebook's way. */
export function* paddedBatches(split: TokenSplit, opts: BatchOptions): Generator<Batch> {
  checkBatchSize(opts.batchSize);
  const n = numDocuments(split);
  const idx = order(n, opts);
  const maxLen = opts.maxLen ?? Infinity;
  for (let start = (opts.startBatch ?? 0) * opts.batchSize; start < n; start += opts.batchSize) {
    const docs = idx.subarray(start, Math.min(n, start + opts.batchSize));
    let T = 0;
    for (const d of docs) T = Math.max(T, Math.min(maxLen, split.offsets[d + 1]! - split.offsets[d]!));
    const B = docs.length;
    const ids = new Int32Array(B * T);
    const mask = new Int32Array(B * T);
    docs.forEach((d, b) => {
      const doc = documentIds(split, d);
      const len = Math.min(T, doc.length);
      for (let t = 0; t < len; t++) {
        ids[b * T + t] = doc[t]!;
        mask[b * T + t] = 1;
      }
    });
    yield { ids: new Tensor(ids, [B, T]), mask: new Tensor(mask, [B, T]) };
  }
}

/** Rows of T tokens overlapping by one over the concatenated documents. */
function packedRows(split: TokenSplit, T: number): number {
  if (!Number.isInteger(T) || T < 2) throw new ConfigError(`packed rows need a block size of at least 2, got ${T}`);
  const total = split.ids.length;
  return total <= 1 ? 0 : Math.ceil((total - 1) / (T - 1));
}

/** Packed batches: rows of `blockSize` tokens, documents joined back to back. */
export function* packedBatches(split: TokenSplit, opts: BatchOptions & { blockSize: number }): Generator<Batch> {
  checkBatchSize(opts.batchSize);
  const T = opts.blockSize;
  const rows = packedRows(split, T);
  const idx = order(rows, opts);
  const total = split.ids.length;
  for (let start = (opts.startBatch ?? 0) * opts.batchSize; start < rows; start += opts.batchSize) {
    const sel = idx.subarray(start, Math.min(rows, start + opts.batchSize));
    const B = sel.length;
    const ids = new Int32Array(B * T);
    const mask = new Int32Array(B * T);
    sel.forEach((r, b) => {
      const from = r * (T - 1);
      const len = Math.min(T, total - from);
      for (let t = 0; t < len; t++) {
        ids[b * T + t] = split.ids[from + t]!;
        mask[b * T + t] = 1;
      }
    });
    yield { ids: new Tensor(ids, [B, T]), mask: new Tensor(mask, [B, T]) };
  }
}

export interface PaddingReport {
  /** Positions the model computes in an epoch (B × (T-1) summed over batches). */
  positions: number;
  /** Of those, targets that count in the loss. */
  tokens: number;
  /** Share of computed positions that are padding. */
  paddingShare: number;
}

/**
 * The most distinct token ids among `rows` consecutive documents (file order), over the split:
 * how many rows of a V × V table one micro-batch touches (the Markov chain's row-sparse gradient).
 */
export function maxDistinctTokens(split: TokenSplit, rows: number): number {
  checkBatchSize(rows);
  const n = numDocuments(split);
  const seen = new Int32Array(split.vocabSize).fill(-1);
  let best = 0;
  for (let start = 0, group = 0; start < n; start += rows, group++) {
    let distinct = 0;
    const end = split.offsets[Math.min(n, start + rows)]!;
    for (let i = split.offsets[start]!; i < end; i++) {
      const id = split.ids[i]!;
      if (seen[id] !== group) {
        seen[id] = group;
        distinct++;
      }
    }
    best = Math.max(best, distinct);
  }
  return best;
}

/** How much of an epoch's compute is padding, without building the batches. */
export function paddingReport(split: TokenSplit, opts: BatchOptions & { mode: 'padded' | 'packed'; blockSize?: number }): PaddingReport {
  checkBatchSize(opts.batchSize);
  let positions = 0;
  let tokens = 0;
  if (opts.mode === 'packed') {
    const T = opts.blockSize ?? 512;
    positions = packedRows(split, T) * (T - 1);
    tokens = Math.max(0, split.ids.length - 1);
  } else {
    const n = numDocuments(split);
    const idx = order(n, opts);
    const maxLen = opts.maxLen ?? Infinity;
    for (let start = 0; start < n; start += opts.batchSize) {
      const docs = idx.subarray(start, Math.min(n, start + opts.batchSize));
      let T = 0;
      for (const d of docs) {
        const len = Math.min(maxLen, split.offsets[d + 1]! - split.offsets[d]!);
        T = Math.max(T, len);
        tokens += Math.max(0, len - 1);
      }
      positions += docs.length * Math.max(0, T - 1);
    }
  }
  return { positions, tokens, paddingShare: positions === 0 ? 0 : 1 - tokens / positions };
}
