/**
 * What a model thinks comes next, and how surprised it is by a text: the two readings the web page
 * shows (next-token bars, per-token surprisal) as library calls on token ids, browser-safe, so the
 * server and a page computing in the tab get the same numbers from the same code. Probabilities
 * are the softmax of the last position's logits divided by the temperature, in float64; the
 * surprisal of a token is −ln p(token | the tokens before it) at temperature 1.
 */
import { inEvalMode, openDecoder } from '../models/decoder.js';
import type { LanguageModel } from '../models/model.js';
import { ConfigError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

export interface TopToken {
  id: number;
  /** Probability after the temperature. */
  p: number;
  /** The raw logit (for counted models: the log-probability). */
  logit: number;
}

export interface NextTokensOptions {
  /** How many of the most likely tokens to return (default 10). */
  topK?: number;
  /** Divide logits by this before the softmax (default 1). */
  temperature?: number;
}

export interface NextTokens {
  /** The topK most likely next tokens, most likely first. */
  tokens: TopToken[];
  /** Tokens of the context the model read (the last contextSize of the ids). */
  contextTokens: number;
  /** Entropy of the whole distribution after the temperature, nats. */
  entropy: number;
}

/** The next-token logits (V) after `ids` (the last contextSize of them are read). */
export function nextLogits(model: LanguageModel, ids: readonly number[]): Float32Array {
  if (ids.length === 0) throw new ConfigError('no tokens to continue', 'give a text, or at least the [CLS] id');
  const window = ids.slice(Math.max(0, ids.length - model.contextSize));
  return openDecoder(model).prefill(window);
}

/** Softmax of logits / temperature in float64 (V). */
export function softmaxAt(logits: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0)) throw new ConfigError(`temperature must be > 0, got ${temperature}`, 'use greedy decoding for argmax');
  const V = logits.length;
  const p = new Float64Array(V);
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    p[i] = Math.exp(logits[i]! / temperature - max);
    sum += p[i]!;
  }
  for (let i = 0; i < V; i++) p[i]! /= sum;
  return p;
}

/** The k largest entries' indices, largest first (ties: smaller id first). */
export function topIndices(x: ArrayLike<number>, k: number): number[] {
  const n = Math.min(k, x.length);
  const top: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (top.length === n && !(v > x[top[n - 1]!]!)) continue;
    let j = top.length < n ? top.length : n - 1;
    while (j > 0 && v > x[top[j - 1]!]!) j--;
    top.splice(j, 0, i);
    if (top.length > n) top.pop();
  }
  return top;
}

/** The most likely next tokens after `ids`, with the distribution's entropy. */
export function nextTokens(model: LanguageModel, ids: readonly number[], o: NextTokensOptions = {}): NextTokens {
  const k = o.topK ?? 10;
  if (!(Number.isInteger(k) && k > 0)) throw new ConfigError(`topK must be a positive whole number, got ${k}`);
  const logits = nextLogits(model, ids);
  const p = softmaxAt(logits, o.temperature ?? 1);
  let entropy = 0;
  for (const x of p) if (x > 0) entropy -= x * Math.log(x);
  const tokens = topIndices(p, k).map((id) => ({ id, p: p[id]!, logit: logits[id]! }));
  return { tokens, contextTokens: Math.min(ids.length, model.contextSize), entropy };
}

export interface ScoredToken {
  id: number;
  /** p(token | the tokens before it). */
  p: number;
  /** −ln p, nats (Infinity where p is 0). */
  loss: number;
}

export interface TextScore {
  /** One entry per token after the first (the first is given, not predicted). */
  tokens: ScoredToken[];
  /** Sum of the losses, nats. */
  totalLoss: number;
  /** Mean loss per scored token, nats (the figure training reports). */
  meanLoss: number;
  /** meanLoss in bits. */
  bitsPerToken: number;
}

/**
 * Scores every token of `ids` after the first against the model's prediction from the tokens
 * before it: one forward pass over (1,T). `ids` must fit the model (maxSequence).
 */
export function scoreIds(model: LanguageModel, ids: readonly number[]): TextScore {
  const T = ids.length;
  if (T < 2) throw new ConfigError(`scoring needs at least two tokens, got ${T}`, 'type a longer text');
  if (model.maxSequence !== undefined && T - 1 > model.maxSequence) {
    throw new ConfigError(`${T} tokens do not fit the model's context of ${model.maxSequence}`, `shorten the text to at most ${model.maxSequence} tokens`);
  }
  const V = model.config.vocabSize;
  const logits = inEvalMode(model, () => model.forward(new Tensor(Int32Array.from(ids.slice(0, T - 1)), [1, T - 1])).f32()); // (1,T-1,V)
  const tokens: ScoredToken[] = [];
  let total = 0;
  for (let t = 0; t < T - 1; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    let max = -Infinity;
    for (let i = 0; i < V; i++) max = Math.max(max, row[i]!);
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(row[i]! - max);
    const target = ids[t + 1]!;
    const loss = max + Math.log(sum) - row[target]!;
    tokens.push({ id: target, p: Math.exp(-loss), loss });
    total += loss;
  }
  const mean = total / (T - 1);
  return { tokens, totalLoss: total, meanLoss: mean, bitsPerToken: mean / Math.LN2 };
}
