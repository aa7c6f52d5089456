/**
 * Trainers learn from word counts: each text is normalized and split into words exactly as the
 * trained tokenizer will split it at encoding time, and equal words are counted once. This file
 * holds the splitters (BERT words; GPT-2 byte-level pieces) and the counting loop, which takes
 * any sync or async iterable of texts so a corpus can stream through without being held.
 */
import { normalizeBert, type BertNormalizerOptions } from '../normalizers.js';

/** Texts to train on: an array, a generator, or an async stream of documents. */
export type TextSource = Iterable<string> | AsyncIterable<string>;

/** Splits one text into the words a tokenizer model sees. */
export type WordSplitter = (text: string) => Iterable<string>;

// BertPreTokenizer: split on whitespace, and isolate each punctuation character (Unicode P*
// plus all ASCII symbols).
const bertWordRe = /[^\p{White_Space}\p{P}\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+|[\p{P}\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/gu;

/** BertNormalizer then BertPreTokenizer. */
export function bertWordSplitter(options: BertNormalizerOptions): WordSplitter {
  return (text) => normalizeBert(text, options).match(bertWordRe) ?? [];
}

/** GPT-2's byte-to-character table: each byte becomes a printable character. */
export const bytesToChars: readonly string[] = (() => {
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
})();

// The ByteLevel pre-tokenizer's GPT-2 pattern.
const gpt2Re = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const utf8 = new TextEncoder();

/** ByteLevel pre-tokenizer (use_regex, no prefix space): pieces as byte characters. */
export function byteLevelSplitter(): WordSplitter {
  return function* split(text) {
    for (const piece of text.match(gpt2Re) ?? []) {
      let out = '';
      for (const byte of utf8.encode(piece)) out += bytesToChars[byte];
      yield out;
    }
  };
}

/** Counts the words of every text; Map order is first appearance (deterministic). */
export async function countWords(texts: TextSource, split: WordSplitter): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const text of texts) {
    for (const word of split(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}
