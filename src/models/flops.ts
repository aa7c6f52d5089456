/**
 * Useful floating-point work of one training step, counted from a model's shapes and the batch's
 * real tokens, so benchmarks can say what fraction of the machine's FMA peak a step achieves. One
 * function per family; `stepFlops` picks it (a missing family is a compile error).
 *
 * How the work is counted (the same convention for every family, so fractions compare):
 * - Only matrix products count: (M,K)·(K,N) is 2·M·N·K FLOPs (a multiply and an add per term).
 *   Elementwise work (activations, dropout, LayerNorm, softmax and the loss, AdamW) and embedding
 *   lookups are left out: they are memory-bound, and a step that spends its time there shows as a
 *   lower fraction, which is the point.
 * - Backward is twice forward (one product for the input's gradient, one for the weight's).
 *   A step is forward + backward = 3 × the forward products.
 * - Only real tokens count: a position whose target is padding is no useful work, even when a
 *   model computes it. N is the step's real target count.
 * - A recurrent row's first step multiplies the zero initial state: no work, not counted (the
 *   kernels skip it too).
 * - Causal attention counts the unmasked half once: a query at position t (0-based) meets t + 1
 *   keys, so a row of n real targets has n(n+1)/2 query-key pairs, each 2·C FLOPs for q·k (over
 *   all heads, H·D = C) and 2·C for the weighted sum of values.
 * The full-rank Markov chain does no matrix product (a table lookup, a softmax over V and AdamW on
 * V² entries): its useful FLOPs are 0 and its limit is memory bandwidth, not the FMA peak, so it
 * gets a byte count instead (stepBytes): the least memory traffic its step can do.
 */
import type { CnnConfig } from './cnn.js';
import type { LowRankConfig } from './lowrank.js';
import type { MarkovConfig } from './markov.js';
import type { MlpConfig } from './mlp.js';
import type { RecurrentConfig } from './recurrent.js';
import type { ModelConfig, ModelType } from './registry.js';
import type { TransformerConfig } from './transformer.js';

/** The real tokens of a step: per batch row, its count of real targets. */
export interface StepTokens {
  /** Real target tokens in the step (the sum over rows). */
  tokens: number;
  /** Rows with at least one real target (each starts a recurrence from the zero state). */
  sequences: number;
  /** Causal query-key pairs: the sum over rows of n(n+1)/2, n that row's real targets. */
  causalPairs: number;
}

/** StepTokens from each row's real target count (a mask's row sums). */
export function stepTokens(rowTokens: readonly number[]): StepTokens {
  let tokens = 0;
  let sequences = 0;
  let causalPairs = 0;
  for (const n of rowTokens) {
    tokens += n;
    if (n > 0) sequences++;
    causalPairs += (n * (n + 1)) / 2;
  }
  return { tokens, sequences, causalPairs };
}

/** StepTokens from a (B,T) mask of 0/1 (1: a real target). */
export function stepTokensFromMask(mask: ArrayLike<number>, B: number, T: number): StepTokens {
  const rows: number[] = [];
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) n++;
    rows.push(n);
  }
  return stepTokens(rows);
}

/** Forward + backward of products whose forward is `forward` FLOPs. */
const step = (forward: number): number => 3 * forward;

/** Markov chain: a lookup, no product. */
export function markovStepFlops(_c: MarkovConfig, _s: StepTokens): number {
  return 0;
}

/** Low-rank chain: per token, the output layer (1,d)·(d,V). */
export function lowrankStepFlops(c: LowRankConfig, s: StepTokens): number {
  return step(2 * s.tokens * c.embedDim * c.vocabSize);
}

/** MLP: per token, the hidden layer (1,context·E)·(context·E,H) and the output layer (1,H)·(H,V). */
export function mlpStepFlops(c: MlpConfig, s: StepTokens): number {
  return step(2 * s.tokens * (c.context * c.embedDim * c.hiddenDim + c.hiddenDim * c.vocabSize));
}

/** CNN: per token and layer, a convolution (1,C·K)·(C·K,C); then the output layer (1,C)·(C,V). */
export function cnnStepFlops(c: CnnConfig, s: StepTokens): number {
  const C = c.channels;
  return step(2 * s.tokens * (c.layers * C * c.kernelSize * C + C * c.vocabSize));
}

/**
 * RNN / LSTM / GRU: per layer, G gates (G = 1, 4, 3) of the input product (1,in)·(in,H) at every
 * token (in = E for the first layer, H above it) and of the recurrent product (1,H)·(H,H) at every
 * token but a row's first; then the output layer (1,H)·(H,V) per token.
 */
export function recurrentStepFlops(c: RecurrentConfig, s: StepTokens): number {
  const G = c.type === 'rnn' ? 1 : c.type === 'lstm' ? 4 : 3;
  const H = c.hiddenDim;
  let macs = s.tokens * H * c.vocabSize;
  for (let l = 0; l < c.layers; l++) macs += G * H * ((l === 0 ? c.embedDim : H) * s.tokens + H * (s.tokens - s.sequences));
  return step(2 * macs);
}

/**
 * Transformer: per token and block, query, key, value and output projections (4 of (1,C)·(C,C))
 * and the MLP ((1,C)·(C,4C) and (1,4C)·(4C,C)); per causal query-key pair and block, 2·C for the
 * scores and 2·C for the weighted values; then the output layer (1,C)·(C,V), tied or not.
 */
export function transformerStepFlops(c: TransformerConfig, s: StepTokens): number {
  const C = c.embedDim;
  const perBlock = 2 * s.tokens * (4 * C * C + 2 * 4 * C * C) + 4 * C * s.causalPairs;
  return step(c.layers * perBlock + 2 * s.tokens * C * c.vocabSize);
}

type Counter<K extends ModelType> = (c: Extract<ModelConfig, { type: K }>, s: StepTokens) => number;
const counters: { [K in ModelType]: Counter<K> } = {
  markov: markovStepFlops,
  lowrank: lowrankStepFlops,
  mlp: mlpStepFlops,
  cnn: cnnStepFlops,
  rnn: recurrentStepFlops,
  lstm: recurrentStepFlops,
  gru: recurrentStepFlops,
  transformer: transformerStepFlops,
};

/** Useful FLOPs of one training step (forward + backward) of model `c` on a batch with `s`'s real tokens. */
export function stepFlops(c: ModelConfig, s: StepTokens): number {
  return (counters[c.type] as Counter<ModelType>)(c as never, s);
}

/**
 * Markov chain: the least memory traffic of a step, in bytes. Exact AdamW reads and writes the
 * table, its first and its second moment at every entry (6 × 4 bytes per entry of V², rows without
 * a gradient included: weight decay and the moments' decay touch them all), and the loss reads each
 * real target's row of V logits at least once (4·N·V). The gradient's few thousand distinct rows
 * are left out (small beside these).
 */
export function markovStepBytes(c: MarkovConfig, s: StepTokens): number {
  const V = c.vocabSize;
  return 24 * V * V + 4 * s.tokens * V;
}

/**
 * The least memory traffic of a step, bytes, for the families whose limit is memory bandwidth
 * rather than the FMA peak (the Markov chain); null for the others (their FLOPs are the measure).
 */
export function stepBytes(c: ModelConfig, s: StepTokens): number | null {
  return c.type === 'markov' ? markovStepBytes(c, s) : null;
}
