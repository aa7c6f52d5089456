/**
 * Tokenizes a batch of documents into flat ids plus per-document lengths, counting unknown
 * tokens and truncations. Shared by the main thread and the tokenize workers.
 */
import type { Tokenizer } from '../tokenizer/types.js';
import { coveredText } from './textSize.js';

export interface EncodeRequest {
  seq: number;
  texts: string[];
}

export interface EncodeResult {
  seq: number;
  ids: Uint32Array;
  lengths: Int32Array;
  /** UTF-8 bytes and characters of the text each document's kept tokens cover. */
  textBytes: Uint32Array;
  textChars: Uint32Array;
  unknown: number;
  truncated: number;
}

export function encodeBatch(tokenizer: Tokenizer, req: EncodeRequest, maxTokens: number): EncodeResult {
  const parts: number[][] = [];
  let total = 0;
  let unknown = 0;
  let truncated = 0;
  const unk = tokenizer.unkId;
  const textBytes = new Uint32Array(req.texts.length);
  const textChars = new Uint32Array(req.texts.length);
  const specials = tokenizer.encode('', { maxLength: Infinity }).ids.length;
  for (const [i, text] of req.texts.entries()) {
    const e = tokenizer.encode(text, { maxLength: maxTokens });
    const ids = e.ids;
    const cut = (e.dropped ?? 0) > 0;
    if (cut) truncated++;
    const size = coveredText(tokenizer, text, ids.length - specials, cut);
    textBytes[i] = size.bytes;
    textChars[i] = size.chars;
    if (unk !== undefined) for (const id of ids) if (id === unk) unknown++;
    parts.push(ids);
    total += ids.length;
  }
  const flat = new Uint32Array(total);
  const lengths = new Int32Array(parts.length);
  let o = 0;
  parts.forEach((p, i) => {
    flat.set(p, o);
    o += p.length;
    lengths[i] = p.length;
  });
  return { seq: req.seq, ids: flat, lengths, textBytes, textChars, unknown, truncated };
}
