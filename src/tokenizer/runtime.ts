/**
 * Typed access to the `@huggingface/tokenizers` runtime (v0.2.0, pure TS, browser-safe). Its
 * published .d.ts files import each other without file extensions, which NodeNext resolution
 * cannot follow, so under our tsconfig every export would be `any`. This file states the small
 * surface slmkit uses, once, and every other file imports from here.
 */
import * as hf from '@huggingface/tokenizers';

/** A normalizer, pre-tokenizer, decoder, …: the runtime makes them callable objects. */
export interface RuntimeNormalizer {
  (text: string): string;
  normalize(text: string): string;
  /** Present on a Sequence normalizer. */
  normalizers?: Array<RuntimeNormalizer | null>;
}

export interface RuntimeDecoder {
  (tokens: string[]): string;
}

/** A model (WordPiece, BPE, …): words in, vocabulary entries out. */
export interface RuntimeModel {
  (words: string[]): string[];
  encode(words: string[]): string[];
  tokens_to_ids: Map<string, number>;
  vocab: string[];
}

/** The runtime's Tokenizer, as slmkit drives it. */
export interface RuntimeTokenizer {
  model: RuntimeModel;
  /** ids[i] is undefined where a model without an unknown token met a piece it lacks. */
  encode(text: string, options: { add_special_tokens: boolean }): { ids: Array<number | undefined>; tokens: string[] };
  normalizer: RuntimeNormalizer | null;
  post_processor: object | null;
  decoder: RuntimeDecoder | null;
}

interface RuntimeModule {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => RuntimeTokenizer;
  BertNormalizer: new (config: object) => RuntimeNormalizer;
  LowercaseNormalizer: new (config: object) => RuntimeNormalizer;
  WordPiece: new (config: object) => RuntimeModel;
}

const runtime = hf as unknown as RuntimeModule;

/** The runtime's Tokenizer constructor. */
export const RuntimeTokenizerClass = runtime.Tokenizer;

/** The runtime's BertNormalizer class, for subclassing. */
export const RuntimeBertNormalizer = runtime.BertNormalizer;

/** The runtime's Lowercase normalizer class, for subclassing. */
export const RuntimeLowercaseNormalizer = runtime.LowercaseNormalizer;

/** The runtime's WordPiece model class, for subclassing. */
export const RuntimeWordPiece = runtime.WordPiece;
