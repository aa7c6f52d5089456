/**
 * Character-level "trainer": the vocabulary is the special tokens plus every character (code
 * point) of the corpus, or the most frequent ones when a size is given; rarer characters encode
 * as <unk>. Written as a standard tokenizer.json — a BPE model with no merges and no
 * pre-tokenizer (so spaces and newlines are tokens too) and a Fuse decoder — so Hugging Face
 * loads it as is. Encode wraps text as `<s> … </s>`.
 */
import { ConfigError } from '../../tensor/errors.js';
import { HfTokenizer } from '../hfTokenizer.js';
import { lowercaseByChar } from '../normalizers.js';
import { makeAddedToken, type JsonObject, type TokenizerJson } from '../tokenizerJson.js';
import { bosEosTemplate } from './byteLevelBpe.js';
import { pickAlphabet } from './wordPiece.js';
import type { TextSource } from './words.js';

export interface CharLevelTrainOptions {
  /** Largest vocabulary, special tokens included; default: every character seen. */
  vocabSize?: number;
  /** Characters seen fewer times than this become <unk>. Default 1. */
  minFrequency?: number;
  /** Lowercase text (a Lowercase normalizer) before counting and encoding. Default false. */
  lowercase?: boolean;
  /** Placed first, in this order. Default <pad> <unk> <s> </s>; <unk> is required. */
  specialTokens?: string[];
}

/** Builds a character-level tokenizer from the characters of `texts`. */
export async function trainCharLevel(texts: TextSource, options: CharLevelTrainOptions = {}): Promise<HfTokenizer> {
  const specials = options.specialTokens ?? ['<pad>', '<unk>', '<s>', '</s>'];
  const minFrequency = options.minFrequency ?? 1;
  const vocabSize = options.vocabSize ?? Infinity;
  if (!specials.includes('<unk>')) {
    throw new ConfigError(`specialTokens ${JSON.stringify(specials)} lack <unk>`, 'characters outside the vocabulary need it');
  }
  if (vocabSize !== Infinity && (!Number.isInteger(vocabSize) || vocabSize <= specials.length)) {
    throw new ConfigError(`vocabSize ${vocabSize} is invalid`, `use an integer above the ${specials.length} special tokens`);
  }
  const counts = new Map<string, number>();
  for await (const raw of texts) {
    const text = options.lowercase ? lowercaseByChar(raw) : raw;
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  for (const [c, n] of counts) if (n < minFrequency || specials.includes(c)) counts.delete(c);
  const alphabet = pickAlphabet(counts, vocabSize - specials.length);
  const vocab = [...specials, ...alphabet];
  const modelVocab: JsonObject = Object.fromEntries(vocab.map((s, i) => [s, i])); // safe for "__proto__"
  const json: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => makeAddedToken(i, s)),
    normalizer: options.lowercase ? { type: 'Lowercase' } : null,
    pre_tokenizer: null,
    post_processor: bosEosTemplate(new Map(vocab.map((s, i) => [s, i])), '<s>', '</s>'),
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: modelVocab,
      merges: [],
    },
  };
  return new HfTokenizer(json, { source: 'character-level tokenizer' });
}
