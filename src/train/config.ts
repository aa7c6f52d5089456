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
  weightDecayOn: 'all' | 'weights';
  beta1: number;
  beta2: number;
  eps: number;
  momentum: number;
  maxSteps: number | null;
  maxSeconds: number | null;
  maxTokens: number | null;
  seed: number;
  shuffle: boolean;
  batching: 'padded' | 'packed';
  blockSize: number;
  gradClip: number | null;
  skipNonfinite: number;
  warmupSteps: number;
  schedule: 'constant' | 'cosine' | 'linear';
  minLr: number | null;
  logEvery: number;
  saveEvery: number | null;
  saveOptimizer: boolean;
  evalEvery: number | null;
  evalDocs: number | null;
  eval: boolean;
  keepBest: boolean;
  memoryBudget: number;
  headBiasInit: 'model' | 'unigram';
}

export const trainKeys: KeySpecs<TrainConfig> = {
  epochs: { kind: 'int', min: 1, default: 2, doc: 'passes over the training split (the notebook: 2)' },
  batchSize: { kind: 'int', min: 1, default: 128, doc: "documents (or packed rows) per batch (the notebook's 128)" },
  optimizer: { kind: 'choice', choices: ['adamw', 'sgd'], default: 'adamw', doc: 'adamw (the notebook, PyTorch semantics) or sgd (with --momentum)' },
  lr: { kind: 'number', greaterThan: 0, default: 0.001, doc: 'peak learning rate' },
  weightDecay: { kind: 'number', min: 0, default: 0.01, doc: "decoupled weight decay (AdamW's default, as the notebook leaves it)" },
  weightDecayOn: {
    kind: 'choice', choices: ['all', 'weights'], default: 'all',
    doc: "which parameters decay: all (PyTorch's single group, the notebook's) or weights (the matrices of linear, convolution and recurrent layers; no decay on biases, norms and embeddings, as GPT-2 recipes)",
  },
  beta1: { kind: 'number', min: 0, below: 1, default: 0.9, doc: "AdamW's first-moment decay" },
  beta2: { kind: 'number', min: 0, below: 1, default: 0.999, doc: "AdamW's second-moment decay (GPT-2 recipes use 0.95)" },
  eps: { kind: 'number', min: 0, default: 1e-8, doc: "AdamW's epsilon" },
  momentum: { kind: 'number', min: 0, below: 1, default: 0, doc: 'SGD momentum (0: plain SGD)' },
  maxSteps: { kind: 'int', min: 1, default: null, nullable: true, doc: 'stop after this many optimizer steps (none: run every epoch)' },
  maxSeconds: { kind: 'number', greaterThan: 0, default: null, nullable: true, flag: false, doc: 'stop after this much training time, seconds (none: no limit; the CLI takes --minutes)' },
  maxTokens: { kind: 'int', min: 1, default: null, nullable: true, doc: 'stop after training on this many real tokens (none: no limit)' },
  seed: { kind: 'int', min: 0, default: 42, doc: 'seed for initialisation, dropout and shuffling' },
  shuffle: { kind: 'bool', default: false, doc: "shuffle documents each epoch (the notebook's DataLoader does not)" },
  batching: { kind: 'choice', choices: ['padded', 'packed'], default: 'padded', doc: 'padded: each batch padded to its longest document (the notebook); packed: documents joined into rows of --block-size tokens' },
  blockSize: { kind: 'int', min: 2, default: 512, doc: 'tokens per packed row' },
  gradClip: { kind: 'number', greaterThan: 0, default: null, nullable: true, doc: 'clip the global gradient norm to this (none: off, as the notebook)' },
  skipNonfinite: {
    kind: 'int', min: 0, default: 0,
    doc: 'skip a step whose loss or gradient is NaN or infinite (no update; the batch is dropped) at most this many times in the run, then stop (0: stop at the first, keeping the last good checkpoint)',
  },
  warmupSteps: { kind: 'int', min: 0, default: 0, doc: 'linear warmup steps' },
  schedule: {
    kind: 'choice', choices: ['constant', 'cosine', 'linear'], default: 'constant',
    doc: 'learning rate after warmup: constant (the notebook), or a cosine or linear decay to --min-lr that ends when the run ends (steps, tokens or --minutes, whichever comes first)',
  },
  minLr: { kind: 'number', min: 0, default: null, nullable: true, doc: 'floor of the cosine decay (none: lr / 10)' },
  logEvery: { kind: 'int', min: 1, default: 20, doc: 'print the training loss every n steps (the notebook: 20)' },
  saveEvery: { kind: 'int', min: 1, default: null, nullable: true, doc: 'checkpoint every n steps besides each epoch end' },
  saveOptimizer: { kind: 'bool', default: true, doc: 'save the optimizer state with each checkpoint (twice the weights for AdamW); without it the run cannot be resumed' },
  evalEvery: { kind: 'int', min: 1, default: null, nullable: true, doc: 'evaluate on the held-out slice every n steps besides each epoch end' },
  evalDocs: { kind: 'int', min: 1, default: null, nullable: true, doc: 'evaluate on the first n held-out documents only (none: the whole test split)' },
  eval: { kind: 'bool', default: true, doc: 'evaluate on held-out documents during and after training' },
  keepBest: { kind: 'bool', default: true, doc: 'keep the weights with the best held-out loss in RUN_DIR/best/ beside the last' },
  memoryBudget: { kind: 'number', greaterThan: 0, default: 1 << 30, unit: 'bytes', doc: 'activation memory per micro-batch, bytes (512m, 2g on the CLI)' },
  headBiasInit: {
    kind: 'choice', choices: ['model', 'unigram'], default: 'model',
    doc: "the output layer's bias at the start: the model's own initialisation (PyTorch's), or the training split's log unigram frequencies, so that the first steps need not learn how often each token occurs",
  },
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
