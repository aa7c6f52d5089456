/**
 * The learning rate at a step, fitted to the run's real length: linear warmup over warmupSteps,
 * then constant, or a cosine or linear decay to minLr (default lr / 10, as nanoGPT) that ends when
 * the run ends — at its last planned step, or earlier when a time or token budget will end it first
 * (`budgetProgress`, the fraction of that budget used). A 20-minute run thus reaches its floor at
 * 20 minutes whatever its planned epochs. Without a budget the decay is nanoGPT's get_lr.
 */
import type { TrainConfig } from './config.js';

export type ScheduleConfig = Pick<TrainConfig, 'lr' | 'warmupSteps' | 'schedule' | 'minLr'>;

/**
 * The rate for optimizer step `step` (0-based) of a run planned for `totalSteps` steps (Infinity
 * when only a budget ends it), `budgetProgress` (0 to 1) of its time or token budget used.
 */
export function lrAt(c: ScheduleConfig, step: number, totalSteps: number, budgetProgress = 0): number {
  const w = c.warmupSteps;
  if (step < w) return (c.lr * (step + 1)) / (w + 1);
  if (c.schedule === 'constant') return c.lr;
  const minLr = c.minLr ?? c.lr / 10;
  // Decay progress after warmup, by whichever limit is closer to ending the run.
  const byStep = totalSteps === Infinity ? 0 : (step - w) / Math.max(1, totalSteps - w);
  const warmShare = totalSteps === Infinity ? 0 : w / totalSteps;
  const byBudget = budgetProgress > 0 ? (budgetProgress - warmShare) / (1 - warmShare) : 0;
  const r = Math.min(1, Math.max(0, byStep, byBudget));
  switch (c.schedule) {
    case 'cosine':
      return minLr + 0.5 * (1 + Math.cos(Math.PI * r)) * (c.lr - minLr);
    case 'linear':
      return c.lr + (minLr - c.lr) * r;
    default:
      return c.schedule satisfies never;
  }
}
