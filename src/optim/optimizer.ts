/**
 * Optimizer base: the parameters, the current learning rate (schedules set it each step), and
 * state that checkpoints save and restore. Parameters without a gradient are skipped, as PyTorch.
 */
import { ConfigError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Per-parameter optimizer state, plain arrays keyed by buffer name. */
export type ParamState = Record<string, Float32Array>;

/** Parameters that share settings (PyTorch's param groups); unset fields take the optimizer's. */
export interface ParamGroup {
  params: Iterable<Tensor>;
  /** Weight decay for this group (0 for biases, norms and embeddings in GPT-style recipes). */
  weightDecay?: number;
}

export interface OptimizerState {
  /** Steps taken. */
  step: number;
  lr: number;
  /** One entry per parameter, in parameter order. */
  params: ParamState[];
}

export abstract class Optimizer {
  readonly params: Tensor[];
  lr: number;
  stepCount = 0;
  protected state: ParamState[];
  /** Per parameter, its group's settings (empty: the optimizer's own). */
  protected readonly groupOf: Omit<ParamGroup, 'params'>[];

  constructor(params: Iterable<Tensor> | readonly ParamGroup[], lr: number) {
    const list = [...params] as (Tensor | ParamGroup)[];
    const groups: ParamGroup[] = list.length > 0 && !(list[0] instanceof Tensor) ? list as ParamGroup[] : [{ params: list as Tensor[] }];
    this.params = [];
    this.groupOf = [];
    for (const g of groups) {
      const { params: ps, ...settings } = g;
      for (const p of ps) {
        this.params.push(p);
        this.groupOf.push(settings);
      }
    }
    if (new Set(this.params).size !== this.params.length) throw new ConfigError('a parameter appears twice in the optimizer\'s groups', 'give each parameter to one group');
    if (this.params.length === 0) throw new ConfigError('optimizer got an empty parameter list', 'pass model.parameters()');
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new ConfigError(`learning rate must be a finite number >= 0, got ${lr}`);
    this.lr = lr;
    this.state = this.params.map(() => ({}));
  }

  /** Clears gradients (buffers kept for reuse, like set_to_none=True). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** One update from the current gradients. */
  abstract step(): void;

  stateDict(): OptimizerState {
    return { step: this.stepCount, lr: this.lr, params: this.state };
  }

  loadStateDict(s: OptimizerState): void {
    if (s.params.length !== this.params.length) {
      throw new ConfigError(`optimizer state has ${s.params.length} parameters, the model has ${this.params.length}`,
        'the state was saved for a different model');
    }
    s.params.forEach((ps, i) => {
      for (const [k, buf] of Object.entries(ps)) {
        if (buf.length !== this.params[i]!.size) {
          throw new ConfigError(`optimizer state '${k}' of parameter ${i} has ${buf.length} values, the parameter ${this.params[i]!.size}`);
        }
      }
    });
    this.stepCount = s.step;
    this.lr = s.lr;
    this.state = s.params;
  }
}
