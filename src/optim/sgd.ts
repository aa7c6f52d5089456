/**
 * SGD with optional momentum, Nesterov momentum and (coupled) weight decay, as torch.optim.SGD
 * with dampening 0: d = g + wd p; buf = momentum buf + d (buf = d at first); p -= lr d'.
 */
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

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

  constructor(params: Iterable<Tensor>, opts: SGDOptions = {}) {
    super(params, opts.lr ?? 1e-3);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (!(this.momentum >= 0)) throw new ConfigError(`SGD momentum must be >= 0, got ${this.momentum}`);
    if (this.nesterov && this.momentum === 0) throw new ConfigError('SGD nesterov needs a momentum > 0');
  }

  step(): void {
    this.stepCount++;
    const { lr, momentum: mu, weightDecay: wd, nesterov } = this;
    this.params.forEach((p, i) => {
      if (p.rowGrad) void p.grad; // SGD updates densely: materialise a row-sparse gradient
      const g = p.gradLive ? p.gradData : null;
      if (!g) return;
      const w = p.f32();
      const st = this.state[i]!;
      const first = !st.momentumBuffer;
      const buf = mu > 0 ? (st.momentumBuffer ??= new Float32Array(p.size)) : null;
      for (let j = 0; j < w.length; j++) {
        let d = g[j]! + wd * w[j]!;
        if (buf) {
          buf[j] = first ? d : mu * buf[j]! + d;
          d = nesterov ? d + mu * buf[j]! : buf[j]!;
        }
        w[j] = w[j]! - lr * d;
      }
    });
  }
}
