/**
 * Generation: feed the prompt, then draw one token at a time from the last position's
 * distribution and append it, as the notebook's `generate` does, yielding each id as it is drawn
 * so callers can stream text. Models only see their context (the last token for the Markov
 * chains, the last maxLen tokens for the transformer; a longer prompt is cut from the left).
 */
import type { LanguageModel } from '../models/model.js';
import { noGrad } from '../tensor/autograd.js';
import { ConfigError } from '../tensor/errors.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
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
  const rng = o.rng ?? new Rng(42);
  const stop = new Set(o.stopIds ?? []);
  const ids = [...prompt];
  const wasTraining = model.training;
  model.eval();
  try {
    for (let n = 0; n < maxNew; n++) {
      const ctx = ids.slice(Math.max(0, ids.length - model.contextSize));
      const logits = noGrad(() => model.forward(new Tensor(Int32Array.from(ctx), [1, ctx.length]))); // (1,T,V)
      const last = logits.f32().subarray((ctx.length - 1) * V, ctx.length * V);
      const next = sampleToken(last, o, rng, o.bannedIds);
      ids.push(next);
      yield next;
      if (stop.has(next)) break;
    }
  } finally {
    model.train(wasTraining);
  }
}
