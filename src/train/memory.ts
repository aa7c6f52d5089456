/**
 * Memory planning before step 0: an estimate of peak memory (parameters, gradients, AdamW's two
 * moments, activations of one micro-batch) and the micro-batch size that keeps activations inside
 * a budget (the transformer's attention maps grow with T²). Micro-batching changes
 * nothing in the result: the loss of each micro-batch is divided by the whole batch's token count,
 * so the gradients add up to the whole batch's.
 */
import { ConfigError } from '../tensor/errors.js';
import { countParameters, type ModelConfig } from '../models/registry.js';
import { chunkRows } from '../ops/fusedLoss.js';

export interface MemoryEstimate {
  parameters: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
  /** Rows (documents) per micro-batch. */
  microRows: number;
}

/**
 * Bytes of activations kept for backward per batch row of T positions. The output layer is fused
 * with the loss (ops/fusedLoss.ts), so no (T,V) logits appear here; see `headBytes`.
 */
export function activationBytesPerRow(c: ModelConfig, T: number): number {
  switch (c.type) {
    case 'markov':
      return 3 * T * 4; // ids, targets, selected rows
    case 'lowrank':
      // embedding and dropout outputs of the real positions (at most T), and their gradients
      return 2 * 2 * T * c.embedDim * 4;
    case 'transformer': {
      const C = c.embedDim;
      // per block: q,k,v,attn out, proj, 2 residual sums, 2 LN outputs (9 C) + MLP 4C×2 + output C,
      // each with a gradient; attention probabilities (H,T,T) kept for backward (their gradient is
      // never materialised: the kernels work row by row).
      const perBlock = 2 * T * (18 * C) * 4 + c.heads * T * T * 4;
      return c.layers * perBlock + 6 * T * C * 4;
    }
    default:
      throw new ConfigError(`unknown model type '${(c satisfies never as { type: string }).type}'`);
  }
}

/**
 * Bytes the fused output layer needs besides the rows: one chunk of logits (about 64 MB), the
 * output weight's gradient and the weight packed twice for the chunks' products, or for the Markov table one gradient row per distinct input token:
 * `distinctRows` when the caller counted them (maxDistinctTokens; a PubMed batch of 128 documents
 * has about 4,500), else the bound min(V, tokens).
 */
export function headBytes(c: ModelConfig, batchTokens: number, distinctRows?: number): number {
  if (c.type === 'markov') return Math.min(c.vocabSize, batchTokens, distinctRows ?? Infinity) * c.vocabSize * 4;
  const chunk = Math.min(chunkRows(c.vocabSize), batchTokens) * c.vocabSize * 4;
  return chunk + 3 * c.vocabSize * c.embedDim * 4;
}

/** Rows per micro-batch so one micro-batch's activations fit `budgetBytes` (at least 1). */
export function chooseMicroRows(c: ModelConfig, batchSize: number, T: number, budgetBytes: number): number {
  const per = activationBytesPerRow(c, Math.max(1, T));
  return Math.max(1, Math.min(batchSize, Math.floor(budgetBytes / per)));
}

/**
 * Peak memory of a training step. `distinctRows(microRows)`, when given, counts the distinct input
 * tokens of the largest micro-batch (Markov table rows touched); without it the bound is loose.
 */
export function estimateMemory(c: ModelConfig, batchSize: number, T: number, budgetBytes: number,
  distinctRows?: (microRows: number) => number): MemoryEstimate {
  const p = countParameters(c) * 4;
  const microRows = chooseMicroRows(c, batchSize, T, budgetBytes);
  const rows = c.type === 'markov' && distinctRows ? distinctRows(microRows) : undefined;
  const activations = microRows * activationBytesPerRow(c, T) + headBytes(c, microRows * T, rows);
  // The Markov table's gradient is row-sparse: its rows are counted in headBytes, not as a dense copy.
  const gradients = c.type === 'markov' ? 0 : p;
  const est = { parameters: p, gradients, optimizer: 2 * p, activations, total: 0, microRows };
  est.total = est.parameters + est.gradients + est.optimizer + est.activations;
  return est;
}

/** "1.23 GB"-style figure. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 2)} ${units[i]}`;
}
