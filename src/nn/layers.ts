/**
 * The layers the notebook's models are built from, with PyTorch's initialisation: Embedding
 * N(0, 1); Linear weight and bias U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5));
 * LayerNorm weight 1 and bias 0. Each takes an optional seeded Rng.
 */
import * as F from '../ops/index.js';
import { ConfigError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

function checkDim(what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${what} must be a positive integer, got ${n}`);
}

export class Embedding extends Module {
  readonly typeName: string = 'Embedding';
  readonly weight: Tensor; // (V, C)
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, rng: Rng = defaultRng()) {
    super();
    checkDim('Embedding numEmbeddings', numEmbeddings);
    checkDim('Embedding embeddingDim', embeddingDim);
    this.weight = this.param('weight', Tensor.randn([numEmbeddings, embeddingDim], rng));
  }

  /** ids (...) int32 → (..., C). */
  forward(ids: Tensor): Tensor {
    return F.embedding(ids, this.weight);
  }

  protected override describe(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

export interface LinearOptions {
  /** Learn an additive bias (default true, as PyTorch). */
  bias?: boolean;
  rng?: Rng;
}

export class Linear extends Module {
  readonly typeName: string = 'Linear';
  readonly weight: Tensor; // (out, in)
  readonly bias: Tensor | null; // (out)
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkDim('Linear inFeatures', inFeatures);
    checkDim('Linear outFeatures', outFeatures);
    const rng = opts.rng ?? defaultRng();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', Tensor.rand([outFeatures, inFeatures], rng, -bound, bound));
    this.bias = opts.bias ?? true ? this.param('bias', Tensor.rand([outFeatures], rng, -bound, bound)) : null;
  }

  /** x (..., in) → (..., out). */
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  protected override describe(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * Inverted dropout. With its own generator (every model passes one), the generator is registered
 * and checkpointed; without, it draws from the process-wide default generator, which is not.
 */
export class Dropout extends Module {
  readonly typeName: string = 'Dropout';
  constructor(readonly p = 0.5, readonly rng?: Rng) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ConfigError(`Dropout p must be in [0, 1], got ${p}`);
    if (rng) this.randomSource('rng', rng);
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training, this.rng ?? defaultRng());
  }

  protected override describe(): string {
    return `p=${this.p}`;
  }
}

export class LayerNorm extends Module {
  readonly typeName: string = 'LayerNorm';
  readonly weight: Tensor; // (C)
  readonly bias: Tensor; // (C)
  constructor(readonly normalizedShape: number, readonly eps = 1e-5) {
    super();
    checkDim('LayerNorm normalizedShape', normalizedShape);
    this.weight = this.param('weight', Tensor.ones([normalizedShape]));
    this.bias = this.param('bias', Tensor.zeros([normalizedShape]));
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.weight, this.bias, this.eps);
  }

  protected override describe(): string {
    return `(${this.normalizedShape},), eps=${this.eps}`;
  }
}

export class GELU extends Module {
  readonly typeName: string = 'GELU';
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}

/** A layer with a single-tensor forward, as Sequential chains them. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

export class Sequential extends Module {
  readonly typeName: string = 'Sequential';
  readonly layers: Layer[];
  constructor(...layers: Layer[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.child(String(i), m));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}
