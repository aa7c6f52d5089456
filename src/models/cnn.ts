/**
 * A causal dilated convolutional language model (WaveNet-style): token embeddings, then L
 * residual blocks x = x + dropout(relu(conv_i(x))), conv_i a width-K convolution with dilation
 * 2^i over the zero-left-padded sequence (position t never sees t+1), and a linear output layer.
 * Its PyTorch twin (scripts/golden/architectures.py) is
 *   embed = nn.Embedding(V, C); convs = nn.ModuleList(nn.Conv1d(C, C, K, dilation=2**i));
 *   head = nn.Linear(C, V); x = x + dropout(relu(convs[i](F.pad(x, ((K-1)*2**i, 0)))))
 * (channels first there, channels last here), with the same parameter names.
 *
 * Defaults (cnnFamily's keys): 128 channels (the width every family defaults to: the C × V output
 * layer dominates the cost per token, and at 128 one epoch of PubMed trains in about 20 minutes on
 * 2 cores; 256, the notebook's width, doubles that), kernel 3 and 6 layers: a receptive field of
 * 1 + (K-1)(2^L - 1) = 127 tokens for 6 × 3 × 128² weights, dropout 0.1. The convolutions skip rows
 * past a document's end. Decoding keeps, per layer, the last (K-1)·2^i + 1 inputs of that layer,
 * so a new token costs one position per layer.
 */
import { kernels } from '../backend/index.js';
import { Dropout, Embedding, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { CausalConv1d } from '../nn/sequence.js';
import * as F from '../ops/index.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { checkWindow, inEvalMode } from './decoder.js';
import { defineFamily, linearHeadBytes } from './family.js';
import type { Decoder, FusedHead, LanguageModel } from './model.js';

export interface CnnConfig {
  type: 'cnn';
  vocabSize: number;
  /** Channels C of the embedding and every convolution (default 128). */
  channels: number;
  /** Taps K per convolution (default 3). */
  kernelSize: number;
  /** Residual convolution blocks L; block i has dilation 2^i (default 6). */
  layers: number;
  /** Dropout on each block's branch (default 0.1). */
  dropout: number;
}

/** Tokens a position sees, itself included: 1 + (K-1)(2^L - 1). */
export function receptiveField(c: Pick<CnnConfig, 'kernelSize' | 'layers'>): number {
  return 1 + (c.kernelSize - 1) * (2 ** c.layers - 1);
}

export class CausalCNN extends Module implements LanguageModel {
  readonly typeName = 'CausalCNN';
  readonly embed: Embedding;
  readonly convs: CausalConv1d[] = [];
  readonly drop: Dropout;
  readonly head: Linear;
  readonly contextSize: number;

  constructor(readonly config: CnnConfig, rng: Rng = defaultRng()) {
    super();
    const c = config;
    this.embed = this.child('embed', new Embedding(c.vocabSize, c.channels, rng));
    for (let i = 0; i < c.layers; i++) {
      this.convs.push(this.child(`convs.${i}`, new CausalConv1d(c.channels, c.channels, c.kernelSize, 2 ** i, rng)));
    }
    this.drop = this.child('drop', new Dropout(c.dropout, rng.fork('cnn-dropout')));
    this.head = this.child('head', new Linear(c.channels, c.vocabSize, { rng }));
    this.contextSize = receptiveField(c);
  }

  /** ids (B,T), mask (B,T) or null → logits (B,T,V). */
  forward(ids: Tensor, mask: Tensor | null = null): Tensor {
    return this.head.forward(this.hiddenStates(ids, mask));
  }

  fusedHead(): FusedHead {
    return { kind: 'linear', positionwise: false, hidden: (ids, mask) => this.hiddenStates(ids, mask), weight: this.head.weight, bias: this.head.bias };
  }

  decoder(): Decoder {
    return new CnnDecoder(this);
  }

  /** ids (B,T), mask (B,T) (right padding) or null → the last block's output (B,T,C). */
  hiddenStates(ids: Tensor, mask: Tensor | null = null): Tensor {
    if (ids.ndim !== 2) throw new ShapeError(`CausalCNN.forward: ids must be (B, T), got ${formatShape(ids.shape)}`);
    const [B, T] = ids.shape as [number, number];
    const lengths = mask ? F.sequenceLengths(mask, B, T, 'CausalCNN.forward') : null;
    let x = this.embed.forward(ids); // (B,T,C)
    for (const conv of this.convs) x = F.add(x, this.drop.forward(F.relu(conv.forward(x, lengths))));
    return x;
  }
}

/** The CNN's decoder: per layer, a ring of that layer's latest inputs, as far back as its taps reach. */
class CnnDecoder implements Decoder {
  readonly contextSize: number;
  private readonly rings: Float32Array[]; // per layer (span+1, C)
  private readonly taps: Float32Array; // (C*K) one position's taps, in the weight's (ci, j) order
  private readonly y: Float32Array; // (C)
  private t = 0; // positions read since the prefill

  constructor(private readonly model: CausalCNN) {
    this.contextSize = model.contextSize;
    const C = model.config.channels;
    this.rings = model.convs.map((c) => new Float32Array((c.span + 1) * C));
    this.taps = new Float32Array(C * model.config.kernelSize);
    this.y = new Float32Array(C);
  }

  get length(): number {
    return Math.min(this.t, this.contextSize);
  }

  prefill(ids: readonly number[]): Float32Array {
    checkWindow(ids, this.contextSize, 'CnnDecoder');
    for (const id of ids) this.checkId(id);
    for (const r of this.rings) r.fill(0); // positions before the document read zeros
    this.t = 0;
    let x: Float32Array = new Float32Array(0);
    for (const id of ids) x = this.read(id);
    return this.logits(x);
  }

  step(id: number): Float32Array {
    if (this.t === 0) throw new ShapeError('CnnDecoder.step: nothing read yet', 'call prefill(ids) first');
    this.checkId(id);
    return this.logits(this.read(id));
  }

  private checkId(id: number): void {
    const V = this.model.config.vocabSize;
    if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new ShapeError(`CnnDecoder: id ${id} is outside the vocabulary of ${V}`);
  }

  /** Reads one token at position t → the last block's output there (C). */
  private read(id: number): Float32Array {
    const k = kernels();
    const { channels: C, kernelSize: K } = this.model.config;
    const x = this.model.embed.weight.f32().slice(id * C, (id + 1) * C);
    this.model.convs.forEach((conv, i) => {
      const ring = this.rings[i]!;
      const size = conv.span + 1;
      ring.set(x, (this.t % size) * C);
      for (let j = 0; j < K; j++) {
        // Tap j reads (K-1-j)*dilation back; before position 0 that slot is still zero.
        const slot = (this.t - (K - 1 - j) * conv.dilation + size) % size;
        for (let ci = 0; ci < C; ci++) this.taps[ci * K + j] = ring[slot * C + ci]!;
      }
      k.sgemm(false, true, 1, C, C * K, this.taps, conv.weight.f32(), this.y, false); // (1,C) = taps @ W^T
      k.addBroadcast(this.y, conv.bias.f32(), this.y, 1, C);
      k.reluForward(this.y, this.y);
      k.addBroadcast(x, this.y, x, 1, C);
    });
    this.t++;
    return x;
  }

  private logits(x: Float32Array): Float32Array {
    const m = this.model;
    return inEvalMode(m, () => m.head.forward(new Tensor(x, [1, m.config.channels])).f32().slice()); // (V)
  }
}

export const cnnFamily = defineFamily<CnnConfig>({
  kind: 'neural',
  type: 'cnn',
  title: 'a causal dilated convolutional network (WaveNet-style residual blocks, dilations 1, 2, 4, …)',
  keys: {
    channels: { kind: 'int', min: 1, default: 128, doc: 'channels C of the embedding and every convolution (128; the notebook\'s width is 256)' },
    kernelSize: { kind: 'int', min: 1, default: 3, doc: 'taps K per convolution (3)' },
    layers: { kind: 'int', min: 1, default: 6, doc: 'stacked layers (cnn: residual blocks L, block i dilated by 2^i; 6 see 127 tokens at K = 3)' },
    dropout: { kind: 'number', min: 0, below: 1, default: 0.1, doc: "dropout on each block's branch (the notebook's 0.1)" },
  },
  tiny: { channels: 6, kernelSize: 2, layers: 2 },
  describe: (c) => `cnn ${c.layers}×${c.channels} k${c.kernelSize} (${receptiveField(c)} tokens)`,
  create: (c, rng) => new CausalCNN(c, rng),
  countParameters: (c) => c.vocabSize * c.channels + c.layers * (c.channels * c.channels * c.kernelSize + c.channels) + (c.channels + 1) * c.vocabSize,
  // per position: the embedding and, per block, the convolution, ReLU, dropout and residual
  // outputs, each with its gradient
  activationBytesPerRow: (c, T) => T * 4 * (2 * c.channels + 8 * c.layers * c.channels),
  headBytes: (c, batchTokens) => linearHeadBytes(c.vocabSize, c.channels, batchTokens),
  training: { lr: 0.001 }, // Adam's usual rate, the notebook's for its neural chain
});
