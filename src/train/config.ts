/**
 * Training configuration: every default in one block, one comment per line (the notebook's
 * settings), and a resolver that rejects unknown keys and wrong types.
 */
import { ConfigError } from '../tensor/errors.js';
import type { ModelType } from '../models/registry.js';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  maxSteps: number | null;
  maxSeconds: number | null;
  seed: number;
  shuffle: boolean;
  batching: 'padded' | 'packed';
  blockSize: number;
  gradClip: number | null;
  warmupSteps: number;
  schedule: 'constant' | 'cosine';
  minLr: number | null;
  logEvery: number;
  saveEvery: number | null;
  memoryBudget: number;
}

export const trainDefaults: TrainConfig = {
  epochs: 2, // the notebook trains 2 epochs
  batchSize: 128, // the notebook's batch size (the transformer notebook uses 64)
  lr: 0.001, // AdamW's default; per-model defaults below replace it
  weightDecay: 0.01, // AdamW's default, as the notebook leaves it
  beta1: 0.9, // AdamW default
  beta2: 0.999, // AdamW default
  eps: 1e-8, // AdamW default
  maxSteps: null, // stop after this many optimizer steps (null: run all epochs)
  maxSeconds: null, // stop after this much training time (null: no limit)
  seed: 42, // init, dropout and shuffling
  shuffle: false, // the notebook's DataLoader does not shuffle
  batching: 'padded', // the notebook pads each batch to its longest document
  blockSize: 512, // packed rows: tokens per row
  gradClip: null, // global-norm clipping (null: off, as the notebook)
  warmupSteps: 0, // linear warmup steps
  schedule: 'constant', // 'cosine' decays to minLr over the run
  minLr: null, // cosine floor (null: lr / 10)
  logEvery: 20, // the notebook prints the training loss every 20 batches
  saveEvery: null, // checkpoint every N steps besides each epoch end
  memoryBudget: 1 << 30, // bytes for one micro-batch's activations (logits dominate)
};

/** The notebook's (and workshop's) per-model settings. */
export const modelTrainDefaults: Record<ModelType, Partial<TrainConfig>> = {
  markov: { lr: 0.1 },
  lowrank: { lr: 0.001 },
  transformer: { lr: 0.002, batchSize: 64 },
};

export function resolveTrainConfig(type: ModelType, raw: Record<string, unknown>): TrainConfig {
  const cfg: Record<string, unknown> = { ...trainDefaults, ...modelTrainDefaults[type] };
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    if (!(k in trainDefaults)) throw new ConfigError(`unknown training key '${k}'`, `known keys: ${Object.keys(trainDefaults).join(', ')}`);
    const def = (trainDefaults as unknown as Record<string, unknown>)[k];
    const nullable = def === null;
    if (!(v === null && nullable) && typeof v !== (def === null ? 'number' : typeof def)) {
      throw new ConfigError(`training key '${k}' must be a ${def === null ? 'number' : typeof def}, got ${JSON.stringify(v)}`);
    }
    cfg[k] = v;
  }
  const c = cfg as unknown as TrainConfig;
  const posInt = (k: keyof TrainConfig) => {
    const v = c[k] as number | null;
    if (v !== null && !(Number.isInteger(v) && v > 0)) throw new ConfigError(`${k} must be a positive integer, got ${v}`);
  };
  for (const k of ['epochs', 'batchSize', 'blockSize', 'logEvery', 'maxSteps', 'saveEvery'] as const) posInt(k);
  if (c.maxSeconds !== null && !(c.maxSeconds > 0)) throw new ConfigError(`maxSeconds must be a positive number, got ${c.maxSeconds}`);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new ConfigError(`lr must be a positive number, got ${c.lr}`);
  if (!(c.memoryBudget > 0)) throw new ConfigError(`memoryBudget must be a positive number of bytes, got ${c.memoryBudget}`);
  if (c.batching !== 'padded' && c.batching !== 'packed') throw new ConfigError(`batching must be padded or packed, got ${c.batching}`);
  if (c.schedule !== 'constant' && c.schedule !== 'cosine') throw new ConfigError(`schedule must be constant or cosine, got ${c.schedule}`);
  return c;
}
