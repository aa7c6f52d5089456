/**
 * AdamW with PyTorch's semantics and defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, decoupled
 * weight decay 0.01, bias correction. Moments are allocated on a parameter's first update.
 */
import { kernels } from '../backend/index.js';
import { adamwStepRows } from '../backend/reference/adamw.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';
import { allocF32 } from '../tensor/alloc.js';

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: Iterable<Tensor> | readonly ParamGroup[], opts: AdamWOptions = {}) {
    super(params, opts.lr ?? 1e-3);
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    for (const [n, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new ConfigError(`AdamW ${n} must be in [0, 1), got ${b}`);
    }
    if (!(this.eps >= 0)) throw new ConfigError(`AdamW eps must be >= 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new ConfigError(`AdamW weightDecay must be >= 0, got ${this.weightDecay}`);
  }

  step(): void {
    this.stepCount++;
    const k = kernels();
    const bc1 = 1 - this.beta1 ** this.stepCount;
    const bc2 = 1 - this.beta2 ** this.stepCount;
    this.params.forEach((p, i) => {
      const g = p.gradient();
      if (g.kind === 'none') return;
      const st = this.state[i]!;
      const wd = this.groupOf[i]!.weightDecay ?? this.weightDecay;
      const m = (st.expAvg ??= allocF32(p.size));
      const v = (st.expAvgSq ??= allocF32(p.size));
      switch (g.kind) {
        case 'rows':
          (k.adamwStepRows ?? adamwStepRows)(p.f32(), m, v, g.rows, g.values, g.width, this.lr, this.beta1, this.beta2, this.eps, wd, bc1, bc2);
          return;
        case 'dense':
          k.adamwStep(p.f32(), g.values, m, v, this.lr, this.beta1, this.beta2, this.eps, wd, bc1, bc2);
          return;
        default:
          g satisfies never;
      }
    });
  }
}
