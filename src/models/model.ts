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
    /**
     * Each position's hidden vector depends on that position's token alone (the low-rank chain):
     * training then computes hidden vectors for the real positions only, as one (1,N) row.
     */
    positionwise: boolean;
    /** ids (B,T), mask (B,T) → hidden (B,T,C) before the output layer. */
    hidden(ids: Tensor, mask: Tensor | null): Tensor;
    /**
     * Optional: the hidden states (1,N,C) of the N real (mask 1) positions alone, equal to
     * hidden()'s at those positions, with `rows` the flat b·T + t position of each; null when it
     * saves nothing for this batch. Training and evaluation use it to skip padding entirely.
     */
    realHidden?(ids: Tensor, mask: Tensor | null): { hidden: Tensor; rows: Int32Array } | null;
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
   * chains, the window for the MLP, the receptive field for the CNN, the position-embedding length
   * for the transformer, Infinity for the recurrent models (their state holds the whole history).
   * Generation feeds no more than this.
   */
  readonly contextSize: number;
  /**
   * The longest input forward() accepts (the transformer's position embeddings); absent: any
   * length (the Markov chains). Training and evaluation cut longer documents to it.
   */
  readonly maxSequence?: number;
  /** ids (B,T) int32, optional mask (B,T) → logits (B,T,V). */
  forward(ids: Tensor, mask?: Tensor | null): Tensor;
  /** The output layer for fused training and evaluation; forward(ids) must equal applying it. */
  fusedHead?(): FusedHead;
  /**
   * A fresh incremental decoder (the transformer's key/value cache). Models without one are
   * decoded by running forward() over the window (models/decoder.ts).
   */
  decoder?(): Decoder;
}

/**
 * Incremental decoding of one sequence: read tokens, get the next-token logits (V) of the last
 * position, in eval mode and without recording gradients. It holds at most `contextSize` tokens;
 * once full, each step drops the oldest token and re-reads the window, so the logits always equal
 * forward() on the last contextSize tokens (nanoGPT's crop). The returned array is the caller's.
 */
export interface Decoder {
  /** Tokens held now (0 before the first prefill, at most contextSize). */
  readonly length: number;
  /** The model's contextSize. */
  readonly contextSize: number;
  /** Forgets what it holds and reads ids (1 to contextSize tokens); returns logits (V). */
  prefill(ids: readonly number[]): Float32Array;
  /** Reads one more token; returns logits (V). */
  step(id: number): Float32Array;
}
