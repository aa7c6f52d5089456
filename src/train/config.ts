/**
 * Training configuration: every key in one table with its default (the notebook's settings), a
 * line of doc, its range and its CLI flag (config/keys.ts), and a resolver that applies the model
 * family's recommended settings, then the user's, rejecting unknown keys and wrong types.
 * Browser-safe: the loop (loop.ts) and the Node run folder (trainer.ts) both read it.
 */
import { defaultsOf, resolveKeys, type AnyKeySpec, type KeySpecs } from '../config/keys.js';
import { neuralFamilyOf, type ModelType } from '../models/registry.js';
import { ConfigError } from '../tensor/errors.js';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: 'adamw' | 'sgd';
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  momentum: number;
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

export const trainKeys: KeySpecs<TrainConfig> = {
  epochs: { kind: 'int', min: 1, default: 2, doc: 'passes over the training split (the notebook: 2)' },
  batchSize: { kind: 'int', min: 1, default: 128, doc: "documents (or packed rows) per batch (the notebook's 128)" },
  optimizer: { kind: 'choice', choices: ['adamw', 'sgd'], default: 'adamw', doc: 'adamw (the notebook, PyTorch semantics) or sgd (with --momentum)' },
  lr: { kind: 'number', greaterThan: 0, default: 0.001, doc: 'peak learning rate' },
  weightDecay: { kind: 'number', min: 0, default: 0.01, doc: "decoupled weight decay (AdamW's default, as the notebook leaves it)" },
  beta1: { kind: 'number', min: 0, below: 1, default: 0.9, doc: "AdamW's first-moment decay" },
  beta2: { kind: 'number', min: 0, below: 1, default: 0.999, doc: "AdamW's second-moment decay (GPT-2 recipes use 0.95)" },
  eps: { kind: 'number', min: 0, default: 1e-8, doc: "AdamW's epsilon" },
  momentum: { kind: 'number', min: 0, below: 1, default: 0, doc: 'SGD momentum (0: plain SGD)' },
  maxSteps: { kind: 'int', min: 1, default: null, nullable: true, doc: 'stop after this many optimizer steps (none: run every epoch)' },
  maxSeconds: { kind: 'number', greaterThan: 0, default: null, nullable: true, flag: false, doc: 'stop after this much training time, seconds (none: no limit; the CLI takes --minutes)' },
  seed: { kind: 'int', min: 0, default: 42, doc: 'seed for initialisation, dropout and shuffling' },
  shuffle: { kind: 'bool', default: false, doc: "shuffle documents each epoch (the notebook's DataLoader does not)" },
  batching: { kind: 'choice', choices: ['padded', 'packed'], default: 'padded', doc: 'padded: each batch padded to its longest document (the notebook); packed: documents joined into rows of --block-size tokens' },
  blockSize: { kind: 'int', min: 2, default: 512, doc: 'tokens per packed row' },
  gradClip: { kind: 'number', greaterThan: 0, default: null, nullable: true, doc: 'clip the global gradient norm to this (none: off, as the notebook)' },
  warmupSteps: { kind: 'int', min: 0, default: 0, doc: 'linear warmup steps' },
  schedule: { kind: 'choice', choices: ['constant', 'cosine'], default: 'constant', doc: 'learning rate after warmup: constant (the notebook) or cosine decay to --min-lr over the run' },
  minLr: { kind: 'number', min: 0, default: null, nullable: true, doc: 'floor of the cosine decay (none: lr / 10)' },
  logEvery: { kind: 'int', min: 1, default: 20, doc: 'print the training loss every n steps (the notebook: 20)' },
  saveEvery: { kind: 'int', min: 1, default: null, nullable: true, doc: 'checkpoint every n steps besides each epoch end' },
  memoryBudget: { kind: 'number', greaterThan: 0, default: 1 << 30, unit: 'bytes', doc: 'activation memory per micro-batch, bytes (512m, 2g on the CLI)' },
};

export const trainDefaults: TrainConfig = defaultsOf(trainKeys as Record<string, AnyKeySpec>) as unknown as TrainConfig;

/** The training settings for a model type: defaults, then the family's, then `raw` (checked). */
export function resolveTrainConfig(type: ModelType, raw: Record<string, unknown>): TrainConfig {
  const family = neuralFamilyOf(type);
  const hints: Record<string, unknown> = { ...family.training };
  const c = resolveKeys(trainKeys as Record<string, AnyKeySpec>, { ...hints, ...raw }, { what: 'training' }) as unknown as TrainConfig;
  if (c.optimizer !== 'sgd' && c.momentum !== 0) throw new ConfigError(`momentum ${c.momentum} applies to --optimizer sgd only`, 'AdamW has beta1 instead');
  return c;
}
