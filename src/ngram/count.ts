/**
 * Counting n-grams of a token store split into a trie of sorted typed arrays, one level per order,
 * with memory proportional to the distinct n-grams (never V^N) and no hash map at all.
 *
 * An n-gram of order n is named by (id of its (n−1)-token prefix at level n−1, last token); level 1
 * is dense (the id of a token is the token). Level n lists its n-grams sorted by (prefix id, last
 * token), so an n-gram's id is its index, the children of a prefix are one contiguous range
 * (`childStart`), and looking one up is a binary search inside that range — the layout of KenLM's
 * and SRILM's tries. Each level is built from the previous one by two counting sorts of the
 * positions (by token once, shared by all orders; then stably by prefix id), so counting is a few
 * linear passes per order.
 *
 * Document boundaries: position t of a document (t = 0 is [CLS]) is a target when t ≥ 1, and its
 * n-gram of order n exists when t ≥ n − 1, so contexts never cross documents and the first token
 * after [CLS] is predicted from [CLS], as in the neural models' masked loss.
 *
 * Kneser-Ney's adjusted counts (KenLM's): the highest order keeps raw counts; a lower-order n-gram
 * counts its distinct left extensions (continuation count), plus its raw occurrences at a document
 * start, which nothing can extend to the left (KenLM's rule for n-grams that begin with <s>).
 */
import { ConfigError } from '../tensor/errors.js';
import type { TokenSplit } from '../data/store.js';

/** One order's n-grams, sorted by (prefix id, last token); level 1 is dense over the vocabulary. */
export interface CountLevel {
  /** (P+1) for orders ≥ 2, P the previous level's size: children of prefix p are [childStart[p], childStart[p+1]). */
  childStart: Uint32Array | null;
  /** (G) last token of each n-gram (orders ≥ 2). */
  words: Uint16Array | Uint32Array | null;
  /** (G) raw counts: occurrences as a target (level 1: (V), a token's count as a target). */
  counts: Uint32Array;
  /** (G) Kneser-Ney adjusted counts for orders below N (when asked); null otherwise. */
  adjusted: Uint32Array | null;
}

export interface NgramCounts {
  order: number;
  vocabSize: number;
  /** levels[n − 1] holds order n. */
  levels: CountLevel[];
  /** Target tokens counted: every token but each document's first. */
  tokens: number;
  documents: number;
}

export interface CountOptions {
  /** Also compute Kneser-Ney adjusted counts for the orders below N. */
  adjusted?: boolean;
}

/** Number of n-grams stored at a level (level 1: V). */
export function levelSize(level: CountLevel): number {
  return level.counts.length;
}

/** Counts every n-gram of order 1..N of `split`. */
export function countNgrams(split: TokenSplit, order: number, o: CountOptions = {}): NgramCounts {
  const { ids, offsets } = split;
  const V = split.vocabSize;
  if (!(Number.isInteger(order) && order >= 1)) throw new ConfigError(`n-gram order must be a positive integer, got ${order}`);
  if (V > 2 ** 21) throw new ConfigError(`n-gram counting supports vocabularies up to 2^21 tokens, got ${V}`);
  const T = ids.length;
  const D = offsets.length - 1;
  // tok (T+1): the token at t when t is a target (not a document's first position), else −1.
  const tok = new Int32Array(T + 1).fill(-1);
  for (let d = 0; d < D; d++) {
    for (let t = offsets[d]! + 1; t < offsets[d + 1]!; t++) tok[t] = ids[t]!;
  }
  // Level 1: counts of targets; every position grouped by its token (the parents of order 2).
  const counts1 = new Uint32Array(V);
  const groupStart = new Uint32Array(V + 1); // (V+1) positions of token w are byToken[groupStart[w] .. groupStart[w+1])
  let targets = 0;
  for (let t = 0; t < T; t++) {
    const w = ids[t]!;
    if (w >= V) throw new ConfigError(`token id ${w} at position ${t} is outside the vocabulary of ${V}`, 'the store and its tokenizer disagree');
    groupStart[w + 1]!++;
    if (tok[t]! >= 0) {
      counts1[w]!++;
      targets++;
    }
  }
  for (let w = 0; w < V; w++) groupStart[w + 1]! += groupStart[w]!;
  let prevSorted = new Uint32Array(T); // positions ending an (n−1)-gram, grouped by its id
  {
    const next = groupStart.slice(0, V);
    for (let t = 0; t < T; t++) prevSorted[next[ids[t]!]!++] = t;
  }
  let prevStart = groupStart;
  // prevIdAt (T): id of the (n−1)-gram ending at t, for adjusted counts (order 1: the token).
  let prevIdAt = new Int32Array(ids);
  const levels: CountLevel[] = [{ childStart: null, words: null, counts: counts1, adjusted: null }];
  let maxGroup = 0;
  for (let w = 0; w < V; w++) maxGroup = Math.max(maxGroup, groupStart[w + 1]! - groupStart[w]!);
  const sorter = new GroupSorter(maxGroup, V);

  for (let n = 2; n <= order; n++) {
    const P = prevStart.length - 1;
    const sorted = new Uint32Array(prevSorted.length);
    const typeStart = new Uint32Array(prevSorted.length + 1);
    const words = new Uint32Array(prevSorted.length);
    const childStart = new Uint32Array(P + 1);
    const adjPrev = o.adjusted ? new Uint32Array(P) : null;
    const curIdAt = o.adjusted && n < order ? new Int32Array(T) : null;
    const gw = sorter.words;
    const gt = sorter.positions;
    let m = 0;
    let G = 0;
    // The children of prefix p are the positions right after its occurrences, sorted by token.
    for (let p = 0; p < P; p++) {
      childStart[p] = G;
      let k = 0;
      for (let i = prevStart[p]!; i < prevStart[p + 1]!; i++) {
        const t = prevSorted[i]! + 1;
        const w = tok[t]!;
        if (w >= 0) {
          gw[k] = w;
          gt[k++] = t;
        }
      }
      if (k === 0) continue;
      sorter.sort(k);
      let lastW = -1;
      for (let j = 0; j < k; j++) {
        const w = gw[j]!;
        const t = gt[j]!;
        if (w !== lastW) {
          words[G] = w;
          typeStart[G] = m;
          // A new n-gram is one more left extension of its suffix, the (n−1)-gram ending at t.
          if (adjPrev) adjPrev[prevIdAt[t]!]!++;
          G++;
          lastW = w;
        }
        sorted[m++] = t;
        if (curIdAt) curIdAt[t] = G - 1;
      }
    }
    childStart[P] = G;
    typeStart[G] = m;
    const counts = new Uint32Array(G);
    for (let g = 0; g < G; g++) counts[g] = typeStart[g + 1]! - typeStart[g]!;
    if (adjPrev) {
      // (n−1)-grams at a document start have no left extension: their raw count stands (n−1 ≥ 2).
      if (n - 1 >= 2) {
        for (let d = 0; d < D; d++) {
          const t = offsets[d]! + n - 2;
          if (t < offsets[d + 1]!) adjPrev[prevIdAt[t]!]!++;
        }
      }
      levels[n - 2]!.adjusted = adjPrev;
    }
    levels.push({ childStart, words: V <= 65536 ? Uint16Array.from(words.subarray(0, G)) : words.slice(0, G), counts, adjusted: null });
    prevSorted = sorted.subarray(0, m);
    prevStart = typeStart.subarray(0, G + 1);
    if (curIdAt) prevIdAt = curIdAt;
  }
  return { order, vocabSize: V, levels, tokens: targets, documents: D };
}

/**
 * Sorts one prefix's (token, position) pairs by token, stably: insertion sort for the many tiny
 * groups, a counting sort over the distinct tokens for the large ones.
 */
class GroupSorter {
  /** (K) tokens and positions of the group being sorted. */
  readonly words: Int32Array;
  readonly positions: Int32Array;
  private readonly outW: Int32Array;
  private readonly outT: Int32Array;
  /** (V) occurrences of each token in the group, then its write offset; zero between groups. */
  private readonly count: Uint32Array;
  private readonly distinct: Int32Array;

  constructor(maxGroup: number, V: number) {
    this.words = new Int32Array(maxGroup);
    this.positions = new Int32Array(maxGroup);
    this.outW = new Int32Array(maxGroup);
    this.outT = new Int32Array(maxGroup);
    this.count = new Uint32Array(V);
    this.distinct = new Int32Array(Math.min(maxGroup, V));
  }

  sort(k: number): void {
    const w = this.words;
    const t = this.positions;
    if (k <= 16) {
      for (let i = 1; i < k; i++) {
        const x = w[i]!;
        const y = t[i]!;
        let j = i - 1;
        while (j >= 0 && w[j]! > x) {
          w[j + 1] = w[j]!;
          t[j + 1] = t[j]!;
          j--;
        }
        w[j + 1] = x;
        t[j + 1] = y;
      }
      return;
    }
    const count = this.count;
    let d = 0;
    for (let i = 0; i < k; i++) {
      if (count[w[i]!]!++ === 0) this.distinct[d++] = w[i]!;
    }
    const distinct = this.distinct.subarray(0, d).sort();
    let at = 0;
    for (let i = 0; i < d; i++) {
      const c = count[distinct[i]!]!;
      count[distinct[i]!] = at;
      at += c;
    }
    const ow = this.outW;
    const ot = this.outT;
    for (let i = 0; i < k; i++) {
      const j = count[w[i]!]!++;
      ow[j] = w[i]!;
      ot[j] = t[i]!;
    }
    w.set(ow.subarray(0, k));
    t.set(ot.subarray(0, k));
    for (let i = 0; i < d; i++) count[distinct[i]!] = 0;
  }
}
