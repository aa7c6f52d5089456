/**
 * The BPE merge loop shared by the WordPiece and byte-level BPE trainers, as the Rust
 * `BpeTrainer` runs it: count adjacent symbol pairs over all words (weighted by word count),
 * repeatedly merge the most frequent pair (ties: the pair with smaller ids first) into a new
 * symbol, until the vocabulary is full or the best pair is rarer than `minFrequency`.
 * Data structures: pair → count, pair → words holding it (appended, deduplicated on use), and a
 * max-heap of (count, pair) with lazy deletion; each merge touches only the words holding it.
 */

/** A pair of symbol ids (both < 2^21) as one exact number key. */
const pairKey = (a: number, b: number): number => a * 2097152 + b;
const pairFirst = (key: number): number => Math.floor(key / 2097152);
const pairSecond = (key: number): number => key % 2097152;

export interface MergeInput {
  /** Symbols so far, id → string; merged symbols are appended. */
  vocab: string[];
  /** Each distinct word as symbol ids (a word of length 1 never merges). */
  words: Int32Array[];
  /** How often each word occurs, same order. */
  counts: number[];
  /** Stop when the vocabulary reaches this size. */
  vocabSize: number;
  /** Stop when the best pair occurs fewer times than this. */
  minFrequency: number;
  /** The string of a merged symbol (WordPiece drops the `##` of the right part). */
  joinSymbols(left: string, right: string): string;
}

/** Max-heap on count, then min on pair key; entries may be stale (checked on pop). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i] as number;
    const cj = this.counts[j] as number;
    return ci > cj || (ci === cj && (this.keys[i] as number) < (this.keys[j] as number));
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j] as number, this.counts[i] as number];
    [this.keys[i], this.keys[j]] = [this.keys[j] as number, this.keys[i] as number];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top entry and returns [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0] as number, this.keys[0] as number];
    const lastCount = this.counts.pop() as number;
    const lastKey = this.keys.pop() as number;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.before(l, best)) best = l;
        if (r < this.keys.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Runs the merges; returns them in order as [left, right] strings and grows `input.vocab`. */
export function learnMerges(input: MergeInput): Array<[string, string]> {
  const { vocab, words, counts } = input;
  const ids = new Map<string, number>(vocab.map((s, i) => [s, i]));
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const key = pairKey(w[i] as number, w[i + 1] as number);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + (counts[wi] as number));
      const list = pairWords.get(key);
      if (list === undefined) pairWords.set(key, [wi]);
      else if (list[list.length - 1] !== wi) list.push(wi);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const merges: Array<[string, string]> = [];
  const seen = new Int32Array(words.length).fill(-1); // word → last merge that rewrote it
  const delta = new Map<number, number>();
  while (vocab.length < input.vocabSize && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCounts.get(key) ?? 0;
    if (count !== current) {
      if (current > 0) heap.push(current, key); // stale entry: requeue at its true count
      continue;
    }
    if (count < input.minFrequency || count === 0) break;
    const a = pairFirst(key);
    const b = pairSecond(key);
    const left = vocab[a] as string;
    const right = vocab[b] as string;
    const joined = input.joinSymbols(left, right);
    let newId = ids.get(joined);
    if (newId === undefined) {
      newId = vocab.length;
      vocab.push(joined);
      ids.set(joined, newId);
    }
    merges.push([left, right]);

    delta.clear();
    const touched = new Map<number, number[]>(); // pair → words that gained it (pairs with newId)
    for (const wi of pairWords.get(key) ?? []) {
      if (seen[wi] === merges.length) continue;
      seen[wi] = merges.length;
      const w = words[wi] as Int32Array;
      const n = counts[wi] as number;
      const out: number[] = [];
      let changed = false;
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          out.push(newId);
          i++;
          changed = true;
        } else {
          out.push(w[i] as number);
        }
      }
      if (!changed) continue; // a stale listing: the word lost this pair to an earlier merge
      for (let i = 0; i + 1 < w.length; i++) {
        const k = pairKey(w[i] as number, w[i + 1] as number);
        delta.set(k, (delta.get(k) ?? 0) - n);
      }
      for (let i = 0; i + 1 < out.length; i++) {
        const k = pairKey(out[i] as number, out[i + 1] as number);
        delta.set(k, (delta.get(k) ?? 0) + n);
        if (out[i] !== newId && out[i + 1] !== newId) continue; // was adjacent before too
        const gained = touched.get(k);
        if (gained === undefined) touched.set(k, [wi]);
        else if (gained[gained.length - 1] !== wi) gained.push(wi);
      }
      words[wi] = Int32Array.from(out);
    }
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const c = (pairCounts.get(k) ?? 0) + d;
      if (c > 0) pairCounts.set(k, c);
      else pairCounts.delete(k);
      if (d > 0) heap.push(c, k);
    }
    for (const [k, gained] of touched) {
      const list = pairWords.get(k);
      if (list === undefined) pairWords.set(k, gained);
      else for (const wi of gained) list.push(wi);
    }
    pairCounts.delete(key);
    pairWords.delete(key);
  }
  return merges;
}
