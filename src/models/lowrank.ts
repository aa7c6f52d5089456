/**
 * The notebook's low-rank Markov chain: Embedding(V, d) → Dropout(p) → Linear(d, V, no bias), the
 * Linear weight shifted by −10 at initialisation. Parameter names match the notebook's PyTorch
 * module (`t_logits.0.weight`, `t_logits.2.weight`). Each position's logits depend on its own token
 * alone, so training computes hidden vectors for real positions only (FusedHead.positionwise).
 */
import { Dropout, Embedding, Linear, Sequential } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { randomInitSkipped, type Tensor } from '../tensor/tensor.js';
import { defineFamily, linearHeadBytes } from './family.js';
import type { FusedHead, LanguageModel } from './model.js';

export interface LowRankConfig {
  type: 'lowrank';
  vocabSize: number;
  /** Width d of the bottleneck (the notebook uses 256). */
  embedDim: number;
  /** Dropout on the embedding (the notebook uses 0.1). */
  dropout: number;
}

export class MarkovChainLowRank extends Module implements LanguageModel {
  readonly typeName: string = 'MarkovChainLowRank';
  readonly contextSize = 1;
  readonly tLogits: Sequential;
  constructor(readonly config: LowRankConfig, rng: Rng = defaultRng()) {
    super();
    const emb = new Embedding(config.vocabSize, config.embedDim, rng);
    const out = new Linear(config.embedDim, config.vocabSize, { bias: false, rng });
    if (!randomInitSkipped()) { // initialisation: a checkpoint about to be loaded overwrites it
      const w = out.weight.f32();
      for (let i = 0; i < w.length; i++) w[i] = w[i]! - 10;
    }
    this.tLogits = this.child('t_logits', new Sequential(emb, new Dropout(config.dropout, rng.fork('dropout')), out));
  }

  forward(ids: Tensor): Tensor {
    return this.tLogits.forward(ids); // (B,T,d) → (B,T,V)
  }

  fusedHead(): FusedHead {
    const [emb, drop, out] = this.tLogits.layers as [Embedding, Dropout, Linear];
    return { kind: 'linear', positionwise: true, hidden: (ids) => drop.forward(emb.forward(ids)), weight: out.weight, bias: null };
  }
}

export const lowrankFamily = defineFamily<LowRankConfig>({
  kind: 'neural',
  type: 'lowrank',
  title: "the notebook's low-rank Markov chain: Embedding(V, d) → Dropout → Linear(d, V)",
  keys: {
    embedDim: { kind: 'int', min: 1, default: 256, doc: "width d of the bottleneck (the notebook's embedding_dim, 256)" },
    dropout: { kind: 'number', min: 0, below: 1, default: 0.1, doc: "dropout on the embedding (the notebook's 0.1)" },
  },
  tiny: { embedDim: 8 },
  describe: (c) => `lowrank d${c.embedDim}`,
  create: (c, rng) => new MarkovChainLowRank(c, rng),
  countParameters: (c) => 2 * c.vocabSize * c.embedDim,
  // embedding and dropout outputs of the real positions (at most T), and their gradients
  activationBytesPerRow: (c, T) => 2 * 2 * T * c.embedDim * 4,
  headBytes: (c, batchTokens) => linearHeadBytes(c.vocabSize, c.embedDim, batchTokens),
  training: { lr: 0.001 }, // the notebook's
});
