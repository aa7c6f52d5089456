/**
 * Recurrent language models: `rnn` (Elman, tanh), `lstm` and `gru`, each as its PyTorch twin
 * (scripts/golden/architectures.py):
 *   embed = nn.Embedding(V, E); drop = nn.Dropout(p)
 *   rnn = nn.RNN(E, H, num_layers=L, nonlinearity='tanh', batch_first=True, dropout=p)  (or nn.LSTM, nn.GRU)
 *   head = nn.Linear(H, V); logits = head(drop(rnn(drop(embed(ids)))[0]))
 * with PyTorch's parameter names (rnn.weight_ih_l0, …), gate orders and initialisation. The state
 * starts at zero for each row (each document, or each packed block). Padded batches run packed
 * (ops/sequence.ts): a row's steps stop at its last real token, so real positions come out exactly
 * as without padding and padding costs nothing; its hidden state unpacks to zeros.
 *
 * Defaults (the families' keys): embeddings of 128 and 128 hidden units in 1 layer, the width every
 * family defaults to: per token the output layer (128 × V) costs about thirty times the recurrence
 * (4·(128 + 128)·128 multiply-adds for the LSTM), so the hidden width sets the time, and at 128 one
 * epoch of PubMed (8.1M tokens) trains in about 20 minutes on 2 cores (README, the model ladder);
 * 256 doubles it, 512 quadruples it. Depth, which lengthens the sequential sweep, stays at 1
 * (`--layers 2` stacks a second, with dropout between). Dropout 0.1 (the notebook's) on the embeddings and on the output. Training defaults
 * (the descriptors' `training`): AdamW at 2e-3 for the LSTM and GRU (the rate char-rnn-style recipes
 * use for gated cells) and 1e-3 for the less stable tanh RNN, with the global gradient norm clipped
 * at 1, which recurrences need against exploding gradients; not tuned on PubMed.
 * Decoding carries each layer's state from token to token: one step per token, any length.
 */
import { Dropout, Embedding, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { RecurrentStack } from '../nn/sequence.js';
import * as F from '../ops/index.js';
import type { RecurrentState } from '../ops/recurrent.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { checkWindow, inEvalMode } from './decoder.js';
import { defineFamily, linearHeadBytes, type NeuralFamily } from './family.js';
import type { Decoder, FusedHead, LanguageModel } from './model.js';

export interface RecurrentConfig {
  type: 'rnn' | 'lstm' | 'gru';
  vocabSize: number;
  /** Embedding width E (default 128). */
  embedDim: number;
  /** Hidden state width H (default 128). */
  hiddenDim: number;
  /** Stacked recurrent layers (default 1). */
  layers: number;
  /** Dropout on the embeddings, between layers and on the output (default 0.1). */
  dropout: number;
}

export class RecurrentLM extends Module implements LanguageModel {
  readonly typeName = 'RecurrentLM';
  readonly embed: Embedding;
  readonly drop: Dropout;
  readonly rnn: RecurrentStack;
  readonly head: Linear;
  /** The whole history: the state summarises every token read. */
  readonly contextSize = Number.POSITIVE_INFINITY;

  constructor(readonly config: RecurrentConfig, rng: Rng = defaultRng()) {
    super();
    const c = config;
    this.embed = this.child('embed', new Embedding(c.vocabSize, c.embedDim, rng));
    this.drop = this.child('drop', new Dropout(c.dropout, rng.fork(`${c.type}-lm-dropout`)));
    this.rnn = this.child('rnn', new RecurrentStack(c.type, c.embedDim, c.hiddenDim, c.layers, c.dropout, rng));
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
    return new RecurrentDecoder(this);
  }

  /**
   * ids (B,T), mask (B,T) (right padding) or null → the last layer's output (B,T,H), zeros at
   * padding. `states` (one per layer, B = 1) carry the state across calls when decoding.
   */
  hiddenStates(ids: Tensor, mask: Tensor | null = null, states?: RecurrentState[]): Tensor {
    if (ids.ndim !== 2) throw new ShapeError(`${this.config.type}.forward: ids must be (B, T), got ${formatShape(ids.shape)}`);
    const [B, T] = ids.shape as [number, number];
    const plan = F.planPacking(F.sequenceLengths(mask, B, T, `${this.config.type}.forward`), T);
    const x = this.drop.forward(this.embed.forward(F.packIds(ids, plan))); // (N,E)
    const h = this.drop.forward(this.rnn.forward(x, plan.batchSizes, states)); // (N,H)
    return F.unpackRows(h, plan);
  }
}

/** The recurrent models' decoder: each layer's state after the tokens read so far. */
class RecurrentDecoder implements Decoder {
  readonly contextSize = Number.POSITIVE_INFINITY;
  private states: RecurrentState[];
  private read = 0;

  constructor(private readonly model: RecurrentLM) {
    this.states = model.rnn.zeroStates(1);
  }

  get length(): number {
    return this.read;
  }

  prefill(ids: readonly number[]): Float32Array {
    checkWindow(ids, this.contextSize, 'RecurrentDecoder');
    this.states = this.model.rnn.zeroStates(1);
    this.read = 0;
    return this.feed(ids);
  }

  step(id: number): Float32Array {
    if (this.read === 0) throw new ShapeError('RecurrentDecoder.step: nothing read yet', 'call prefill(ids) first');
    return this.feed([id]);
  }

  /** Runs ids through the network from the carried states → logits (V) after the last one. */
  private feed(ids: readonly number[]): Float32Array {
    const m = this.model;
    const logits = inEvalMode(m, () => {
      const T = ids.length;
      const H = m.config.hiddenDim;
      const h = m.hiddenStates(new Tensor(Int32Array.from(ids), [1, T]), null, this.states); // (1,T,H)
      return m.head.forward(new Tensor(h.f32().slice((T - 1) * H, T * H), [1, H])).f32().slice(); // (V)
    });
    this.read += ids.length;
    return logits;
  }
}

/** The descriptor of one recurrent family; they differ in gate count, title and learning rate. */
function recurrentFamily<T extends RecurrentConfig['type']>(type: T, title: string, lr: number): NeuralFamily<RecurrentConfig & { type: T }> {
  const G = F.GATES[type];
  return defineFamily<RecurrentConfig & { type: T }>({
    kind: 'neural',
    type,
    title,
    keys: {
      embedDim: { kind: 'int', min: 1, default: 128, doc: 'embedding width E (128)' },
      hiddenDim: { kind: 'int', min: 1, default: 128, doc: 'hidden state width H (128; the H × V output layer sets the cost per token)' },
      layers: { kind: 'int', min: 1, default: 1, doc: 'stacked recurrent layers (1; a second adds depth, dropout between, and a longer sweep)' },
      dropout: { kind: 'number', min: 0, below: 1, default: 0.1, doc: "dropout on the embeddings, between layers and on the output (the notebook's 0.1)" },
    },
    tiny: { embedDim: 5, hiddenDim: 6, layers: 2 },
    describe: (c) => `${type} ${c.layers}×${c.hiddenDim} e${c.embedDim}`,
    create: (c, rng) => new RecurrentLM(c, rng),
    countParameters(c) {
      const H = c.hiddenDim;
      let rnn = 0;
      for (let l = 0; l < c.layers; l++) rnn += G * H * ((l === 0 ? c.embedDim : H) + H + 2);
      return c.vocabSize * c.embedDim + rnn + (H + 1) * c.vocabSize;
    },
    activationBytesPerRow(c, T) {
      const H = c.hiddenDim;
      // per position: the embedding and its dropout; per layer the gates and their gradient
      // (twice for the GRU: input and hidden sides), the output, the cell or W_hn h, the
      // inter-layer dropout, the gradient sweep's dh and h_{t-1} copy; the output's dropout and
      // unpacked copy; each with its gradient where it has one.
      const perLayer = (type === 'gru' ? 3 : 2) * G * H + 7 * H;
      return T * 4 * (4 * c.embedDim + c.layers * perLayer + 4 * H);
    },
    headBytes: (c, batchTokens) => linearHeadBytes(c.vocabSize, c.hiddenDim, batchTokens),
    // Recurrences can blow a gradient up over long documents: clipping the global norm keeps a step bounded.
    training: { lr, gradClip: 1 },
  });
}

export const rnnFamily = recurrentFamily('rnn', "Elman's recurrent network (tanh), as PyTorch's nn.RNN", 0.001);
export const lstmFamily = recurrentFamily('lstm', "a long short-term memory network, as PyTorch's nn.LSTM (gates i, f, g, o)", 0.002);
export const gruFamily = recurrentFamily('gru', "a gated recurrent unit network, as PyTorch's nn.GRU (gates r, z, n)", 0.002);
