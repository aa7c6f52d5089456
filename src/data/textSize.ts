/**
 * How much text a document's stored tokens stand for, in UTF-8 bytes and Unicode characters: the
 * denominator of bits per byte and per character. A document that fits is counted whole. One cut
 * to maxTokens covers only a prefix of its text: the longest prefix whose own encoding has at most
 * the kept tokens. Finding it cheaply relies on every slmkit tokenizer (WordPiece, byte-level BPE,
 * characters) splitting words at whitespace before anything else, so the tokens of a text are the
 * tokens of its whitespace-separated pieces: the prefix is encoded in pieces of a few hundred
 * characters until the kept count is passed, then the last piece is bisected.
 */
import type { Tokenizer } from '../tokenizer/types.js';

export interface TextSize {
  bytes: number;
  chars: number;
}

const encoder = new TextEncoder();

/** UTF-8 bytes and code points of `s`. */
export function measureText(s: string): TextSize {
  let chars = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) i++;
    }
    chars++;
  }
  return { bytes: encoder.encode(s).length, chars };
}

function countTokens(tokenizer: Tokenizer, s: string): number {
  return s.length === 0 ? 0 : tokenizer.encode(s, { addSpecialTokens: false, maxLength: Infinity }).ids.length;
}

/** Index just past the last whitespace at or before `end` (and after `start`), or -1. */
function pieceEnd(text: string, start: number, end: number): number {
  for (let i = Math.min(end, text.length - 1); i > start; i--) if (/\s/.test(text[i]!)) return i;
  return -1;
}

/** Length (UTF-16 units) of the longest prefix of `text` that encodes to at most `kept` tokens. */
export function coveredLength(tokenizer: Tokenizer, text: string, kept: number, piece = 256): number {
  let start = 0;
  let used = 0;
  for (;;) {
    if (start >= text.length) return text.length;
    let end = start + piece >= text.length ? text.length : pieceEnd(text, start, start + piece);
    if (end < 0) {
      // No whitespace in this stretch: take the piece up to the next whitespace (or the end).
      const m = /\s/.exec(text.slice(start + piece));
      end = m ? start + piece + m.index : text.length;
    }
    const n = countTokens(tokenizer, text.slice(start, end));
    if (used + n > kept) break;
    used += n;
    start = end;
  }
  // The kept tokens end inside text[start, end): bisect on the prefix length within it.
  let lo = start; // used + count(text[start, lo)) <= kept
  let hi = Math.min(text.length, start + piece * 4);
  while (hi < text.length && used + countTokens(tokenizer, text.slice(start, hi)) <= kept) hi = Math.min(text.length, hi + piece * 4);
  while (hi - lo > 1) {
    let mid = (lo + hi) >>> 1;
    const c = text.charCodeAt(mid);
    if (c >= 0xdc00 && c < 0xe000) mid--; // never split a surrogate pair
    if (mid <= lo) break;
    if (used + countTokens(tokenizer, text.slice(start, mid)) <= kept) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The size of the text that a document's `kept` content tokens (special tokens aside) cover. */
export function coveredText(tokenizer: Tokenizer, text: string, kept: number, truncated: boolean): TextSize {
  return measureText(truncated ? text.slice(0, coveredLength(tokenizer, text, kept)) : text);
}
