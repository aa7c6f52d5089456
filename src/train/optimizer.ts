/**
 * The optimizer a training configuration names: AdamW (the notebook's, PyTorch semantics) or SGD
 * with momentum. Browser-safe; the trainer, the page and the tutorial build theirs here.
 */
import type { LanguageModel } from '../models/model.js';
import { Embedding } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer, ParamGroup } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import { SGD } from '../optim/sgd.js';
import type { TrainConfig } from './config.js';

export type OptimizerConfig = Pick<TrainConfig, 'optimizer' | 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'weightDecayOn' | 'momentum'>;

/**
 * The parameters in weight-decay groups: one group (all decay, PyTorch's default), or GPT-2's two —
 * the matrices of linear, convolution and recurrent layers decay; biases, norm gains and
 * embedding tables (a tied output layer included) do not.
 */
export function decayGroups(model: Module, c: Pick<OptimizerConfig, 'weightDecay' | 'weightDecayOn'>): ParamGroup[] {
  if (c.weightDecayOn === 'all') return [{ params: model.parameters() }];
  const tables = new Set<Tensor>();
  const walk = (m: Module) => {
    if (m instanceof Embedding) tables.add(m.weight);
    for (const [, child] of m.namedChildren()) walk(child);
  };
  walk(model);
  const decay = model.parameters().filter((p) => p.ndim >= 2 && !tables.has(p));
  const keep = model.parameters().filter((p) => !(p.ndim >= 2 && !tables.has(p)));
  return [{ params: decay }, { params: keep, weightDecay: 0 }];
}

export function createOptimizer(model: LanguageModel, c: OptimizerConfig): Optimizer {
  const groups = decayGroups(model, c);
  switch (c.optimizer) {
    case 'adamw':
      return new AdamW(groups, { lr: c.lr, betas: [c.beta1, c.beta2], eps: c.eps, weightDecay: c.weightDecay });
    case 'sgd':
      return new SGD(groups, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
    default:
      return c.optimizer satisfies never;
  }
}
