/**
 * nanoGPT's token files: `train.bin` and `val.bin` are bare little-endian uint16 ids (nanoGPT's
 * train.py maps them with np.memmap(dtype=np.uint16)), and `meta.pkl` is a pickled dict whose
 * `vocab_size` train.py reads to size the model. The pickle is written by hand (protocol 2: a
 * dict of string keys to small integers, nothing else), so no Python is needed to make it;
 * Python's pickle.load reads it as {'vocab_size': V, 'eot_id': E}. (nanoGPT's sample.py looks
 * for stoi/itos, which only its character-level data has; sample through slm import instead.)
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../tensor/errors.js';

export const NANOGPT_FILES = { train: 'train.bin', val: 'val.bin', meta: 'meta.pkl' } as const;

/** Writes train.bin, val.bin and meta.pkl into `dir`; returns the token files by split. */
export function writeNanogpt(dir: string, train: Uint16Array, val: Uint16Array, meta: Record<string, number>): { train: string[]; val: string[] } {
  writeFileSync(join(dir, NANOGPT_FILES.train), littleEndianBytes(train));
  writeFileSync(join(dir, NANOGPT_FILES.val), littleEndianBytes(val));
  writeFileSync(join(dir, NANOGPT_FILES.meta), pickleIntDict(meta));
  return { train: [NANOGPT_FILES.train], val: [NANOGPT_FILES.val] };
}

/** Reads a bare uint16 token file (nanoGPT's train.bin / val.bin). */
export function readNanogptBin(path: string): Uint16Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new DataError(`token file not found: ${path}`, 'pass a folder holding nanoGPT\'s train.bin and val.bin');
  }
  if (size % 2 !== 0) {
    throw new DataError(`${path} has ${size} bytes, an odd number: uint16 token files hold 2 bytes per id, so it is truncated or not a token file`,
      'export the data again');
  }
  const bytes = readFileSync(path);
  const ids = new Uint16Array(size / 2);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < ids.length; i++) ids[i] = dv.getUint16(2 * i, true);
  return ids;
}

/** The ids' bytes in little-endian order, whatever the machine's. */
export function littleEndianBytes(ids: Uint16Array): Uint8Array {
  const out = new Uint8Array(ids.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < ids.length; i++) dv.setUint16(2 * i, ids[i]!, true);
  return out;
}

/**
 * A pickle (protocol 2) of a dict from string keys to integers: PROTO 2, EMPTY_DICT, MARK, then
 * per key BINUNICODE and BININT (LONG1 past 32 bits), SETITEMS, STOP.
 */
export function pickleIntDict(d: Record<string, number>): Uint8Array {
  const parts: number[] = [0x80, 2, 0x7d, 0x28]; // PROTO 2, EMPTY_DICT '}', MARK '('
  const enc = new TextEncoder();
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isSafeInteger(v)) throw new DataError(`meta.pkl value ${k}=${v} is not an integer`);
    const key = enc.encode(k);
    parts.push(0x58, ...u32(key.length), ...key); // BINUNICODE 'X'
    if (v >= -(2 ** 31) && v < 2 ** 31) parts.push(0x4a, ...u32(v >>> 0)); // BININT 'J' (signed 32-bit)
    else parts.push(0x8a, ...long1(v)); // LONG1
  }
  parts.push(0x75, 0x2e); // SETITEMS 'u', STOP '.'
  return Uint8Array.from(parts);
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** LONG1: a length byte, then two's-complement little-endian bytes. */
function long1(v: number): number[] {
  let x = BigInt(v);
  const bytes: number[] = [];
  for (;;) {
    const b = Number(x & 0xffn);
    bytes.push(b);
    x >>= 8n;
    if ((x === 0n && (b & 0x80) === 0) || (x === -1n && (b & 0x80) !== 0)) break;
  }
  return [bytes.length, ...bytes];
}
