/**
 * Learning-rate schedules: functions from the step number (0-based) to a learning rate. The
 * trainer sets `optimizer.lr = schedule(step)` before each update.
 */
import { ConfigError } from '../tensor/errors.js';

export type LrSchedule = (step: number) => number;

/** The same rate at every step. */
export function constantLr(lr: number): LrSchedule {
  return () => lr;
}

export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warmup. */
  lr: number;
  /** Steps of linear warmup from lr / (warmupSteps + 1). */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr; after it the rate stays at minLr. */
  totalSteps: number;
  /** Floor of the decay (default lr / 10, as nanoGPT). */
  minLr?: number;
}

/** Linear warmup then cosine decay to minLr (nanoGPT's get_lr). */
export function warmupCosineLr(o: WarmupCosineOptions): LrSchedule {
  const minLr = o.minLr ?? o.lr / 10;
  if (!(o.warmupSteps >= 0) || !(o.totalSteps > o.warmupSteps)) {
    throw new ConfigError(`warmup + cosine needs 0 <= warmupSteps < totalSteps, got ${o.warmupSteps} and ${o.totalSteps}`);
  }
  return (step) => {
    if (step < o.warmupSteps) return (o.lr * (step + 1)) / (o.warmupSteps + 1);
    if (step >= o.totalSteps) return minLr;
    const ratio = (step - o.warmupSteps) / (o.totalSteps - o.warmupSteps);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (o.lr - minLr);
  };
}
