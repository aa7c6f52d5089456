/**
 * The count-based n-gram language model: a trie of counts (count.ts) read by one of three
 * estimators, behind the same interface as the neural models (`forward(ids)` → (B,T,V) logits, here
 * log-probabilities), so it is evaluated, sampled and compared the same way — without gradients.
 *
 * For a context h (the previous up to N − 1 tokens of the same document) and a token w:
 * - mle:  p(w | h) = c(h w) / c(h •), with h the longest suffix of the context that was seen as a
 *         context in training (the whole context when it was; ultimately the empty context, the
 *         unigram distribution). Unseen pairs get probability 0.
 * - addk: p(w | h) = (c(h w) + k) / (c(h •) + k V), h chosen the same way.
 * - kn:   interpolated modified Kneser-Ney, KenLM's estimator: at each order, from the unigram up,
 *         p_n(w | h) = max(a(h w) − D_n(a), 0) / a(h •) + γ(h) p_{n−1}(w | h'),
 *         γ(h) = (D1 N1(h •) + D2 N2(h •) + D3+ N3+(h •)) / a(h •), h' = h without its first token;
 *         a = raw counts at the highest order, adjusted (continuation) counts below it; a context
 *         never seen leaves p_{n−1} unchanged; the unigram level interpolates with 1/V, so every
 *         token has a positive probability and each distribution sums to one.
 */
import { Module } from '../nn/module.js';
import { ConfigError, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { LanguageModel } from '../models/model.js';
import type { NgramConfig } from './config.js';
import { discountFor, type Discounts } from './discount.js';

/** One order of the trie as the model reads it. */
export interface NgramLevel {
  /** (P+1) children ranges per prefix id (orders ≥ 2; null for order 1). */
  childStart: Uint32Array | null;
  /** (G) last token of each n-gram (orders ≥ 2). */
  words: Uint16Array | Uint32Array | null;
  /** (G) the counts the estimator uses (kn: adjusted below the highest order); order 1: (V). */
  counts: Uint32Array;
}

export interface NgramModelInit {
  config: NgramConfig;
  /** levels[n − 1] holds order n. */
  levels: NgramLevel[];
  /** Kneser-Ney discounts per order (kn only). */
  discounts: Discounts[] | null;
  /** Training tokens and documents counted. */
  tokens: number;
  documents: number;
}

/** Per-context sums of a level's counts (orders ≥ 2), and Kneser-Ney backoff weights. */
interface ContextStats {
  /** (P) total count of each context's continuations. */
  total: Float64Array;
  /** (P) γ(h), kn only. */
  gamma: Float64Array | null;
}

export class NgramModel extends Module implements LanguageModel {
  readonly typeName: string = 'NgramModel';
  readonly config: NgramConfig;
  readonly order: number;
  readonly vocabSize: number;
  readonly contextSize: number;
  readonly levels: readonly NgramLevel[];
  readonly discounts: readonly Discounts[] | null;
  readonly tokens: number;
  readonly documents: number;
  /** stats[n − 1] for order n ≥ 2 (index 0 unused). */
  private readonly stats: (ContextStats | null)[];
  /** (V) the unigram-level distribution. */
  private readonly unigram: Float64Array;
  private readonly scratch: Int32Array;
  // The same data flattened for the evaluation loop, index k for order k + 1 (index 0 unused):
  private readonly starts: Uint32Array[];
  private readonly wordsAt: (Uint16Array | Uint32Array)[];
  private readonly countsAt: Uint32Array[];
  private readonly totals: Float64Array[];
  private readonly gammas: Float64Array[];
  /** (3(N+1)) D1, D2, D3+ of order k + 1 at 3k (kn). */
  private readonly disc: Float64Array;

  constructor(init: NgramModelInit) {
    super();
    const c = init.config;
    this.config = c;
    this.order = c.order;
    this.vocabSize = c.vocabSize;
    this.contextSize = Math.max(1, c.order - 1);
    this.levels = init.levels;
    this.discounts = init.discounts;
    this.tokens = init.tokens;
    this.documents = init.documents;
    this.scratch = new Int32Array(c.order + 1);
    if (init.levels.length !== c.order) throw new ConfigError(`an order-${c.order} model needs ${c.order} levels, got ${init.levels.length}`);
    if (init.levels[0]!.counts.length !== c.vocabSize) {
      throw new ShapeError(`unigram counts have ${init.levels[0]!.counts.length} entries for a vocabulary of ${c.vocabSize}`);
    }
    if (c.smoothing === 'kn' && init.discounts?.length !== c.order) throw new ConfigError(`Kneser-Ney needs discounts for each of the ${c.order} orders`);
    this.stats = init.levels.map((lv, i) => (i === 0 ? null : this.contextStats(lv, i + 1)));
    this.unigram = this.unigramDistribution();
    const none = new Float64Array(0);
    this.starts = init.levels.map((lv) => lv.childStart ?? new Uint32Array(0));
    this.wordsAt = init.levels.map((lv) => lv.words ?? new Uint32Array(0));
    this.countsAt = init.levels.map((lv) => lv.counts);
    this.totals = this.stats.map((st) => st?.total ?? none);
    this.gammas = this.stats.map((st) => st?.gamma ?? none);
    this.disc = new Float64Array(3 * (c.order + 1));
    init.discounts?.forEach((d, k) => this.disc.set(d.d, 3 * k));
    this.eval();
  }

  private contextStats(lv: NgramLevel, n: number): ContextStats {
    const start = lv.childStart!;
    const P = start.length - 1;
    const total = new Float64Array(P);
    const gamma = this.config.smoothing === 'kn' ? new Float64Array(P) : null;
    const d = this.discounts?.[n - 1]?.d;
    const counts = lv.counts;
    for (let p = 0; p < P; p++) {
      let sum = 0;
      let mass = 0;
      for (let j = start[p]!; j < start[p + 1]!; j++) {
        const x = counts[j]!;
        sum += x;
        if (d) mass += discountFor(d, x);
      }
      total[p] = sum;
      if (gamma && sum > 0) gamma[p] = mass / sum;
    }
    return { total, gamma };
  }

  private unigramDistribution(): Float64Array {
    const V = this.vocabSize;
    const c1 = this.levels[0]!.counts;
    let total = 0;
    for (let w = 0; w < V; w++) total += c1[w]!;
    if (total === 0) throw new ConfigError('the n-gram model was counted from no tokens', 'train on a split with documents of two tokens or more');
    const p = new Float64Array(V);
    const s = this.config.smoothing;
    if (s === 'mle') for (let w = 0; w < V; w++) p[w] = c1[w]! / total;
    else if (s === 'addk') for (let w = 0; w < V; w++) p[w] = (c1[w]! + this.config.k) / (total + this.config.k * V);
    else {
      const d = this.discounts![0]!.d;
      let mass = 0;
      for (let w = 0; w < V; w++) if (c1[w]! > 0) mass += discountFor(d, c1[w]!);
      const uniform = mass / total / V;
      for (let w = 0; w < V; w++) p[w] = (c1[w]! > 0 ? (c1[w]! - discountFor(d, c1[w]!)) / total : 0) + uniform;
    }
    return p;
  }

  /** Id at order n (≥ 2) of the n-gram (prefix id p at order n − 1, token w), or −1. */
  find(n: number, p: number, w: number): number {
    const lv = this.levels[n - 1]!;
    const words = lv.words!;
    let lo = lv.childStart![p]!;
    let hi = lv.childStart![p + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = words[mid]!;
      if (x < w) lo = mid + 1;
      else if (x > w) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Starts a rolling context at a document's first token. state (N+1): state[k] is the id at order
   * k of the k-gram ending at the latest token, −1 when there is none (index 0 unused).
   */
  resetState(state: Int32Array, first: number): void {
    state.fill(-1);
    state[1] = first;
  }

  /** A fresh rolling state (see resetState). */
  newState(first: number): Int32Array {
    const s = new Int32Array(this.order + 1);
    this.resetState(s, first);
    return s;
  }

  /**
   * p(w | the context in `state`), then moves `state` past w: the evaluation loop, one binary search
   * per order and token. Contexts are the ones resetState started, so they never cross documents.
   */
  advance(state: Int32Array, w: number): number {
    const N = this.order;
    const js = this.scratch; // js[k]: id at order k+1 of (context of length k, w), or −1
    const kn = this.config.smoothing === 'kn';
    const disc = this.disc;
    let p = this.unigram[w]!;
    let L = 0; // longest context length seen in training as a context
    for (let k = 1; k < N; k++) {
      const u = state[k]!;
      if (u < 0) break;
      const tot = this.totals[k]![u]!;
      if (tot === 0) break;
      const start = this.starts[k]!;
      const words = this.wordsAt[k]!;
      let lo = start[u]!;
      let hi = start[u + 1]! - 1;
      let j = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const x = words[mid]!;
        if (x < w) lo = mid + 1;
        else if (x > w) hi = mid - 1;
        else {
          j = mid;
          break;
        }
      }
      js[k] = j;
      L = k;
      if (kn) {
        const c = j >= 0 ? this.countsAt[k]![j]! : 0;
        const d = c >= 3 ? disc[3 * k + 2]! : c === 2 ? disc[3 * k + 1]! : disc[3 * k]!;
        p = (c > 0 ? (c - d) / tot : 0) + this.gammas[k]![u]! * p;
      }
    }
    if (!kn) p = this.probAt(state, js, L, w);
    for (let k = N; k >= 2; k--) state[k] = k - 1 <= L ? js[k - 1]! : -1;
    state[1] = w;
    return p;
  }

  private probAt(ctx: Int32Array, js: Int32Array, L: number, w: number): number {
    const s = this.config.smoothing;
    if (s === 'kn') {
      let p = this.unigram[w]!;
      for (let k = 1; k <= L; k++) {
        const st = this.stats[k]!;
        const u = ctx[k]!;
        const j = js[k]!;
        const c = j >= 0 ? this.levels[k]!.counts[j]! : 0;
        p = (c > 0 ? (c - discountFor(this.discounts![k]!.d, c)) / st.total[u]! : 0) + st.gamma![u]! * p;
      }
      return p;
    }
    if (L === 0) return this.unigram[w]!;
    const j = js[L]!;
    const c = j >= 0 ? this.levels[L]!.counts[j]! : 0;
    const total = this.stats[L]!.total[ctx[L]!]!;
    return s === 'mle' ? c / total : (c + this.config.k) / (total + this.config.k * this.vocabSize);
  }

  /** ids[k] = id at order k of the context's last k tokens (−1: unseen), k = 1..min(N−1, length). */
  private contextIds(context: ArrayLike<number>): { ids: Int32Array; length: number } {
    const V = this.vocabSize;
    const len = context.length;
    const L = Math.min(this.order - 1, len);
    const ids = new Int32Array(this.order + 1).fill(-1);
    for (let i = len - L; i < len; i++) {
      const id = context[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new ConfigError(`context token ${id} is outside the model's vocabulary of ${V}`);
    }
    for (let k = 1; k <= L; k++) {
      let u = context[len - k]!;
      for (let j = 2; j <= k && u >= 0; j++) u = this.find(j, u, context[len - k + j - 1]!);
      ids[k] = u;
      if (u < 0) break; // a longer suffix contains this one: unseen too
    }
    return { ids, length: L };
  }

  /** Longest context length whose suffix was seen as a context (has continuations). */
  private seenLength(ids: Int32Array, L: number): number {
    let seen = 0;
    for (let k = 1; k <= L; k++) {
      const u = ids[k]!;
      if (u < 0 || this.stats[k]!.total[u]! === 0) break;
      seen = k;
    }
    return seen;
  }

  /** p(w | context): the context is the tokens before w (only the last N − 1 matter). */
  prob(context: ArrayLike<number>, w: number): number {
    if (!(Number.isInteger(w) && w >= 0 && w < this.vocabSize)) throw new ConfigError(`token ${w} is outside the model's vocabulary of ${this.vocabSize}`);
    const { ids, length } = this.contextIds(context);
    const L = this.seenLength(ids, length);
    const js = new Int32Array(this.order + 1);
    for (let k = 1; k <= L; k++) js[k] = this.find(k + 1, ids[k]!, w);
    return this.probAt(ids, js, L, w);
  }

  /** ln p(w | context); −Infinity for an unseen pair under mle. */
  logProb(context: ArrayLike<number>, w: number): number {
    return Math.log(this.prob(context, w));
  }

  /** The whole next-token distribution (V) after `context`; it sums to one. */
  nextDistribution(context: ArrayLike<number>): Float32Array {
    const V = this.vocabSize;
    const { ids, length } = this.contextIds(context);
    const L = this.seenLength(ids, length);
    const s = this.config.smoothing;
    const p = new Float64Array(V);
    if (s === 'kn' || L === 0) p.set(this.unigram);
    if (s === 'kn') {
      for (let k = 1; k <= L; k++) {
        const u = ids[k]!;
        const st = this.stats[k]!;
        const g = st.gamma![u]!;
        const tot = st.total[u]!;
        for (let w = 0; w < V; w++) p[w]! *= g;
        this.forChildren(k + 1, u, (w, c) => { p[w]! += (c - discountFor(this.discounts![k]!.d, c)) / tot; });
      }
    } else if (L > 0) {
      const tot = this.stats[L]!.total[ids[L]!]!;
      const k = s === 'addk' ? this.config.k : 0;
      p.fill(k / (tot + k * V));
      this.forChildren(L + 1, ids[L]!, (w, c) => { p[w] = (c + k) / (tot + k * V); });
    }
    return Float32Array.from(p);
  }

  private forChildren(n: number, u: number, f: (w: number, c: number) => void): void {
    const lv = this.levels[n - 1]!;
    for (let j = lv.childStart![u]!; j < lv.childStart![u + 1]!; j++) f(lv.words![j]!, lv.counts[j]!);
  }

  /**
   * ids (B,T) → (B,T,V) log-probabilities of the next token at each position, from the previous
   * up to N − 1 tokens of the same row (a row starts a document). The mask is not needed: a
   * position's context lies before it. Evaluation over a whole split uses evaluateNgram instead.
   */
  forward(ids: Tensor, _mask?: Tensor | null): Tensor {
    if (ids.ndim !== 2) throw new ShapeError(`NgramModel.forward takes ids (B,T), got shape [${ids.shape.join(', ')}]`);
    const [B, T] = ids.shape as [number, number];
    const V = this.vocabSize;
    const out = new Float32Array(B * T * V); // (B,T,V)
    const x = ids.data;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const from = Math.max(0, t - this.order + 2);
        const p = this.nextDistribution(x.subarray(b * T + from, b * T + t + 1));
        const row = out.subarray((b * T + t) * V, (b * T + t + 1) * V);
        for (let w = 0; w < V; w++) row[w] = Math.log(p[w]!);
      }
    }
    return new Tensor(out, [B, T, V]);
  }

  /** Distinct n-grams stored per order (order 1: tokens seen as targets). */
  ngramCounts(): number[] {
    return this.levels.map((lv, i) => (i === 0 ? lv.counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0) : lv.counts.length));
  }

  override summary(): string {
    const c = this.config;
    const est = c.smoothing === 'kn' ? 'interpolated modified Kneser-Ney' : c.smoothing === 'addk' ? `add-k (k = ${c.k})` : 'maximum likelihood';
    const lines = [`NgramModel(order ${c.order}, ${est}, vocabulary ${c.vocabSize.toLocaleString('en-US')})`];
    this.ngramCounts().forEach((g, i) => {
      const d = this.discounts?.[i];
      lines.push(`  ${i + 1}-grams: ${g.toLocaleString('en-US')}${d ? `, discounts ${d.d.map((x) => x.toFixed(3)).join(' ')} (${d.method})` : ''}`);
    });
    lines.push(`counted from ${this.tokens.toLocaleString('en-US')} tokens in ${this.documents.toLocaleString('en-US')} documents; no trainable parameters`);
    return lines.join('\n');
  }
}
