/**
 * The notebook's models. `MarkovChain`: a V × V table of transition logits, one row per previous
 * token, initialised N(0,1) − 10 (most transitions start improbable). `MarkovChainLowRank`:
 * Embedding(V, d) → Dropout(p) → Linear(d, V, no bias) with the Linear weight shifted by −10.
 * Parameter names match the notebook's PyTorch modules (`t_logits.weight`, `t_logits.0.weight`,
 * `t_logits.2.weight`), so state dicts move between the two unchanged.
 */
import { Dropout, Embedding, Linear, Sequential } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { FusedHead, LanguageModel } from './model.js';

export interface MarkovConfig {
  type: 'markov';
  /** Vocabulary size V (28,996 for the notebook's BERT cased vocabulary). */
  vocabSize: number;
}

export class MarkovChain extends Module implements LanguageModel {
  readonly contextSize = 1;
  readonly tLogits: Embedding; // weight (V, V)
  constructor(readonly config: MarkovConfig, rng: Rng = defaultRng()) {
    super();
    this.tLogits = this.child('t_logits', new Embedding(config.vocabSize, config.vocabSize, rng));
    const w = this.tLogits.weight.f32();
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - 10;
    // A batch touches a few thousand of the V rows: keep the gradient row-sparse (no V × V buffer).
    this.tLogits.weight.sparseGrad = true;
  }

  forward(ids: Tensor): Tensor {
    return this.tLogits.forward(ids); // (B,T,V)
  }

  fusedHead(): FusedHead {
    return { kind: 'table', table: this.tLogits.weight };
  }
}

export interface LowRankConfig {
  type: 'lowrank';
  vocabSize: number;
  /** Width d of the bottleneck (the notebook uses 256). */
  embedDim: number;
  /** Dropout on the embedding (the notebook uses 0.1). */
  dropout: number;
}

export class MarkovChainLowRank extends Module implements LanguageModel {
  readonly contextSize = 1;
  readonly tLogits: Sequential;
  constructor(readonly config: LowRankConfig, rng: Rng = defaultRng()) {
    super();
    const emb = new Embedding(config.vocabSize, config.embedDim, rng);
    const out = new Linear(config.embedDim, config.vocabSize, { bias: false, rng });
    const w = out.weight.f32();
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - 10;
    this.tLogits = this.child('t_logits', new Sequential(emb, new Dropout(config.dropout, rng.fork('dropout')), out));
  }

  forward(ids: Tensor): Tensor {
    return this.tLogits.forward(ids); // (B,T,d) → (B,T,V)
  }

  fusedHead(): FusedHead {
    const [emb, drop, out] = this.tLogits.layers as [Embedding, Dropout, Linear];
    return { kind: 'linear', hidden: (ids) => drop.forward(emb.forward(ids)), weight: out.weight, bias: null };
  }
}
