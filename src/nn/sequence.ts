/**
 * Sequence layers with PyTorch's parameters and initialisation, so their state dicts load into
 * the PyTorch modules unchanged:
 * - `CausalConv1d`: nn.Conv1d(Cin, Cout, K, dilation=d) applied to the input left-padded with
 *   (K-1)*d zeros; weight (Cout,Cin,K) and bias U(-1/sqrt(Cin*K), 1/sqrt(Cin*K)).
 * - `RecurrentStack`: nn.RNN(nonlinearity='tanh') / nn.LSTM / nn.GRU with num_layers, batch_first
 *   and dropout between layers; parameters weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l},
 *   bias_hh_l{l}, every one U(-1/sqrt(H), 1/sqrt(H)). It runs on packed batches (ops/sequence.ts).
 */
import * as F from '../ops/index.js';
import type { RecurrentMode, RecurrentState } from '../ops/recurrent.js';
import { ConfigError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { Dropout } from './layers.js';
import { Module } from './module.js';

function checkDim(what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${what} must be a positive integer, got ${n}`);
}

export class CausalConv1d extends Module {
  readonly typeName = 'CausalConv1d';
  readonly weight: Tensor; // (Cout, Cin, K)
  readonly bias: Tensor; // (Cout)
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number,
    readonly dilation = 1, rng: Rng = defaultRng()) {
    super();
    checkDim('CausalConv1d inChannels', inChannels);
    checkDim('CausalConv1d outChannels', outChannels);
    checkDim('CausalConv1d kernelSize', kernelSize);
    checkDim('CausalConv1d dilation', dilation);
    const bound = 1 / Math.sqrt(inChannels * kernelSize);
    this.weight = this.param('weight', Tensor.rand([outChannels, inChannels, kernelSize], rng, -bound, bound));
    this.bias = this.param('bias', Tensor.rand([outChannels], rng, -bound, bound));
  }

  /** x (B,T,Cin), lengths (B) or null → (B,T,Cout); rows past a length are 0. */
  forward(x: Tensor, lengths: Int32Array | null = null): Tensor {
    return F.causalConv1d(x, this.weight, this.bias, this.dilation, lengths);
  }

  /** Positions back that the output at t sees: (K-1)*dilation (plus t itself). */
  get span(): number {
    return (this.kernelSize - 1) * this.dilation;
  }

  protected override describe(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize},), dilation=(${this.dilation},), causal`;
  }
}

const TYPE_NAMES = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;

export class RecurrentStack extends Module {
  readonly typeName: string;
  readonly layers: F.RecurrentWeights[] = [];
  /** Between layers (PyTorch's dropout argument); a child module, so checkpoints keep its generator. */
  readonly drop: Dropout;
  constructor(readonly mode: RecurrentMode, readonly inputSize: number, readonly hiddenSize: number,
    readonly numLayers = 1, readonly dropout = 0, rng: Rng = defaultRng()) {
    super();
    this.typeName = TYPE_NAMES[mode];
    checkDim(`${mode} inputSize`, inputSize);
    checkDim(`${mode} hiddenSize`, hiddenSize);
    checkDim(`${mode} numLayers`, numLayers);
    if (!(dropout >= 0 && dropout < 1)) throw new ConfigError(`${mode} dropout must be in [0, 1), got ${dropout}`);
    const G = F.GATES[mode] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const u = (shape: number[]) => Tensor.rand(shape, rng, -bound, bound);
    for (let l = 0; l < numLayers; l++) {
      const E = l === 0 ? inputSize : hiddenSize;
      this.layers.push({
        wIh: this.param(`weight_ih_l${l}`, u([G, E])),
        wHh: this.param(`weight_hh_l${l}`, u([G, hiddenSize])),
        bIh: this.param(`bias_ih_l${l}`, u([G])),
        bHh: this.param(`bias_hh_l${l}`, u([G])),
      });
    }
    this.drop = this.child('drop', new Dropout(dropout, rng.fork(`${mode}-dropout`)));
  }

  /**
   * x (N,E) packed (batchSizes from planPacking) → (N,H), the last layer's output. `states` (one
   * per layer) carry the state across calls when decoding; dropout applies between layers only.
   */
  forward(x: Tensor, batchSizes: Int32Array, states?: RecurrentState[]): Tensor {
    let h = x;
    this.layers.forEach((w, l) => {
      if (l > 0) h = this.drop.forward(h);
      h = F.recurrent(this.mode, h, batchSizes, w, states?.[l]);
    });
    return h;
  }

  /** A zero state for `rows` sequences, one per layer (the LSTM's with a cell). */
  zeroStates(rows: number): RecurrentState[] {
    const H = this.hiddenSize;
    return this.layers.map(() => ({ h: new Float32Array(rows * H), c: this.mode === 'lstm' ? new Float32Array(rows * H) : null }));
  }

  protected override describe(): string {
    return `${this.inputSize}, ${this.hiddenSize}, num_layers=${this.numLayers}, batch_first=True, dropout=${this.dropout}`;
  }
}
