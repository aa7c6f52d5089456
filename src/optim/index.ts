/** Optimizers, gradient clipping and learning-rate schedules (like torch.optim). */
export { Optimizer, type OptimizerState, type ParamState, type ParamGroup } from './optimizer.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { SGD, type SGDOptions } from './sgd.js';
export { clipGradNorm } from './clip.js';
export { constantLr, warmupCosineLr, type LrSchedule, type WarmupCosineOptions } from './schedule.js';
