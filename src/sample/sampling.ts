/**
 * Choosing the next token from one row of logits (V): greedy (argmax), or a draw from the softmax
 * after temperature scaling, top-k (keep the k most likely) and top-p (keep the smallest set whose
 * probability reaches p), like Hugging Face's logits warpers applied in that order. The draw is the
 * notebook's torch.multinomial: inverse CDF on one seeded uniform number.
 */
import { ConfigError } from '../tensor/errors.js';
import type { Rng } from '../tensor/rng.js';

export interface SamplingOptions {
  /** Divide logits by this before the softmax (default 1). */
  temperature?: number;
  /** Keep only the k most likely tokens (default: all). */
  topK?: number;
  /** Keep the most likely tokens up to cumulative probability p (default 1: all). */
  topP?: number;
  /** Always take the most likely token. */
  greedy?: boolean;
}

export function checkSamplingOptions(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature > 0)) throw new ConfigError(`temperature must be > 0, got ${o.temperature}`, 'use --greedy for argmax decoding');
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK > 0)) throw new ConfigError(`top-k must be a positive integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new ConfigError(`top-p must be in (0, 1], got ${o.topP}`);
}

function argmax(x: Float64Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Picks one token id from `logits` (V). `banned` ids get probability 0. */
export function sampleToken(logits: Float32Array, o: SamplingOptions, rng: Rng, banned?: ReadonlySet<number>): number {
  const V = logits.length;
  const z = Float64Array.from(logits);
  if (banned) for (const id of banned) if (id < V) z[id] = -Infinity;
  if (o.greedy) return argmax(z);
  const temp = o.temperature ?? 1;
  let max = -Infinity;
  for (let i = 0; i < V; i++) {
    z[i] = z[i]! / temp;
    if (z[i]! > max) max = z[i]!;
  }
  const p = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    p[i] = Math.exp(z[i]! - max);
    sum += p[i]!;
  }
  let candidates: number[] | null = null;
  if ((o.topK !== undefined && o.topK < V) || (o.topP !== undefined && o.topP < 1)) {
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b]! - p[a]!);
    let keep = Math.min(V, o.topK ?? V);
    if (o.topP !== undefined && o.topP < 1) {
      let keptSum = 0;
      for (let i = 0; i < keep; i++) keptSum += p[order[i]!]!;
      let cum = 0;
      let k = 0;
      while (k < keep) {
        cum += p[order[k]!]! / keptSum;
        k++;
        if (cum >= o.topP) break;
      }
      keep = k;
    }
    candidates = order.slice(0, keep);
    sum = 0;
    for (const i of candidates) sum += p[i]!;
  }
  let u = rng.uniform() * sum;
  const n = candidates ? candidates.length : V;
  const id = candidates ? (k: number) => candidates[k]! : (k: number) => k;
  for (let k = 0; k < n; k++) {
    u -= p[id(k)]!;
    if (u < 0) return id(k);
  }
  // Rounding left a sliver: return the last candidate with non-zero probability.
  for (let k = n - 1; k >= 0; k--) if (p[id(k)]! > 0) return id(k);
  return id(n - 1);
}
