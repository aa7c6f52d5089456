/**
 * Generation: feed the prompt, then draw one token at a time from the last position's
 * distribution and append it, as the notebook's `generate` does, yielding each id as it is drawn
 * so callers can stream text. Models only see their context (the last token for the Markov
 * chains, the last maxLen tokens for the transformer): a longer prompt is cut from the left, with
 * a notice, and past the context each step sees the last contextSize tokens (nanoGPT's crop).
 * The model's decoder (the transformer's key/value cache) reads one new token per step.
 */
import { openDecoder } from '../models/decoder.js';
import type { LanguageModel } from '../models/model.js';
import { ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { checkSamplingOptions, sampleToken, type SamplingOptions } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to draw (default 30, the notebook's max_new_tokens). */
  maxNewTokens?: number;
  /** Stop after drawing any of these ids (e.g. [SEP]); the stop id is yielded. */
  stopIds?: readonly number[];
  /** Never draw these ids (e.g. [PAD], [CLS]). */
  bannedIds?: ReadonlySet<number>;
  /** Generator for the draws (default seed 42: the same seed gives the same text). */
  rng?: Rng;
  /** Use the model's incremental decoder when it has one (default true); false: forward() over the window each step. */
  cache?: boolean;
  /** Called once, before the first draw, when the prompt is longer than the model's context. */
  onPromptCut?: (cut: PromptCut) => void;
}

/** A prompt cut from the left to fit the model's context. */
export interface PromptCut {
  /** Tokens in the prompt. */
  promptTokens: number;
  /** The model's contextSize. */
  contextSize: number;
  /** Tokens kept: the last `kept` of the prompt (= contextSize). */
  kept: number;
}

/** Yields new token ids one at a time. */
export function* generateIds(model: LanguageModel, prompt: readonly number[], o: GenerateOptions = {}): Generator<number> {
  checkSamplingOptions(o);
  const maxNew = o.maxNewTokens ?? 30;
  if (!(Number.isInteger(maxNew) && maxNew >= 0)) throw new ConfigError(`maxNewTokens must be a whole number >= 0, got ${maxNew}`);
  if (prompt.length === 0) throw new ConfigError('the prompt has no tokens', 'give a prompt text, or at least the [CLS] id');
  const V = model.config.vocabSize;
  for (const id of prompt) {
    if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new ConfigError(`prompt id ${id} is outside the model's vocabulary of ${V}`);
  }
  if (maxNew === 0) return;
  const rng = o.rng ?? new Rng(42);
  const stop = new Set(o.stopIds ?? []);
  const ctx = model.contextSize;
  if (prompt.length > ctx) o.onPromptCut?.({ promptTokens: prompt.length, contextSize: ctx, kept: ctx });
  const decoder = openDecoder(model, { cache: o.cache });
  let logits = decoder.prefill(prompt.slice(Math.max(0, prompt.length - ctx))); // (V)
  for (let n = 1; ; n++) {
    const next = sampleToken(logits, o, rng, o.bannedIds);
    yield next;
    if (stop.has(next) || n === maxNew) return;
    logits = decoder.step(next);
  }
}
