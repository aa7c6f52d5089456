/**
 * The n-gram model file (`model.ngram`): the count trie in a compact binary form, browser-safe
 * (bytes in, bytes out; files.ts does the file I/O).
 *
 * Layout, little-endian:
 *   0   magic "SLMNGRAM" (8 bytes)
 *   8   format version, u32 (NGRAM_FORMAT_VERSION)
 *   12  header length H, u32
 *   16  header: UTF-8 JSON, space-padded so the data starts at a multiple of 8 bytes:
 *         { config, tokens, documents, discounts, dataBytes, checksum, sections: [{name, dtype, length, offset}] }
 *   16+H  data: the sections back to back, each at an offset (from the data start) that is a
 *         multiple of 8 and zero-padded to one; dtype u8 | u16 | u32, the narrowest that holds the
 *         array's largest value. Sections, for each order n:
 *           "n.counts"    (G_n) the counts the estimator reads (order 1: one per vocabulary entry)
 *           "n.children"  (P)   orders ≥ 2: how many n-grams extend each (n−1)-gram id, in id order
 *           "n.words"     (G_n) orders ≥ 2: the last token of each n-gram, sorted within its prefix
 *   checksum: FNV-1a (32-bit offset basis and prime) over the data read as u32 words, in hex.
 * Readers check the magic, the version, the sizes, the checksum and the trie's order (words
 * increasing inside each prefix, every id in range) and say what they found.
 */
import { NgramFormatError } from '../tensor/errors.js';
import { resolveNgramConfig } from './config.js';
import type { Discounts } from './discount.js';
import { NgramModel, type NgramLevel } from './model.js';

export const NGRAM_MAGIC = 'SLMNGRAM';
export const NGRAM_FORMAT_VERSION = 1;

export { NgramFormatError };

type DType = 'u8' | 'u16' | 'u32';
type UintArray = Uint8Array | Uint16Array | Uint32Array;

interface Section {
  name: string;
  dtype: DType;
  length: number;
  offset: number;
}

interface Header {
  config: Record<string, unknown>;
  tokens: number;
  documents: number;
  discounts: Discounts[] | null;
  dataBytes: number;
  checksum: string;
  sections: Section[];
}

const pad8 = (n: number) => (n + 7) & ~7;

function checkLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new NgramFormatError('n-gram model files are little-endian; this machine is not');
}

/** FNV-1a over 32-bit words, continued from `h`. */
function fnv1a(words: Uint32Array, h = 0x811c9dc5): number {
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

function narrow(a: ArrayLike<number> & { length: number }): { dtype: DType; data: UintArray } {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > max) max = a[i]!;
  if (max < 256) return { dtype: 'u8', data: Uint8Array.from(a) };
  if (max < 65536) return { dtype: 'u16', data: Uint16Array.from(a) };
  return { dtype: 'u32', data: a instanceof Uint32Array ? a : Uint32Array.from(a) };
}

/** The model as file chunks (written back to back). */
export function encodeNgramModel(model: NgramModel): Uint8Array[] {
  checkLittleEndian();
  const arrays: { name: string; dtype: DType; data: UintArray }[] = [];
  model.levels.forEach((lv, i) => {
    const n = i + 1;
    arrays.push({ name: `${n}.counts`, ...narrow(lv.counts) });
    if (n >= 2) {
      const start = lv.childStart!;
      const children = new Uint32Array(start.length - 1);
      for (let p = 0; p < children.length; p++) children[p] = start[p + 1]! - start[p]!;
      arrays.push({ name: `${n}.children`, ...narrow(children) });
      arrays.push({ name: `${n}.words`, ...narrow(lv.words!) });
    }
  });
  const chunks: Uint8Array[] = [];
  const sections: Section[] = [];
  let offset = 0;
  let h = 0x811c9dc5;
  for (const a of arrays) {
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const padded = pad8(bytes.length);
    const tail = new Uint8Array(padded - bytes.length);
    sections.push({ name: a.name, dtype: a.dtype, length: a.data.length, offset });
    // Hash whole 32-bit words: the section's full words, then its last partial word with the padding.
    const whole = bytes.length & ~3;
    h = fnv1a(new Uint32Array(bytes.buffer, bytes.byteOffset, whole / 4), h);
    const rest = new Uint8Array(padded - whole);
    rest.set(bytes.subarray(whole));
    h = fnv1a(new Uint32Array(rest.buffer), h);
    chunks.push(bytes, tail);
    offset += padded;
  }
  const header: Header = {
    config: { ...model.config }, tokens: model.tokens, documents: model.documents, discounts: model.discounts ? [...model.discounts] : null,
    dataBytes: offset, checksum: h.toString(16).padStart(8, '0'), sections,
  };
  let json = JSON.stringify(header);
  const jsonBytes = () => new TextEncoder().encode(json);
  let H = jsonBytes().length;
  json += ' '.repeat(pad8(16 + H) - 16 - H);
  H = jsonBytes().length;
  const prefix = new Uint8Array(16 + H);
  for (let i = 0; i < 8; i++) prefix[i] = NGRAM_MAGIC.charCodeAt(i);
  const dv = new DataView(prefix.buffer);
  dv.setUint32(8, NGRAM_FORMAT_VERSION, true);
  dv.setUint32(12, H, true);
  prefix.set(jsonBytes(), 16);
  return [prefix, ...chunks];
}

/** Reads a model from the bytes of a model file; `source` names it in errors. */
export function decodeNgramModel(bytes: Uint8Array, source = 'n-gram model'): NgramModel {
  checkLittleEndian();
  const fail = (what: string, hint = 'the file is damaged or was not written by slm train --model ngram; train it again') => new NgramFormatError(`${source}: ${what}`, hint);
  if (bytes.length < 16) throw fail(`too short to be an n-gram model (${bytes.length} bytes)`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== NGRAM_MAGIC) throw fail(`not an slmkit n-gram model (magic ${JSON.stringify(magic)}, expected ${NGRAM_MAGIC})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== NGRAM_FORMAT_VERSION) {
    throw fail(`n-gram model format version ${version}; this slmkit reads version ${NGRAM_FORMAT_VERSION}`,
      version > NGRAM_FORMAT_VERSION ? 'upgrade slmkit to read it' : 'count the model again with this slmkit');
  }
  const H = dv.getUint32(12, true);
  if (16 + H > bytes.length) throw fail(`header of ${H} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + H))) as Header;
  } catch (err) {
    throw fail(`header is not valid JSON (${(err as Error).message})`);
  }
  let config;
  try {
    config = resolveNgramConfig(header.config ?? {});
  } catch (err) {
    throw fail(`bad model config in the header: ${(err as Error).message}`);
  }
  const dataStart = 16 + H;
  if (dataStart % 8 !== 0 || typeof header.dataBytes !== 'number' || dataStart + header.dataBytes !== bytes.length) {
    throw fail(`the header promises ${header.dataBytes} bytes of data after byte ${dataStart}, but the file has ${bytes.length} bytes in all`,
      'the file was cut short or has extra bytes; train it again');
  }
  // Aligned copy when the bytes are not 8-aligned in memory (typed views need alignment).
  const data = (bytes.byteOffset + dataStart) % 8 === 0
    ? bytes.subarray(dataStart)
    : new Uint8Array(bytes.subarray(dataStart));
  const sum = fnv1a(new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2)).toString(16).padStart(8, '0');
  if (sum !== header.checksum) throw fail(`checksum mismatch (header ${header.checksum}, data ${sum}): the file is damaged`);
  const byName = new Map((header.sections ?? []).map((s) => [s.name, s]));
  const get = (name: string, length?: number): UintArray => {
    const s = byName.get(name);
    if (!s) throw fail(`section ${name} is missing`);
    const width = { u8: 1, u16: 2, u32: 4 }[s.dtype];
    if (!width || !Number.isInteger(s.length) || s.offset % 8 !== 0 || s.offset + s.length * width > data.length) {
      throw fail(`section ${name} (${s.dtype} × ${s.length} at ${s.offset}) does not fit the data`);
    }
    if (length !== undefined && s.length !== length) throw fail(`section ${name} has ${s.length} entries, expected ${length}`);
    const at = data.byteOffset + s.offset;
    return s.dtype === 'u8' ? new Uint8Array(data.buffer, at, s.length)
      : s.dtype === 'u16' ? new Uint16Array(data.buffer, at, s.length) : new Uint32Array(data.buffer, at, s.length);
  };
  const V = config.vocabSize;
  const levels: NgramLevel[] = [];
  let P = V;
  for (let n = 1; n <= config.order; n++) {
    if (n === 1) {
      levels.push({ childStart: null, words: null, counts: widen(get('1.counts', V)) });
      continue;
    }
    const children = get(`${n}.children`, P);
    const start = new Uint32Array(P + 1);
    for (let p = 0; p < P; p++) start[p + 1] = start[p]! + children[p]!;
    const G = start[P]!;
    const w = get(`${n}.words`, G);
    const counts = widen(get(`${n}.counts`, G));
    const words = w instanceof Uint8Array ? (V <= 65536 ? Uint16Array.from(w) : Uint32Array.from(w)) : w;
    for (let p = 0; p < P; p++) {
      for (let j = start[p]!; j < start[p + 1]!; j++) {
        if (words[j]! >= V || (j > start[p]! && words[j]! <= words[j - 1]!)) throw fail(`${n}-gram ${j} breaks the trie's order (token ${words[j]})`);
        if (counts[j] === 0) throw fail(`${n}-gram ${j} has count 0`);
      }
    }
    levels.push({ childStart: start, words, counts });
    P = G;
  }
  if (config.smoothing === 'kn') {
    if (!Array.isArray(header.discounts) || header.discounts.length !== config.order) throw fail('a Kneser-Ney model file lacks its discounts');
    header.discounts.forEach((x, i) => {
      const ok = Array.isArray(x?.d) && x.d.length === 3 && x.d.every((v, k) => typeof v === 'number' && v > 0 && v <= k + 1);
      if (!ok) throw fail(`order ${i + 1}'s discounts ${JSON.stringify(x?.d)} are not three numbers in (0, 1], (0, 2], (0, 3]`);
    });
  }
  return new NgramModel({
    config, levels, discounts: config.smoothing === 'kn' ? header.discounts : null, tokens: Number(header.tokens), documents: Number(header.documents),
  });
}

function widen(a: UintArray): Uint32Array {
  return a instanceof Uint32Array ? a : Uint32Array.from(a);
}
