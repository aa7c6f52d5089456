/**
 * The optimizer a training configuration names: AdamW (the notebook's, PyTorch semantics) or SGD
 * with momentum. Browser-safe; the trainer, the page and the tutorial build theirs here.
 */
import type { LanguageModel } from '../models/model.js';
import { AdamW } from '../optim/adamw.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import type { TrainConfig } from './config.js';

export type OptimizerConfig = Pick<TrainConfig, 'optimizer' | 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'momentum'>;

export function createOptimizer(model: LanguageModel, c: OptimizerConfig): Optimizer {
  switch (c.optimizer) {
    case 'adamw':
      return new AdamW(model.parameters(), { lr: c.lr, betas: [c.beta1, c.beta2], eps: c.eps, weightDecay: c.weightDecay });
    case 'sgd':
      return new SGD(model.parameters(), { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
    default:
      return c.optimizer satisfies never;
  }
}
