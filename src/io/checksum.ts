/**
 * The CRC-32 that Node code uses for token stores and checkpoints: zlib's native one (Node ≥ 20.15
 * and 22.2, several GB/s) where it exists, else the pure-TypeScript one from formats/crc32.ts. Both
 * compute the same value; the tests hold them to it.
 */
import * as zlib from 'node:zlib';
import { crc32 as crc32Pure, type Crc32Fn } from '../formats/crc32.js';

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `bytes`, continued from `crc`. */
export const crc32: Crc32Fn = native
  ? (bytes, crc = 0) => {
    // zlib takes at most 4 GiB - 1 per call on some builds; chunks of 1 GiB stay clear of that.
    let c = crc;
    for (let off = 0; off < bytes.length; off += 1 << 30) c = native(bytes.subarray(off, Math.min(bytes.length, off + (1 << 30))), c);
    return c >>> 0;
  }
  : crc32Pure;

/** Whether zlib's native CRC-32 is in use (for reports). */
export const nativeCrc32 = native !== undefined;

export { crc32Hex } from '../formats/crc32.js';
