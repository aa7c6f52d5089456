/**
 * A split's documents in memory, and the small reads on it that batching, evaluation and the
 * browser need. Browser-safe: the token store's file format (store.ts) fills a TokenSplit from
 * disk; a page can fill one from a fetched file or from text it tokenized itself.
 */

/** A split's documents in memory: ids of all documents and their start offsets. */
export interface TokenSplit {
  /** Token ids of all documents, concatenated. */
  readonly ids: Uint16Array | Uint32Array;
  /** (documents + 1) offsets into ids. */
  readonly offsets: Float64Array;
  readonly vocabSize: number;
  /** UTF-8 bytes of the text each document's tokens cover (absent in version 1 stores). */
  readonly textBytes?: Uint32Array;
  /** Unicode characters of that text (absent in version 1 stores). */
  readonly textChars?: Uint32Array;
}

export function numDocuments(s: TokenSplit): number {
  return s.offsets.length - 1;
}

/** The ids of document d (a view, no copy). */
export function documentIds(s: TokenSplit, d: number): Uint16Array | Uint32Array {
  return s.ids.subarray(s.offsets[d]!, s.offsets[d + 1]!);
}

/** The first n documents of a split (views, no copy). */
export function firstDocuments(s: TokenSplit, n: number): TokenSplit {
  const k = Math.max(0, Math.min(n, numDocuments(s)));
  return {
    ids: s.ids.subarray(0, s.offsets[k]!), offsets: s.offsets.subarray(0, k + 1), vocabSize: s.vocabSize,
    ...(s.textBytes && s.textChars ? { textBytes: s.textBytes.subarray(0, k), textChars: s.textChars.subarray(0, k) } : {}),
  };
}

/** Tokens in the longest document of a split (the padded batch length to plan memory for). */
export function longestDocument(s: TokenSplit): number {
  let T = 0;
  for (let d = 0; d + 1 < s.offsets.length; d++) T = Math.max(T, s.offsets[d + 1]! - s.offsets[d]!);
  return T;
}
