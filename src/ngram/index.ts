/** Count-based n-gram language models: counting, estimators, evaluation and the model file. */
export { ngramDefaults, resolveNgramConfig, smoothings, MAX_ORDER, type NgramConfig, type Smoothing } from './config.js';
export { countNgrams, type NgramCounts, type CountLevel, type CountOptions } from './count.js';
export { estimateDiscounts, countOfCounts, FALLBACK_DISCOUNTS, type Discounts } from './discount.js';
export { NgramModel, type NgramLevel, type NgramModelInit } from './model.js';
export { buildNgramModel, modelFromCounts, describeModel, type NgramBuildReport } from './build.js';
export { evaluateNgram, type NgramEvalOptions, type NgramEvalResult } from './evaluate.js';
export { encodeNgramModel, decodeNgramModel, NgramFormatError, NGRAM_MAGIC, NGRAM_FORMAT_VERSION } from './format.js';
