/**
 * The n-gram model's configuration: order, estimator and its one knob, with every default in one
 * block and a resolver that rejects unknown keys and wrong types (as models/registry.ts does for
 * the neural models), so a typo never silently counts the default.
 */
import { ConfigError } from '../tensor/errors.js';

/** How probabilities are estimated from the counts. */
export type Smoothing = 'mle' | 'addk' | 'kn';
export const smoothings: readonly Smoothing[] = ['mle', 'addk', 'kn'];

export interface NgramConfig {
  type: 'ngram';
  /** Vocabulary size V (from the tokenizer). */
  vocabSize: number;
  /** N: the next token is predicted from the previous N − 1 tokens of the same document. */
  order: number;
  /** mle: relative frequencies; addk: add k to every count; kn: interpolated modified Kneser-Ney. */
  smoothing: Smoothing;
  /** The k of add-k (only used by addk). */
  k: number;
}

export const MAX_ORDER = 10;

export const ngramDefaults = {
  order: 3, // a trigram: the classic count model, and it fits PubMed's 8M tokens well
  smoothing: 'kn', // interpolated modified Kneser-Ney, KenLM's default: never a zero probability
  k: 1, // add-one (Laplace), the textbook's add-k; smaller k (0.01) is far better on a 29k vocabulary
} as const;

/** Completes and checks a (partial) n-gram configuration. */
export function resolveNgramConfig(raw: Record<string, unknown>): NgramConfig {
  if (raw.type !== 'ngram') throw new ConfigError(`an n-gram config needs type 'ngram', got ${JSON.stringify(raw.type)}`);
  const allowed = new Set(['type', 'vocabSize', ...Object.keys(ngramDefaults)]);
  for (const key of Object.keys(raw)) {
    if (!allowed.has(key)) throw new ConfigError(`unknown key '${key}' for model type ngram`, `known keys: ${[...allowed].join(', ')}`);
  }
  const cfg = { ...ngramDefaults, ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) } as Record<string, unknown>;
  const { vocabSize, order, smoothing, k } = cfg;
  if (!(Number.isInteger(vocabSize) && (vocabSize as number) > 0)) {
    throw new ConfigError(`model key 'vocabSize' must be a positive integer, got ${JSON.stringify(vocabSize)}`, 'it comes from the tokenizer');
  }
  if (!(Number.isInteger(order) && (order as number) >= 1 && (order as number) <= MAX_ORDER)) {
    throw new ConfigError(`n-gram order must be a whole number from 1 to ${MAX_ORDER}, got ${JSON.stringify(order)}`, '2 is a bigram, 3 a trigram');
  }
  if (typeof smoothing !== 'string' || !(smoothings as readonly string[]).includes(smoothing)) {
    throw new ConfigError(`unknown smoothing ${JSON.stringify(smoothing)}`, `choose one of: ${smoothings.join(', ')}`);
  }
  if (typeof k !== 'number' || !(k > 0 && Number.isFinite(k))) {
    throw new ConfigError(`add-k needs k > 0, got ${JSON.stringify(k)}`, 'k = 0 is plain maximum likelihood: use --smoothing mle');
  }
  return { type: 'ngram', vocabSize: vocabSize as number, order: order as number, smoothing: smoothing as Smoothing, k };
}
