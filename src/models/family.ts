/**
 * A model family is one file: its model class and one descriptor saying everything the rest of
 * slmkit needs to know about it — its configuration keys (defaults, checks, CLI flags and help,
 * from one table), how to build it, how many parameters and how much memory a configuration
 * needs, a short description for tables, and its training defaults. The registry (registry.ts)
 * is the list of descriptors; nothing else switches on a model type.
 *
 * Families come in two kinds: `neural` (trained by gradient descent, built by `create`) and
 * `counted` (n-gram models, built by counting a token split; they share the configuration door,
 * the description and the LanguageModel interface for scoring and sampling).
 */
import { checkKey, resolveKeys, type AnyKeySpec, type KeySpecs } from '../config/keys.js';
import { ConfigError } from '../tensor/errors.js';
import { chunkRows } from '../ops/fusedLoss.js';
import type { Rng } from '../tensor/rng.js';
import type { LanguageModel } from './model.js';

/** What every model configuration has: its type and the tokenizer's vocabulary size. */
export interface BaseModelConfig {
  readonly type: string;
  readonly vocabSize: number;
}

/**
 * Training settings a family recommends (train/config.ts applies them over the global defaults,
 * and the user's flags over these). Plain values, so models/ depends on nothing in train/.
 */
export interface TrainingHints {
  /** Learning rate (the notebook's or the workshop's for that model). */
  lr: number;
  /** Rows per batch, when the family's reference uses another than the notebook's 128. */
  batchSize?: number;
  /** Global-norm gradient clipping (recurrent models need it); null or absent: off. */
  gradClip?: number | null;
}

interface FamilyBase<C extends BaseModelConfig> {
  /** The `type` in config.json and `--model`. */
  readonly type: C['type'];
  /** One line for `--help` and listings: what the model is. */
  readonly title: string;
  /** Every settable key (all but type and vocabSize), declared once. */
  readonly keys: KeySpecs<C, 'type' | 'vocabSize'>;
  /** Rules across keys (embedDim divisible by heads); single-key rules live in `keys`. */
  check?(c: C): void;
  /** Short description for tables: "lowrank d256", "transformer pre-ln 6×128". */
  describe(c: C): string;
  /**
   * A small configuration (keys other than type and vocabSize) that still exercises every part
   * of the model: used by the generic family test and by quick demos.
   */
  readonly tiny: Partial<Omit<C, 'type' | 'vocabSize'>>;
}

/** A model trained by gradient descent. */
export interface NeuralFamily<C extends BaseModelConfig = BaseModelConfig> extends FamilyBase<C> {
  readonly kind: 'neural';
  /** A freshly initialised model. */
  create(c: C, rng: Rng): LanguageModel;
  /** Parameter count without allocating the model (the Markov table alone is 3.4 GB at V = 28,996). */
  countParameters(c: C): number;
  /**
   * Bytes of activations kept for backward per batch row of T positions, outside the fused
   * output layer (no (T,V) logits: see headBytes).
   */
  activationBytesPerRow(c: C, T: number): number;
  /**
   * Bytes the fused output layer needs for `batchTokens` real positions besides the rows; for a
   * table head, `distinctRows()` (when the caller can count them; it scans the data) bounds the
   * gradient rows.
   */
  headBytes(c: C, batchTokens: number, distinctRows?: () => number): number;
  /** Bytes of parameter gradients (default: one float per parameter; less when row-sparse). */
  gradientBytes?(c: C): number;
  readonly training: TrainingHints;
}

/** A model built by counting (n-grams): no gradients, no optimizer. */
export interface CountedFamily<C extends BaseModelConfig = BaseModelConfig> extends FamilyBase<C> {
  readonly kind: 'counted';
}

export type ModelFamily<C extends BaseModelConfig = BaseModelConfig> = NeuralFamily<C> | CountedFamily<C>;

/** The configuration type a family describes. */
export type ConfigOf<F> = F extends FamilyBase<infer C> ? C : never;

/** Identity with the family's config type checked against its descriptor (keeps literal types). */
export function defineFamily<C extends BaseModelConfig>(f: NeuralFamily<C>): NeuralFamily<C>;
export function defineFamily<C extends BaseModelConfig>(f: CountedFamily<C>): CountedFamily<C>;
export function defineFamily<C extends BaseModelConfig>(f: ModelFamily<C>): ModelFamily<C> {
  return f;
}

/**
 * headBytes of a linear output layer (V,C) fused with the loss: one chunk of logits (about 64 MB,
 * ops/fusedLoss.ts), the output weight's gradient and the weight packed twice for the chunks'
 * products.
 */
export function linearHeadBytes(V: number, C: number, batchTokens: number): number {
  return Math.min(chunkRows(V), batchTokens) * V * 4 + 3 * V * C * 4;
}

/**
 * A family's configuration completed with its defaults and checked: unknown keys and wrong types
 * refused (naming the known keys), vocabSize a positive integer, then the family's own rules.
 */
export function resolveFamilyConfig<C extends BaseModelConfig>(f: ModelFamily<C>, raw: Record<string, unknown>): C {
  const cfg = resolveKeys(f.keys as Record<string, AnyKeySpec>, raw, { what: `model type ${f.type}`, fixed: ['type', 'vocabSize'] });
  if (cfg.type !== f.type) throw new ConfigError(`a ${f.type} config needs type '${f.type}', got ${JSON.stringify(cfg.type)}`);
  if (cfg.vocabSize === undefined) throw new ConfigError('model config lacks vocabSize', 'it comes from the tokenizer');
  checkKey("model key 'vocabSize'", { kind: 'int', min: 1, default: 1, doc: '', hint: 'it comes from the tokenizer' }, cfg.vocabSize);
  const c = cfg as unknown as C;
  f.check?.(c);
  return c;
}
