/**
 * The interface every gradient-trained model shares (like makemore): `forward(ids, mask)` maps a
 * batch of token ids (B,T) to next-token logits (B,T,V). The mask (B,T), 1 on real tokens, lets
 * models that mix positions (the transformer) ignore padding; per-position models ignore it.
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The model's last step, exposed so the loss can be fused with it (ops/fusedLoss.ts) and no
 * (B,T,V) logits are ever held: a linear map of a hidden state to the vocabulary, or (Markov) a
 * table row per input token.
 */
export type FusedHead =
  | {
    kind: 'linear';
    /** ids (B,T), mask (B,T) → hidden (B,T,C) before the output layer. */
    hidden(ids: Tensor, mask: Tensor | null): Tensor;
    /** (V,C) output weight. */
    weight: Tensor;
    /** (V) output bias, or null. */
    bias: Tensor | null;
  }
  | { kind: 'table'; /** (V,V) transition logits. */ table: Tensor };

export interface LanguageModel extends Module {
  /** The model's configuration, as saved in config.json. */
  readonly config: { readonly type: string; readonly vocabSize: number };
  /**
   * How many of the latest tokens the next-token distribution depends on: 1 for the Markov
   * chains, the position-embedding length for the transformer. Generation feeds no more than this.
   */
  readonly contextSize: number;
  /** ids (B,T) int32, optional mask (B,T) → logits (B,T,V). */
  forward(ids: Tensor, mask?: Tensor | null): Tensor;
  /** The output layer for fused training and evaluation; forward(ids) must equal applying it. */
  fusedHead?(): FusedHead;
}
