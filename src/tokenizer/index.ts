/** The tokenizer module's public surface: re-exports only (browser-safe; file loading is in io/). */
export type { Tokenizer, Encoding, EncodeOptions, DecodeOptions } from './types.js';
export { HfTokenizer, tokenizerFromJson, defaultMaxLength, type HfTokenizerOptions, type SpecialRole } from './hfTokenizer.js';
export { tokenizerFromVocabTxt, bertTokenizerJson, parseVocabTxt, requiredBertTokens, type BertVocabOptions } from './bertVocab.js';
export { normalizeBert, type BertNormalizerOptions } from './normalizers.js';
export { parseTokenizerJson, type TokenizerJson, type AddedTokenJson, type JsonObject, type JsonValue } from './tokenizerJson.js';
