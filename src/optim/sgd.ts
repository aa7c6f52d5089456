/**
 * SGD with optional momentum, Nesterov momentum and (coupled) weight decay, as torch.optim.SGD
 * with dampening 0: d = g + wd p; buf = momentum buf + d (buf = d at first); p -= lr d'.
 */
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor> | readonly ParamGroup[], opts: SGDOptions = {}) {
    super(params, opts.lr ?? 1e-3);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (!(this.momentum >= 0)) throw new ConfigError(`SGD momentum must be >= 0, got ${this.momentum}`);
    if (this.nesterov && this.momentum === 0) throw new ConfigError('SGD nesterov needs a momentum > 0');
  }

  step(): void {
    this.stepCount++;
    const { lr, momentum: mu, nesterov } = this;
    this.params.forEach((p, i) => {
      const wd = this.groupOf[i]!.weightDecay ?? this.weightDecay;
      const g = p.gradient();
      if (g.kind === 'none') return;
      const w = p.f32();
      const st = this.state[i]!;
      const first = !st.momentumBuffer;
      const buf = mu > 0 ? (st.momentumBuffer ??= new Float32Array(p.size)) : null;
      const update = (j0: number, j1: number, grad: Float32Array | null, g0: number) => {
        for (let j = j0; j < j1; j++) {
          let d = (grad ? grad[g0 + j - j0]! : 0) + wd * w[j]!;
          if (buf) {
            buf[j] = first ? d : mu * buf[j]! + d;
            d = nesterov ? d + mu * buf[j]! : buf[j]!;
          }
          w[j] = w[j]! - lr * d;
        }
      };
      switch (g.kind) {
        case 'dense':
          update(0, w.length, g.values, 0);
          return;
        case 'rows': {
          // The rows not listed have gradient 0: decay and momentum still apply to them, as dense.
          const C = g.width;
          if (wd === 0 && !buf) {
            g.rows.forEach((r, k) => update(r * C, (r + 1) * C, g.values, k * C));
            return;
          }
          let next = 0;
          g.rows.forEach((r, k) => {
            update(next * C, r * C, null, 0);
            update(r * C, (r + 1) * C, g.values, k * C);
            next = r + 1;
          });
          update(next * C, w.length, null, 0);
          return;
        }
        default:
          g satisfies never;
      }
    });
  }
}
