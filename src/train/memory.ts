/**
 * Memory planning before step 0: an estimate of peak memory (parameters, gradients, AdamW's two
 * moments, activations of one micro-batch) and the micro-batch size that keeps the largest
 * activation, the (rows, T, V) logits and their gradient, inside a budget. Micro-batching changes
 * nothing in the result: the loss of each micro-batch is divided by the whole batch's token count,
 * so the gradients add up to the whole batch's.
 */
import { ConfigError } from '../tensor/errors.js';
import { countParameters, type ModelConfig } from '../models/registry.js';

export interface MemoryEstimate {
  parameters: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
  /** Rows (documents) per micro-batch. */
  microRows: number;
}

/** Bytes of activations kept for backward per batch row of T positions. */
export function activationBytesPerRow(c: ModelConfig, T: number): number {
  const logits = 2 * T * c.vocabSize * 4; // logits and their gradient
  switch (c.type) {
    case 'markov':
      return logits;
    case 'lowrank':
      return logits + 3 * 2 * T * c.embedDim * 4; // embedding, dropout output, and their gradients
    case 'transformer': {
      const C = c.embedDim;
      // per block: q,k,v,attn out, proj, 2 residual sums, 2 LN outputs (9 C) + MLP 4C×2 + output C,
      // each with a gradient; attention probabilities (H,T,T) kept for backward, and their grad.
      const perBlock = 2 * T * (18 * C) * 4 + 2 * c.heads * T * T * 4;
      return logits + c.layers * perBlock + 4 * T * C * 4;
    }
    default:
      throw new ConfigError(`unknown model type '${(c satisfies never as { type: string }).type}'`);
  }
}

/** Rows per micro-batch so one micro-batch's activations fit `budgetBytes` (at least 1). */
export function chooseMicroRows(c: ModelConfig, batchSize: number, T: number, budgetBytes: number): number {
  const per = activationBytesPerRow(c, Math.max(1, T));
  return Math.max(1, Math.min(batchSize, Math.floor(budgetBytes / per)));
}

export function estimateMemory(c: ModelConfig, batchSize: number, T: number, budgetBytes: number): MemoryEstimate {
  const p = countParameters(c) * 4;
  const microRows = chooseMicroRows(c, batchSize, T, budgetBytes);
  const activations = microRows * activationBytesPerRow(c, T);
  const est = { parameters: p, gradients: p, optimizer: 2 * p, activations, total: 0, microRows };
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
