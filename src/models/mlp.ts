/**
 * Bengio et al. (2003)'s neural probabilistic language model, the first neural language model: the
 * embeddings of the last `context` tokens (oldest first; positions before the document's start
 * read token 0, [PAD]) concatenated, one tanh hidden layer, dropout, and a linear output layer.
 * Its PyTorch twin (scripts/golden/architectures.py) is
 *   embed = nn.Embedding(V, E); hidden = nn.Linear(context*E, H); head = nn.Linear(H, V)
 *   logits = head(dropout(tanh(hidden(embed(windows).flatten(-2)))))
 * with the same parameter names, so model.safetensors loads there unchanged.
 *
 * Defaults (mlpFamily's keys): context 8 tokens (Bengio used 5 words; BERT word pieces are shorter, so
 * a few more), embeddings of 64 (eight of them make a 512-wide input), 128 tanh units, dropout 0.1
 * (the notebook's). The 128 × V output layer dominates the cost per token, so the hidden width sets
 * the time: 128, the width every family defaults to, trains one epoch of PubMed (8.1M tokens) in
 * about 20 minutes on 2 cores (README, the model ladder); 256 doubles that. Only real positions are computed: padding comes out as zeros.
 * Decoding keeps the last `context` ids, so each new token costs one position.
 */
import { Dropout, Embedding, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import * as F from '../ops/index.js';
import { ShapeError, formatShape } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { checkWindow, inEvalMode } from './decoder.js';
import { defineFamily, linearHeadBytes } from './family.js';
import type { Decoder, FusedHead, LanguageModel } from './model.js';

export interface MlpConfig {
  type: 'mlp';
  vocabSize: number;
  /** Tokens the prediction sees: the current one and context - 1 before it (default 8). */
  context: number;
  /** Embedding width E (default 64). */
  embedDim: number;
  /** tanh units H (default 128). */
  hiddenDim: number;
  /** Dropout after the tanh (default 0.1). */
  dropout: number;
}

export class MLP extends Module implements LanguageModel {
  readonly typeName = 'MLP';
  readonly embed: Embedding;
  readonly hidden: Linear;
  readonly drop: Dropout;
  readonly head: Linear;

  get contextSize(): number {
    return this.config.context;
  }

  constructor(readonly config: MlpConfig, rng: Rng = defaultRng()) {
    super();
    const c = config;
    this.embed = this.child('embed', new Embedding(c.vocabSize, c.embedDim, rng));
    this.hidden = this.child('hidden', new Linear(c.context * c.embedDim, c.hiddenDim, { rng }));
    this.drop = this.child('drop', new Dropout(c.dropout, rng.fork('mlp-dropout')));
    this.head = this.child('head', new Linear(c.hiddenDim, c.vocabSize, { rng }));
  }

  /** ids (B,T), mask (B,T) or null → logits (B,T,V). */
  forward(ids: Tensor, mask: Tensor | null = null): Tensor {
    return this.head.forward(this.hiddenStates(ids, mask));
  }

  fusedHead(): FusedHead {
    return { kind: 'linear', positionwise: false, hidden: (ids, mask) => this.hiddenStates(ids, mask), weight: this.head.weight, bias: this.head.bias };
  }

  decoder(): Decoder {
    return new MlpDecoder(this);
  }

  /** ids (B,T), mask (B,T) (right padding) or null → hidden (B,T,H), zeros at padding. */
  hiddenStates(ids: Tensor, mask: Tensor | null = null): Tensor {
    if (ids.ndim !== 2) throw new ShapeError(`MLP.forward: ids must be (B, T), got ${formatShape(ids.shape)}`);
    const [B, T] = ids.shape as [number, number];
    const plan = F.planPacking(F.sequenceLengths(mask, B, T, 'MLP.forward'), T);
    const I = ids.i32('MLP ids');
    const c = this.config.context;
    const N = plan.rows.length;
    const win = new Int32Array(N * c); // (N,c): each real position's window, oldest first
    for (let r = 0; r < N; r++) {
      const pos = plan.rows[r]!;
      const t = pos % T;
      for (let j = 0; j < c; j++) {
        const back = c - 1 - j;
        win[r * c + j] = back <= t ? I[pos - back]! : 0;
      }
    }
    return F.unpackRows(this.windowHidden(win, N), plan);
  }

  /** win (n,c) ids → hidden (n,H) after tanh and dropout. */
  windowHidden(win: Int32Array, n: number): Tensor {
    const c = this.config.context;
    const e = this.embed.forward(new Tensor(win, [n, c])); // (n,c,E)
    return this.drop.forward(F.tanh(this.hidden.forward(F.reshape(e, [n, c * this.config.embedDim]))));
  }
}

/** The MLP's decoder: the last `context` ids; each token is one window through the network. */
class MlpDecoder implements Decoder {
  readonly contextSize: number;
  private window: number[] = [];

  constructor(private readonly model: MLP) {
    this.contextSize = model.contextSize;
  }

  get length(): number {
    return this.window.length;
  }

  prefill(ids: readonly number[]): Float32Array {
    checkWindow(ids, this.contextSize, 'MlpDecoder');
    this.window = [...ids];
    return this.read();
  }

  step(id: number): Float32Array {
    if (this.window.length === 0) throw new ShapeError('MlpDecoder.step: nothing read yet', 'call prefill(ids) first');
    this.window.push(id);
    if (this.window.length > this.contextSize) this.window.shift();
    return this.read();
  }

  private read(): Float32Array {
    const c = this.contextSize;
    const win = new Int32Array(c); // a window shorter than c starts the document: [PAD] before it
    win.set(this.window, c - this.window.length);
    const m = this.model;
    return inEvalMode(m, () => m.head.forward(m.windowHidden(win, 1)).f32().slice()); // (V)
  }
}

export const mlpFamily = defineFamily<MlpConfig>({
  kind: 'neural',
  type: 'mlp',
  title: "Bengio et al. (2003)'s neural language model: the last tokens' embeddings → tanh layer → linear",
  keys: {
    context: { kind: 'int', min: 1, default: 8, doc: 'tokens each prediction sees, the current one included (8 word pieces; Bengio used 5 words)' },
    embedDim: { kind: 'int', min: 1, default: 64, doc: 'embedding width E (64: eight of them make a 512-wide input)' },
    hiddenDim: { kind: 'int', min: 1, default: 128, doc: 'hidden width H (128 tanh units; the V-wide output layer after it sets the cost per token)' },
    dropout: { kind: 'number', min: 0, below: 1, default: 0.1, doc: "dropout after the tanh (the notebook's 0.1)" },
  },
  tiny: { context: 3, embedDim: 4, hiddenDim: 6 },
  describe: (c) => `mlp ${c.context}×${c.embedDim}→${c.hiddenDim}`,
  create: (c, rng) => new MLP(c, rng),
  countParameters: (c) => c.vocabSize * c.embedDim + (c.context * c.embedDim + 1) * c.hiddenDim + (c.hiddenDim + 1) * c.vocabSize,
  // per real position: its window's ids and embeddings, the hidden layer's output, tanh, dropout
  // and the unpacked copy, each with its gradient
  activationBytesPerRow: (c, T) => T * 4 * (c.context + 2 * c.context * c.embedDim + 8 * c.hiddenDim),
  headBytes: (c, batchTokens) => linearHeadBytes(c.vocabSize, c.hiddenDim, batchTokens),
  training: { lr: 0.001 }, // Adam's usual rate, the notebook's for its neural chain
});
