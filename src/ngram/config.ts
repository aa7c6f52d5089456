/**
 * The n-gram model family: its configuration keys (order, estimator and its one knob) declared once
 * like every model family's (models/family.ts), so config.json, `--order`/`--smoothing`/`--k` and
 * their checks come from one table. The model is counted, not trained: the family is `counted`.
 */
import { defaultsOf } from '../config/keys.js';
import { defineFamily, resolveFamilyConfig } from '../models/family.js';

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

export const ngramFamily = defineFamily<NgramConfig>({
  kind: 'counted',
  type: 'ngram',
  title: 'a count-based n-gram model (Kneser-Ney by default), counted in one pass, no gradients',
  keys: {
    order: {
      kind: 'int', min: 1, max: MAX_ORDER, default: 3, hint: '2 is a bigram, 3 a trigram',
      doc: 'N: the next token from the previous N − 1 (a trigram by default: the classic count model)',
    },
    smoothing: {
      kind: 'choice', choices: smoothings, default: 'kn',
      doc: "mle, addk, or kn: interpolated modified Kneser-Ney, KenLM's default, never a zero probability",
    },
    k: {
      kind: 'number', greaterThan: 0, default: 1, hint: 'k = 0 is plain maximum likelihood: use --smoothing mle',
      doc: "the k of add-k (1 is Laplace's add-one; 0.01 is far better on a 29k vocabulary)",
    },
  },
  tiny: { order: 2 },
  describe: (c) => `ngram ${c.order} ${c.smoothing}${c.smoothing === 'addk' ? ` k=${c.k}` : ''}`,
});

/** The defaults of the keys, as a plain object. */
export const ngramDefaults = defaultsOf(ngramFamily.keys) as Omit<NgramConfig, 'type' | 'vocabSize'>;

/** Completes and checks a (partial) n-gram configuration. */
export function resolveNgramConfig(raw: Record<string, unknown>): NgramConfig {
  return resolveFamilyConfig(ngramFamily, raw);
}
