/**
 * Starting the output layer's bias at the training split's log unigram frequencies (train key
 * headBiasInit: 'unigram'): the first steps of every family otherwise go to learning how often each
 * token occurs — the loss falls from ln V to the unigram's entropy and sits there — while with the
 * bias set the model starts at about the unigram's loss ("init well", Karpathy's recipe for
 * training neural networks). Counts are add-one smoothed, so no token starts at −∞.
 */
import type { TokenSplit } from '../data/split.js';
import type { LanguageModel } from '../models/model.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** The output layer's bias, or a ConfigError naming why this model has none. */
export function headBiasOf(model: LanguageModel, type: string): Tensor {
  const head = model.fusedHead?.();
  const bias = head?.kind === 'linear' ? head.bias : null;
  if (!bias) {
    throw new ConfigError(`headBiasInit 'unigram' needs an output layer with a bias; this ${type} model has none`,
      'the markov table, a tied transformer and --no-head-bias have none: leave --head-bias-init at model');
  }
  return bias;
}

/** Sets `bias` (V) to log((count + 1) / (total + V)) over the split's tokens. */
export function setUnigramBias(bias: Tensor, split: TokenSplit): void {
  const V = bias.size;
  const counts = new Float64Array(V);
  for (const id of split.ids) if (id < V) counts[id]! += 1;
  let total = V;
  for (const c of counts) total += c;
  const b = bias.f32('head bias');
  for (let v = 0; v < V; v++) b[v] = Math.log((counts[v]! + 1) / total);
}
