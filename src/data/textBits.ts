/**
 * Bits per byte and per character from a split's recorded text sizes: pure arithmetic on the
 * TokenSplit arrays, with no file access, so the browser-safe evaluators (n-gram, train/evaluate)
 * can import it without pulling in the store's reader.
 */
import type { TokenSplit } from './split.js';
/** Total UTF-8 bytes and characters of the text a split's tokens cover, or null for a version 1 store. */
export function splitTextSize(s: TokenSplit): { bytes: number; chars: number } | null {
  if (!s.textBytes || !s.textChars) return null;
  let bytes = 0;
  let chars = 0;
  for (let d = 0; d < s.textBytes.length; d++) {
    bytes += s.textBytes[d]!;
    chars += s.textChars[d]!;
  }
  return { bytes, chars };
}

/**
 * Bits per byte and per character: the total loss (nats) over ln 2 over the text's size. Null
 * where the size is unknown (a version 1 store) or the loss does not cover the whole text.
 */
export function bitsPerText(totalNats: number, size: { bytes: number; chars: number } | null): { bitsPerByte: number | null; bitsPerChar: number | null } {
  if (size === null || size.bytes === 0 || !Number.isFinite(totalNats)) return { bitsPerByte: null, bitsPerChar: null };
  return { bitsPerByte: totalNats / Math.LN2 / size.bytes, bitsPerChar: totalNats / Math.LN2 / size.chars };
}
