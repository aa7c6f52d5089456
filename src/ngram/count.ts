/**
 * Counting n-grams of a token store split into a trie of sorted typed arrays, one level per order,
 * with memory proportional to the distinct n-grams (never V^N) and no hash map at all.
 *
 * An n-gram of order n is named by (id of its (n−1)-token prefix at level n−1, last token); level 1
 * is dense (the id of a token is the token). Level n lists its n-grams sorted by (prefix id, last
 * token), so an n-gram's id is its index, the children of a prefix are one contiguous range
 * (`childStart`), and looking one up is a binary search inside that range — the layout of KenLM's
 * and SRILM's tries.
 *
 * How: every position is a record carrying the N − 1 tokens after it and the one before it.
 * Level 1 groups the records by token (one counting sort, the only pass that reads the token
 * array at random). Level n takes each (n−1)-gram's records in id order, keeps those followed by
 * a target, and sorts them by that token inside the group: runs of one token are the n-grams, in
 * trie order already. So each order is one sequential pass with small local sorts.
 *
 * Document boundaries: position t of a document (t = 0 is [CLS]) is a target when t ≥ 1, and its
 * n-gram of order n exists when t ≥ n − 1, so contexts never cross documents and the first token
 * after [CLS] is predicted from [CLS], as in the neural models' masked loss.
 *
 * Kneser-Ney's adjusted counts (KenLM's): the highest order keeps raw counts; a lower-order n-gram
 * counts its distinct left extensions (the distinct tokens before its occurrences: continuation
 * count), plus its raw occurrences at a document start, which nothing can extend to the left
 * (KenLM's rule for n-grams that begin with <s>).
 */
import { ConfigError } from '../tensor/errors.js';
import type { TokenSplit } from '../data/split.js';

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

type Tokens = Uint16Array | Uint32Array;

/** A level's occurrences, grouped by n-gram id (records m of n-gram g: start[g] ≤ m < start[g+1]). */
interface Records {
  /** (M·S) the S tokens after each occurrence's first token; NONE past its document's end. */
  next: Tokens;
  /** (M) the token before each occurrence; NONE at a document start. */
  prev: Tokens;
  /** (G+1) */
  start: Uint32Array;
}

/** Counts every n-gram of order 1..N of `split`. */
export function countNgrams(split: TokenSplit, order: number, o: CountOptions = {}): NgramCounts {
  const V = split.vocabSize;
  if (!(Number.isInteger(order) && order >= 1)) throw new ConfigError(`n-gram order must be a positive integer, got ${order}`);
  if (!(V >= 1 && V < 0xffffffff)) throw new ConfigError(`cannot count over a vocabulary of ${V} tokens`);
  const S = Math.max(1, order - 1);
  const first = groupByToken(split, S, !!o.adjusted && order > 1);
  const levels: CountLevel[] = [{ childStart: null, words: null, counts: first.counts, adjusted: first.adjusted }];
  const sorter = new GroupSorter(first.maxGroup, V);
  const stamp = new Int32Array(V); // (V) which n-gram last saw each previous token (distinct counting)
  // Scratch reused from order to order (fresh pages cost as much as the counting): records are
  // written alternately into the first level's buffers and a second set.
  const T = split.ids.length;
  const r1 = first.records;
  const spare: Records = order > 2 // order 2 is the last when N = 2: it writes no records
    ? { next: emptyLike(r1.next, r1.next.length), prev: emptyLike(r1.prev, T), start: new Uint32Array(T + 1) }
    : { next: r1.next.subarray(0, 0), prev: r1.prev.subarray(0, 0), start: new Uint32Array(T + 1) };
  const buffers = [{ next: r1.next, prev: r1.prev, start: first.startBuffer }, spare];
  const scratch = { words: new Uint32Array(T), adjusted: o.adjusted ? new Uint32Array(T) : null };
  let prev = first.records;
  for (let n = 2; n <= order; n++) {
    const out = buffers[(n + 1) % 2]!; // order 2 writes the spare set; order 1's records are its input
    const r = extendLevel(prev, n, S, V, sorter, o.adjusted && n < order ? stamp : null, n < order, out, scratch);
    levels.push(r.level);
    prev = r.records;
  }
  return { order, vocabSize: V, levels, tokens: first.targets, documents: split.offsets.length - 1 };
}

/** A zeroed array of the same element type. */
function emptyLike(a: Tokens, length: number): Tokens {
  return a instanceof Uint16Array ? new Uint16Array(length) : new Uint32Array(length);
}

/**
 * Level 1: target counts per token, the continuation counts (distinct previous tokens of its
 * occurrences as a target), and a record for every position, grouped by token.
 */
function groupByToken(split: TokenSplit, S: number, adjusted: boolean) {
  const { ids, offsets, vocabSize: V } = split;
  const T = ids.length;
  const NONE = V < 0xffff ? 0xffff : 0xffffffff;
  const make = (n: number): Tokens => (NONE === 0xffff ? new Uint16Array(n) : new Uint32Array(n));
  // tok (T+S): the token at t when t is a target (not its document's first position), else NONE.
  const tok = make(T + S).fill(NONE);
  for (let d = 0; d + 1 < offsets.length; d++) {
    for (let t = offsets[d]! + 1; t < offsets[d + 1]!; t++) tok[t] = ids[t]!;
  }
  const counts = new Uint32Array(V);
  const startBuffer = new Uint32Array(Math.max(V, T) + 1); // (V+1) used here; reused by later levels
  const start = startBuffer.subarray(0, V + 1);
  let targets = 0;
  for (let t = 0; t < T; t++) {
    const w = ids[t]!;
    if (w >= V) throw new ConfigError(`token id ${w} at position ${t} is outside the vocabulary of ${V}`, 'the store and its tokenizer disagree');
    start[w + 1]!++;
    if (tok[t]! !== NONE) {
      counts[w]!++;
      targets++;
    }
  }
  let maxGroup = 0;
  for (let w = 0; w < V; w++) {
    maxGroup = Math.max(maxGroup, start[w + 1]!);
    start[w + 1]! += start[w]!;
  }
  const next = make(T * S);
  const prev = make(T);
  const at = start.slice(0, V);
  for (let t = 0; t < T; t++) {
    const j = at[ids[t]!]!++;
    for (let k = 0; k < S; k++) next[j * S + k] = tok[t + 1 + k]!;
    prev[j] = tok[t]! === NONE ? NONE : ids[t - 1]!;
  }
  let adj: Uint32Array | null = null;
  if (adjusted) {
    adj = new Uint32Array(V);
    const stamp = new Int32Array(V).fill(-1);
    for (let w = 0; w < V; w++) {
      for (let j = start[w]!; j < start[w + 1]!; j++) {
        const x = prev[j]!;
        if (x !== NONE && stamp[x] !== w) {
          stamp[x] = w;
          adj[w]!++;
        }
      }
    }
  }
  return { counts, adjusted: adj, targets, maxGroup, startBuffer, records: { next, prev, start } as Records };
}

/**
 * Order n from order n − 1: the children of prefix p are its occurrences followed by a target,
 * sorted by that token; runs of one token are the distinct n-grams. With `stamp`, also the
 * n-grams' adjusted counts: distinct previous tokens, plus occurrences at a document start.
 * `keep`: build this level's records (not needed for the highest order).
 */
function extendLevel(prev: Records, n: number, S: number, V: number, sorter: GroupSorter, stamp: Int32Array | null, keep: boolean,
  out: Records, scratch: { words: Uint32Array; adjusted: Uint32Array | null }) {
  const P = prev.start.length - 1;
  const NONE = V < 0xffff ? 0xffff : 0xffffffff;
  const { next: inNext, prev: inPrev, start: inStart } = prev;
  const { next, prev: before, start: typeStart } = out;
  const words = scratch.words;
  const childStart = new Uint32Array(P + 1);
  const adj = stamp ? scratch.adjusted!.fill(0) : null;
  const gw = sorter.words;
  const gi = sorter.positions;
  const col = n - 2; // index in `next` of the n-gram's last token
  let m = 0;
  let G = 0;
  for (let p = 0; p < P; p++) {
    childStart[p] = G;
    let k = 0;
    for (let i = inStart[p]!; i < inStart[p + 1]!; i++) {
      const w = inNext[i * S + col]!;
      if (w !== NONE) {
        gw[k] = w;
        gi[k++] = i;
      }
    }
    if (k === 0) continue;
    sorter.sort(k);
    let lastW = -1;
    for (let j = 0; j < k; j++) {
      const w = gw[j]!;
      const i = gi[j]!;
      if (w !== lastW) {
        words[G] = w;
        typeStart[G] = m;
        G++;
        lastW = w;
      }
      if (adj) {
        const x = inPrev[i]!;
        if (x === NONE) adj[G - 1]!++; // at a document start: counts as it is
        else if (stamp![x] !== G) {
          stamp![x] = G;
          adj[G - 1]!++;
        }
      }
      if (keep) {
        for (let c = col + 1; c < S; c++) next[m * S + c] = inNext[i * S + c]!;
        before[m] = inPrev[i]!;
      }
      m++;
    }
  }
  childStart[P] = G;
  typeStart[G] = m;
  if (stamp) stamp.fill(0); // stamps are this level's n-gram numbers: clear them for the next level
  const counts = new Uint32Array(G);
  for (let g = 0; g < G; g++) counts[g] = typeStart[g + 1]! - typeStart[g]!;
  const level: CountLevel = {
    childStart, words: V <= 65536 ? Uint16Array.from(words.subarray(0, G)) : words.slice(0, G), counts, adjusted: adj ? adj.slice(0, G) : null,
  };
  const records: Records = { next: next.subarray(0, keep ? m * S : 0), prev: before.subarray(0, keep ? m : 0), start: typeStart.subarray(0, G + 1) };
  return { level, records };
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

  constructor(maxGroup: number, readonly vocabSize: number) {
    const V = vocabSize;
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
