/**
 * The notebook's full-rank Markov chain: a V × V table of transition logits, one row per previous
 * token, initialised N(0,1) − 10 (most transitions start improbable). Its parameter is named as in
 * the notebook's PyTorch module (`t_logits.weight`), so state dicts move between the two unchanged.
 * The table's gradient is row-sparse (a batch touches a few thousand of its V rows), so training
 * never holds a dense V × V gradient.
 */
import { Embedding } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { randomInitSkipped, type Tensor } from '../tensor/tensor.js';
import { defineFamily } from './family.js';
import type { FusedHead, LanguageModel } from './model.js';

export interface MarkovConfig {
  type: 'markov';
  /** Vocabulary size V (28,996 for the notebook's BERT cased vocabulary). */
  vocabSize: number;
}

export class MarkovChain extends Module implements LanguageModel {
  readonly typeName: string = 'MarkovChain';
  readonly contextSize = 1;
  readonly tLogits: Embedding; // weight (V, V)
  constructor(readonly config: MarkovConfig, rng: Rng = defaultRng()) {
    super();
    this.tLogits = this.child('t_logits', new Embedding(config.vocabSize, config.vocabSize, rng));
    // The shift is initialisation: skipped when a checkpoint is about to fill the table (3.4 GB to touch).
    if (!randomInitSkipped()) {
      const w = this.tLogits.weight.f32();
      for (let i = 0; i < w.length; i++) w[i] = w[i]! - 10;
    }
    this.tLogits.weight.sparseGrad = true;
  }

  forward(ids: Tensor): Tensor {
    return this.tLogits.forward(ids); // (B,T,V)
  }

  fusedHead(): FusedHead {
    return { kind: 'table', table: this.tLogits.weight };
  }
}

export const markovFamily = defineFamily<MarkovConfig>({
  kind: 'neural',
  type: 'markov',
  title: "the notebook's full-rank Markov chain: a V × V table of next-token logits",
  keys: {},
  tiny: {},
  describe: () => 'markov',
  create: (c, rng) => new MarkovChain(c, rng),
  countParameters: (c) => c.vocabSize * c.vocabSize,
  activationBytesPerRow: (_c, T) => 3 * T * 4, // ids, targets, selected rows
  // One gradient row per distinct input token: `distinctRows` when counted (about 4,500 in a
  // PubMed batch of 128 documents), else the bound min(V, tokens).
  headBytes: (c, batchTokens, distinctRows) => Math.min(c.vocabSize, batchTokens, distinctRows?.() ?? Infinity) * c.vocabSize * 4,
  gradientBytes: () => 0, // row-sparse: counted in headBytes
  training: { lr: 0.1 }, // the notebook's
});
