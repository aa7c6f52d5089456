/**
 * WordPiece trainer, as Hugging Face's WordPieceTrainer does it: BPE over BERT words where every
 * character after the first carries the `##` prefix, merged pieces keep the left part's prefix
 * ("a" + "##b" → "ab", "##a" + "##b" → "##ab"), and the resulting vocabulary becomes a WordPiece
 * model (greedy longest match at encoding time). Output: a BERT-style tokenizer.json with
 * [PAD] [UNK] [CLS] [SEP] [MASK] first, loaded as an HfTokenizer.
 */
import { ConfigError } from '../../tensor/errors.js';
import { bertTokenizerJson } from '../bertVocab.js';
import { HfTokenizer } from '../hfTokenizer.js';
import { learnMerges } from './bpeMerges.js';
import { bertWordSplitter, countWords, type TextSource } from './words.js';

export interface WordPieceTrainOptions {
  /** Size of the vocabulary wanted, special tokens included (e.g. 30000). */
  vocabSize: number;
  /** Lowercase (and strip accents) before training and encoding. */
  lowercase: boolean;
  /** Pairs seen fewer times than this are never merged. Default 2 (as BertWordPieceTokenizer). */
  minFrequency?: number;
  /** Keep at most this many distinct characters, the most frequent. Default 1000. */
  limitAlphabet?: number;
  /** Placed first, in this order. Default [PAD] [UNK] [CLS] [SEP] [MASK]; the first four are required. */
  specialTokens?: string[];
}

const prefix = '##';

function checkCommon(vocabSize: number, minFrequency: number, nSpecial: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize <= nSpecial) {
    throw new ConfigError(`vocabSize ${vocabSize} is invalid`, `use an integer above the ${nSpecial} special tokens`);
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 0) {
    throw new ConfigError(`minFrequency ${minFrequency} is invalid`, 'use an integer ≥ 0');
  }
}

/** Characters by code point, limited to the `limit` most frequent (ties: lower code point). */
export function pickAlphabet(charCounts: Map<string, number>, limit: number): string[] {
  const byFrequency = [...charCounts].sort((x, y) => y[1] - x[1] || x[0].codePointAt(0)! - y[0].codePointAt(0)!);
  return byFrequency.slice(0, limit).map(([c]) => c).sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
}

/** Trains a WordPiece tokenizer on `texts`. */
export async function trainWordPiece(texts: TextSource, options: WordPieceTrainOptions): Promise<HfTokenizer> {
  const specials = options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const minFrequency = options.minFrequency ?? 2;
  const limitAlphabet = options.limitAlphabet ?? 1000;
  checkCommon(options.vocabSize, minFrequency, specials.length);
  if (typeof options.lowercase !== 'boolean') {
    throw new ConfigError(`lowercase is ${String(options.lowercase)}`, 'say whether to lowercase: true or false');
  }
  const normalizer = { cleanText: true, handleChineseChars: true, stripAccents: options.lowercase, lowercase: options.lowercase };
  const wordCounts = await countWords(texts, bertWordSplitter(normalizer));

  const charCounts = new Map<string, number>();
  for (const [word, n] of wordCounts) for (const c of word) charCounts.set(c, (charCounts.get(c) ?? 0) + n);
  const alphabet = pickAlphabet(charCounts, limitAlphabet);
  const kept = new Set(alphabet);

  const vocab = [...specials, ...alphabet.filter((c) => !specials.includes(c))];
  const continuing = new Set<string>();
  const split: string[][] = [];
  const counts: number[] = [];
  for (const [word, n] of wordCounts) {
    const chars = [...word].filter((c) => kept.has(c)); // characters outside the alphabet are dropped
    if (chars.length === 0) continue;
    split.push(chars.map((c, i) => (i === 0 ? c : prefix + c)));
    counts.push(n);
    for (let i = 1; i < chars.length; i++) continuing.add(chars[i] as string);
  }
  for (const c of [...continuing].sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!)) vocab.push(prefix + c);
  const ids = new Map(vocab.map((s, i) => [s, i]));
  const words = split.map((symbols) => Int32Array.from(symbols, (s) => ids.get(s) as number));

  learnMerges({
    vocab, words, counts, vocabSize: options.vocabSize, minFrequency,
    joinSymbols: (left, right) => left + (right.startsWith(prefix) ? right.slice(prefix.length) : right),
  });
  const vocabMap = new Map(vocab.map((s, i) => [s, i]));
  return new HfTokenizer(bertTokenizerJson(vocabMap, { lowercase: options.lowercase, source: 'trained WordPiece' }),
    { source: 'trained WordPiece' });
}
