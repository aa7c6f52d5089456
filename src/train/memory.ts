/**
 * Memory planning before step 0: an estimate of peak memory (parameters, gradients, AdamW's two
 * moments, activations of one micro-batch) and the micro-batch size that keeps activations inside
 * a budget (the transformer's attention maps grow with T²). Micro-batching changes
 * nothing in the result: the loss of each micro-batch is divided by the whole batch's token count,
 * so the gradients add up to the whole batch's.
 */
import { countParameters, neuralFamilyOf, type ModelConfig } from '../models/registry.js';

export interface MemoryEstimate {
  parameters: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
  /** Rows (documents) per micro-batch. */
  microRows: number;
}

/** Bytes of activations kept for backward per batch row of T positions (the family's own estimate). */
export function activationBytesPerRow(c: ModelConfig, T: number): number {
  return neuralFamilyOf(c.type).activationBytesPerRow(c, T);
}

/**
 * Rows per micro-batch so one micro-batch's activations fit `budgetBytes` (at least 1), balanced:
 * a batch of 32 that fits 30 rows runs as 16 + 16, not 30 + 2 (a tiny second pass wastes time).
 */
export function chooseMicroRows(c: ModelConfig, batchSize: number, T: number, budgetBytes: number): number {
  const per = activationBytesPerRow(c, Math.max(1, T));
  const fit = Math.max(1, Math.min(batchSize, Math.floor(budgetBytes / per)));
  return Math.ceil(batchSize / Math.ceil(batchSize / fit));
}

/**
 * Peak memory of a training step. `distinctRows(microRows)`, when given, counts the distinct input
 * tokens of the largest micro-batch (Markov table rows touched); without it the bound is loose.
 */
export function estimateMemory(c: ModelConfig, batchSize: number, T: number, budgetBytes: number,
  distinctRows?: (microRows: number) => number): MemoryEstimate {
  const p = countParameters(c) * 4;
  const microRows = chooseMicroRows(c, batchSize, T, budgetBytes);
  const f = neuralFamilyOf(c.type);
  const activations = microRows * f.activationBytesPerRow(c, T) + f.headBytes(c, microRows * T, distinctRows && (() => distinctRows(microRows)));
  // A row-sparse gradient (the Markov table's) is counted in headBytes, not as a dense copy.
  const gradients = f.gradientBytes ? f.gradientBytes(c) : p;
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
