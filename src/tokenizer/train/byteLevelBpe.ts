/**
 * Byte-level BPE trainer (GPT-2 / RoBERTa style, as Hugging Face's ByteLevelBPETokenizer): the
 * text is split with GPT-2's pattern, each piece becomes its UTF-8 bytes written as printable
 * characters, all 256 byte symbols start the vocabulary, and BPE merges are learned from there.
 * Every string encodes without an unknown token and decodes back exactly. Special tokens
 * (default <pad> <s> </s>) come first; encode wraps text as `<s> … </s>`.
 */
import { ConfigError } from '../../tensor/errors.js';
import { HfTokenizer } from '../hfTokenizer.js';
import { makeAddedToken, type JsonObject, type TokenizerJson } from '../tokenizerJson.js';
import { learnMerges } from './bpeMerges.js';
import { byteLevelSplitter, bytesToChars, countWords, type TextSource } from './words.js';

export interface ByteLevelBpeTrainOptions {
  /** Size of the vocabulary wanted: special tokens + 256 bytes + merges. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Placed first, in this order. Default <pad> <s> </s>; <s> and </s> wrap each encoded text. */
  specialTokens?: string[];
}

/** The template `bos $A eos` when both exist among the special tokens, else no post-processor. */
export function bosEosTemplate(ids: Map<string, number>, bos: string, eos: string): JsonObject | null {
  const bosId = ids.get(bos);
  const eosId = ids.get(eos);
  if (bosId === undefined || eosId === undefined) return null;
  const special = (id: string, typeId: number): JsonObject => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: string, typeId: number): JsonObject => ({ Sequence: { id, type_id: typeId } });
  return {
    type: 'TemplateProcessing',
    single: [special(bos, 0), sequence('A', 0), special(eos, 0)],
    pair: [special(bos, 0), sequence('A', 0), special(eos, 0), sequence('B', 1), special(eos, 1)],
    special_tokens: {
      [bos]: { id: bos, ids: [bosId], tokens: [bos] },
      [eos]: { id: eos, ids: [eosId], tokens: [eos] },
    },
  };
}

/** Trains a byte-level BPE tokenizer on `texts`. */
export async function trainByteLevelBpe(texts: TextSource, options: ByteLevelBpeTrainOptions): Promise<HfTokenizer> {
  const specials = options.specialTokens ?? ['<pad>', '<s>', '</s>'];
  const minFrequency = options.minFrequency ?? 2;
  const base = specials.length + 256;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < base) {
    throw new ConfigError(`vocabSize ${options.vocabSize} is invalid`,
      `use an integer ≥ ${base} (${specials.length} special tokens + 256 bytes)`);
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 0) {
    throw new ConfigError(`minFrequency ${minFrequency} is invalid`, 'use an integer ≥ 0');
  }
  const wordCounts = await countWords(texts, byteLevelSplitter());
  const alphabet = [...bytesToChars].sort((x, y) => x.charCodeAt(0) - y.charCodeAt(0));
  const vocab = [...specials, ...alphabet];
  const ids = new Map(vocab.map((s, i) => [s, i]));
  const words: Int32Array[] = [];
  const counts: number[] = [];
  for (const [word, n] of wordCounts) {
    words.push(Int32Array.from(word, (c) => ids.get(c) as number));
    counts.push(n);
  }
  const merges = learnMerges({
    vocab, words, counts, vocabSize: options.vocabSize, minFrequency, joinSymbols: (left, right) => left + right,
  });

  const modelVocab: JsonObject = Object.fromEntries(vocab.map((s, i) => [s, i])); // safe for "__proto__"
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => makeAddedToken(i, s)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: bosEosTemplate(ids, '<s>', '</s>'),
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: modelVocab,
      merges,
    },
  };
  return new HfTokenizer(json, { source: 'trained byte-level BPE' });
}
