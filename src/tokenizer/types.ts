/**
 * The Tokenizer contract the rest of slmkit relies on: text → ids (with the model's special
 * tokens and truncation), ids → text, vocabulary look-ups, the special ids batching and sampling
 * need, and `toJSON()` giving a standard Hugging Face `tokenizer.json`, so a tokenizer trained
 * or built here loads unchanged in `tokenizers` (Rust/Python) and transformers.
 */
import type { TokenizerJson } from './tokenizerJson.js';

/** Options for `Tokenizer.encode`. */
export interface EncodeOptions {
  /** Add the post-processor's special tokens ([CLS] … [SEP] for BERT). Default true. */
  addSpecialTokens?: boolean;
  /**
   * Longest output, special tokens included (default 512, the notebook's limit). Longer texts
   * lose tokens from the end of the text, never the special tokens: BERT output still ends in
   * [SEP]. `Infinity` turns truncation off.
   */
  maxLength?: number;
}

/** Options for `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Drop special tokens ([CLS], [SEP], [PAD], [UNK], [MASK] for BERT). Default true. */
  skipSpecialTokens?: boolean;
}

/** The result of `Tokenizer.encode`: ids and their token strings, position for position. */
export interface Encoding {
  /** Token ids, length T ≤ maxLength. */
  ids: number[];
  /** The vocabulary entry of each id, length T. */
  tokens: string[];
  /** Tokens cut off by truncation (0 when the text fit). */
  dropped?: number;
}

export interface Tokenizer {
  /** Size an embedding table needs: the largest id plus one (added tokens included). */
  readonly vocabSize: number;
  /** Special ids, or undefined where this tokenizer has no such token. */
  readonly padId: number | undefined;
  readonly unkId: number | undefined;
  readonly clsId: number | undefined;
  readonly sepId: number | undefined;
  readonly maskId: number | undefined;
  /**
   * The token `encode` puts before / after the text when it adds exactly one there ([CLS] / [SEP]
   * for BERT, <s> / </s> for slmkit's BPE and character tokenizers), else one named like
   * <s> / </s> / <|endoftext|>. Generation strips and stops at `eosId`.
   */
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** Every id that `decode` drops when `skipSpecialTokens` is on. */
  readonly specialIds: ReadonlySet<number>;

  encode(text: string, options?: EncodeOptions): Encoding;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** A standard Hugging Face tokenizer.json object (a fresh copy each call). */
  toJSON(): TokenizerJson;
}
