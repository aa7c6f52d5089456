/**
 * Looking inside a model, for teaching: the transformer's attention maps (each layer's and head's
 * softmax(q kᵀ / √D) over the positions before), and a one-token model's table row (the Markov
 * chains: the next-token distribution after a single token, with its logits). Browser-safe; the
 * web page asks the server for these or computes them in the tab. Which views a model offers is
 * read from what it is, so a new family gets the generic views without changes here.
 */
import { ConfigError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { NgramModel } from '../ngram/model.js';
import { nextLogits, softmaxAt, topIndices } from '../sample/next.js';
import { inEvalMode } from './decoder.js';
import type { LanguageModel } from './model.js';
import { Transformer } from './transformer.js';

/**
 * The model-specific view a model offers: attention maps (transformer), a table row (one-token
 * models: the Markov chains), counts and back-off (counted n-grams), or none yet.
 */
export type InsideView =
  | { view: 'attention'; model: Transformer }
  | { view: 'row'; model: LanguageModel }
  | { view: 'ngram'; model: NgramModel }
  | { view: 'none' };

export function insideView(model: LanguageModel): InsideView {
  if (model instanceof Transformer) return { view: 'attention', model };
  if (model instanceof NgramModel) return { view: 'ngram', model };
  if (model.contextSize === 1) return { view: 'row', model };
  return { view: 'none' };
}

export interface AttentionMaps {
  layers: number;
  heads: number;
  /** Tokens read (T). */
  length: number;
  /**
   * maps[l][h] is (T,T) row-major: row i is how position i spreads its attention over positions
   * 0..i (the rest are 0); each row sums to 1.
   */
  maps: Float32Array[][];
}

/** Every layer's and head's attention probabilities for ids (1 to maxLen tokens), in eval mode. */
export function attentionMaps(model: Transformer, ids: readonly number[]): AttentionMaps {
  const Tn = ids.length;
  const { layers, heads, embedDim, maxLen } = model.config;
  if (Tn === 0) throw new ConfigError('no tokens to attend over', 'give a text');
  if (Tn > maxLen) throw new ConfigError(`${Tn} tokens do not fit the transformer's context of ${maxLen}`, `shorten the text to at most ${maxLen} tokens`);
  const D = embedDim / heads;
  const maps: Float32Array[][] = [];
  const probes = model.blocks.map((b) => b.attn);
  probes.forEach((attn) => {
    attn.probe = (q: Tensor, k: Tensor) => maps.push(headMaps(q.f32(), k.f32(), Tn, heads, D));
  });
  try {
    inEvalMode(model, () => model.hidden(new Tensor(Int32Array.from(ids), [1, Tn])));
  } finally {
    for (const attn of probes) attn.probe = null;
  }
  return { layers, heads, length: Tn, maps };
}

/** q, k (T,H,D) → H maps (T,T) of causal softmax(q kᵀ / √D). */
function headMaps(q: Float32Array, k: Float32Array, Tn: number, H: number, D: number): Float32Array[] {
  const scale = 1 / Math.sqrt(D);
  const out: Float32Array[] = [];
  const s = new Float64Array(Tn);
  for (let h = 0; h < H; h++) {
    const m = new Float32Array(Tn * Tn);
    for (let i = 0; i < Tn; i++) {
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[(i * H + h) * D + d]! * k[(j * H + h) * D + d]!;
        s[j] = dot * scale;
        if (s[j]! > max) max = s[j]!;
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        s[j] = Math.exp(s[j]! - max);
        sum += s[j]!;
      }
      for (let j = 0; j <= i; j++) m[i * Tn + j] = s[j]! / sum;
    }
    out.push(m);
  }
  return out;
}

export interface TableRow {
  /** The token whose row this is. */
  token: number;
  /** The most likely next tokens after it, most likely first. */
  top: { id: number; p: number; logit: number }[];
  /** Tokens with probability above uniform (1/V): how spread the row is. */
  aboveUniform: number;
}

/** A one-token model's row for `token`: its top transitions. */
export function tableRow(model: LanguageModel, token: number, k = 10): TableRow {
  if (model.contextSize !== 1) throw new ConfigError(`a ${model.config.type} model reads ${model.contextSize} tokens, so it has no table row`, 'the row view is for the Markov chains');
  const V = model.config.vocabSize;
  if (!(Number.isInteger(token) && token >= 0 && token < V)) throw new ConfigError(`token ${token} is outside the vocabulary of ${V}`);
  const logits = nextLogits(model, [token]);
  const p = softmaxAt(logits);
  let above = 0;
  for (const x of p) if (x > 1 / V) above++;
  return { token, top: topIndices(p, k).map((id) => ({ id, p: p[id]!, logit: logits[id]! })), aboveUniform: above };
}
