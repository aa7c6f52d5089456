/**
 * From a token split to an n-gram model: count (count.ts), pick the counts the estimator reads
 * (Kneser-Ney: adjusted counts below the highest order), estimate the discounts per order with
 * their fallback, and report what was done — sizes, timings, and any discount fallback in words.
 */
import type { TokenSplit } from '../data/split.js';
import { ConfigError } from '../tensor/errors.js';
import type { NgramConfig } from './config.js';
import { countNgrams, type NgramCounts } from './count.js';
import { estimateDiscounts, type Discounts } from './discount.js';
import { NgramModel, type NgramLevel } from './model.js';

export interface NgramBuildReport {
  order: number;
  smoothing: NgramConfig['smoothing'];
  /** Target tokens and documents counted. */
  tokens: number;
  documents: number;
  /** Distinct n-grams per order (order 1: tokens seen as targets). */
  ngrams: number[];
  /** Seconds spent counting, and estimating (discounts, context sums). */
  countSeconds: number;
  estimateSeconds: number;
  /** Per order (kn only): count-of-counts, discounts and how they were obtained. */
  discounts: (Discounts & { order: number })[] | null;
  /** Plain-language notes, e.g. a discount fallback. */
  notes: string[];
}

/** Turns counts into a model for `config` (the order must match). */
export function modelFromCounts(counts: NgramCounts, config: NgramConfig): NgramModel {
  if (counts.order !== config.order) throw new ConfigError(`counts of order ${counts.order} cannot make an order-${config.order} model`);
  if (counts.vocabSize !== config.vocabSize) throw new ConfigError(`counts over a vocabulary of ${counts.vocabSize} do not fit a model of ${config.vocabSize}`);
  const kn = config.smoothing === 'kn';
  if (kn && counts.order > 1 && !counts.levels[0]!.adjusted) throw new ConfigError('Kneser-Ney needs adjusted counts', 'count with { adjusted: true }');
  const levels: NgramLevel[] = counts.levels.map((lv, i) => ({
    childStart: lv.childStart,
    words: lv.words,
    counts: kn && i < counts.order - 1 ? lv.adjusted! : lv.counts,
  }));
  const discounts = kn ? levels.map((lv) => estimateDiscounts(lv.counts)) : null;
  return new NgramModel({ config, levels, discounts, tokens: counts.tokens, documents: counts.documents });
}

/** Counts `split` and builds the model, with a report of what was done. */
export function buildNgramModel(split: TokenSplit, config: NgramConfig): { model: NgramModel; report: NgramBuildReport } {
  if (split.vocabSize !== config.vocabSize) {
    throw new ConfigError(`the data has a vocabulary of ${split.vocabSize} but the model config says ${config.vocabSize}`);
  }
  const t0 = performance.now();
  const counts = countNgrams(split, config.order, { adjusted: config.smoothing === 'kn' });
  const t1 = performance.now();
  const model = modelFromCounts(counts, config);
  const t2 = performance.now();
  return { model, report: describeModel(model, (t1 - t0) / 1000, (t2 - t1) / 1000) };
}

/** The report for a built or loaded model. */
export function describeModel(model: NgramModel, countSeconds = 0, estimateSeconds = 0): NgramBuildReport {
  const notes: string[] = [];
  const discounts = model.discounts?.map((d, i) => ({ order: i + 1, ...d })) ?? null;
  for (const d of discounts ?? []) {
    if (d.method !== 'modified-kn') notes.push(`order ${d.order}: the count-of-counts do not support modified Kneser-Ney discounts (${d.reason})`);
  }
  return {
    order: model.order, smoothing: model.config.smoothing, tokens: model.tokens, documents: model.documents, ngrams: model.ngramCounts(),
    countSeconds, estimateSeconds, discounts, notes,
  };
}
