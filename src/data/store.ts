/**
 * The token store: one binary file per split holding every document's token ids, written once by
 * `slm prepare` and read by training and evaluation.
 *
 * Layout (little-endian):
 *   header, 64 bytes: magic "SLMTOKEN" (8) | version u32 | bytes per id u32 (2 or 4) |
 *                     documents u64 | tokens u64 | vocabulary size u32 |
 *                     body CRC-32 u32 (version 3: of every byte after the header) |
 *                     header CRC-32 u32 (version 3: of the header's first 40 bytes) | reserved (zeros)
 *   ids:     tokens × (uint16 | uint32), documents back to back
 *   offsets: (documents + 1) × u64, document d is ids[offsets[d], offsets[d+1])
 *   text bytes: documents × u32, UTF-8 bytes of the text each document's tokens cover (version 2)
 *   text chars: documents × u32, Unicode characters of that text (version 2)
 * The text sizes turn a loss in nats per token into bits per byte or per character, figures that
 * compare across tokenizers. The checksums (version 3) turn a flipped byte on disk into an error
 * naming the file instead of a wrong loss. Version 1 files (no text sizes) and version 2 files (no
 * checksums; read unchecked) are still read. Every version's ids are checked against the
 * vocabulary and its offsets for order on reading. The offsets come last so a writer can stream ids
 * without knowing the count in advance; the header is filled in at the end. Files are written to a
 * temporary name, synced, then renamed, so an interrupted write never leaves a half-written store
 * under the real name.
 */
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fsyncDir, readFully, tempName, writeFully } from '../io/atomic.js';
import { crc32, crc32Hex } from '../io/checksum.js';
import { faultPoint } from '../io/faults.js';
import { DataError } from '../corpus/errors.js';
import type { TokenSplit } from './split.js';

export const STORE_MAGIC = 'SLMTOKEN';
export const STORE_VERSION = 3;
const HEADER_BYTES = 64;
/** Bytes of the header its own CRC-32 covers (everything before it). */
const HEADER_CRC_SPAN = 40;

export { documentIds, firstDocuments, longestDocument, numDocuments, type TokenSplit } from './split.js';

/** Streams documents into a store file; `finish()` makes it visible under its name. */
export class StoreWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private readonly offsets: number[] = [0];
  private readonly textBytes: number[] = [];
  private readonly textChars: number[] = [];
  private tokens = 0;
  private readonly bytesPerId: 2 | 4;
  private done = false;
  /** CRC-32 of the body written so far. */
  private crc = 0;

  constructor(readonly path: string, readonly vocabSize: number) {
    this.bytesPerId = vocabSize <= 65536 ? 2 : 4;
    this.tmp = tempName(path);
    this.fd = openSync(this.tmp, 'w');
    writeFully(this.fd, new Uint8Array(HEADER_BYTES));
  }

  private write(bytes: Uint8Array): void {
    writeFully(this.fd, bytes);
    this.crc = crc32(bytes, this.crc);
  }

  /** Appends one document's ids and the size of the text they cover (0 when unknown). */
  add(ids: ArrayLike<number>, textBytes = 0, textChars = 0): void {
    const arr = this.bytesPerId === 2 ? new Uint16Array(ids.length) : new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < this.vocabSize)) {
        throw new DataError(`token id ${id} is outside the vocabulary of ${this.vocabSize}`, 'the tokenizer and the store disagree on the vocabulary size');
      }
      arr[i] = id;
    }
    this.write(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    this.tokens += ids.length;
    this.offsets.push(this.tokens);
    this.textBytes.push(textBytes);
    this.textChars.push(textChars);
  }

  get documents(): number {
    return this.offsets.length - 1;
  }

  /** Writes offsets and header, syncs and renames into place. */
  finish(): void {
    if (this.done) return;
    const offs = new BigUint64Array(this.offsets.length);
    this.offsets.forEach((o, i) => { offs[i] = BigInt(o); });
    this.write(new Uint8Array(offs.buffer));
    faultPoint(`write:${basename(this.path)}`);
    this.write(new Uint8Array(Uint32Array.from(this.textBytes).buffer));
    this.write(new Uint8Array(Uint32Array.from(this.textChars).buffer));
    const header = new DataView(new ArrayBuffer(HEADER_BYTES));
    for (let i = 0; i < 8; i++) header.setUint8(i, STORE_MAGIC.charCodeAt(i));
    header.setUint32(8, STORE_VERSION, true);
    header.setUint32(12, this.bytesPerId, true);
    header.setBigUint64(16, BigInt(this.documents), true);
    header.setBigUint64(24, BigInt(this.tokens), true);
    header.setUint32(32, this.vocabSize, true);
    header.setUint32(36, this.crc, true);
    header.setUint32(HEADER_CRC_SPAN, crc32(new Uint8Array(header.buffer, 0, HEADER_CRC_SPAN)), true);
    writeFully(this.fd, new Uint8Array(header.buffer), 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    faultPoint(`rename:${basename(this.path)}`);
    renameSync(this.tmp, this.path);
    fsyncDir(dirname(this.path));
    this.done = true;
  }

  /** CRC-32 of the body (valid after finish()); the manifest records it. */
  get checksum(): string {
    return crc32Hex(this.crc);
  }

  /** Drops the temporary file (on error or interruption). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try { closeSync(this.fd); } catch { /* already closed */ }
    try { unlinkSync(this.tmp); } catch { /* already gone */ }
  }
}

/**
 * The version and recorded body CRC-32 of a store file from its 64-byte header alone (null when the
 * file is missing or not a store): how a manifest's record is checked without reading the ids.
 */
export function readStoreChecksum(path: string): { version: number; checksum: string | null; bytes: number } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const head = new Uint8Array(HEADER_BYTES);
    if (readFully(fd, head, 0) !== HEADER_BYTES || String.fromCharCode(...head.subarray(0, 8)) !== STORE_MAGIC) return null;
    const dv = new DataView(head.buffer);
    const version = dv.getUint32(8, true);
    return { version, checksum: version >= 3 ? crc32Hex(dv.getUint32(36, true)) : null, bytes: statSync(path).size };
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole store file into memory, checking magic, version, sizes, checksums and ids. */
export function readStore(path: string): TokenSplit {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new DataError(`token store not found: ${path}`, 'run slm prepare first');
  }
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(HEADER_BYTES);
    if (size < HEADER_BYTES || readFully(fd, head, 0) !== HEADER_BYTES) {
      throw new DataError(`${path} is too short to be a token store (${size} bytes)`, 'prepare the data again');
    }
    const dv = new DataView(head.buffer);
    const magic = String.fromCharCode(...head.subarray(0, 8));
    if (magic !== STORE_MAGIC) {
      throw new DataError(`${path} is not a slmkit token store (magic ${JSON.stringify(magic)}, expected ${STORE_MAGIC})`);
    }
    const version = dv.getUint32(8, true);
    if (version < 1 || version > STORE_VERSION) {
      throw new DataError(`${path} is token store version ${version}; this slmkit reads versions 1 to ${STORE_VERSION}`, 'prepare the data again with this version');
    }
    const damaged = (why: string) => new DataError(`${path} is damaged: ${why}`, 'prepare the data again (slm prepare --force), or restore the file from a copy');
    if (version >= 3) {
      const want = dv.getUint32(HEADER_CRC_SPAN, true);
      const got = crc32(head.subarray(0, HEADER_CRC_SPAN));
      if (got !== want) throw damaged(`its header fails its CRC-32 check (${crc32Hex(got)}, recorded ${crc32Hex(want)})`);
    }
    const bpi = dv.getUint32(12, true);
    const docs = Number(dv.getBigUint64(16, true));
    const tokens = Number(dv.getBigUint64(24, true));
    const vocabSize = dv.getUint32(32, true);
    const sizes = version >= 2 ? docs * 8 : 0;
    const expect = HEADER_BYTES + tokens * bpi + (docs + 1) * 8 + sizes;
    if ((bpi !== 2 && bpi !== 4) || expect !== size) {
      throw damaged(`header says ${docs} documents and ${tokens} tokens (${expect} bytes) but the file has ${size} bytes`);
    }
    const idBytes = new Uint8Array(tokens * bpi);
    readFully(fd, idBytes, HEADER_BYTES);
    const offBytes = new Uint8Array((docs + 1) * 8);
    readFully(fd, offBytes, HEADER_BYTES + idBytes.length);
    const sizeBytes = new Uint8Array(sizes);
    readFully(fd, sizeBytes, HEADER_BYTES + idBytes.length + offBytes.length);
    if (version >= 3) {
      const want = dv.getUint32(36, true);
      const got = crc32(sizeBytes, crc32(offBytes, crc32(idBytes)));
      if (got !== want) throw damaged(`its contents fail their CRC-32 check (${crc32Hex(got)}, recorded ${crc32Hex(want)}): a byte changed on disk or in a copy`);
    }
    const ids = bpi === 2 ? new Uint16Array(idBytes.buffer) : new Uint32Array(idBytes.buffer);
    // Checked in every version: an id past the vocabulary would index past an embedding table.
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! >= vocabSize) throw damaged(`token ${i} has id ${ids[i]}, outside the vocabulary of ${vocabSize}`);
    }
    const big = new BigUint64Array(offBytes.buffer);
    const offsets = new Float64Array(docs + 1);
    for (let i = 0; i <= docs; i++) {
      offsets[i] = Number(big[i]!);
      if (i > 0 && offsets[i]! < offsets[i - 1]!) throw damaged(`document offsets go backwards at ${i}`);
    }
    if (offsets[0] !== 0) throw damaged(`the first document starts at token ${offsets[0]}, not 0`);
    if (offsets[docs] !== tokens) throw damaged(`offsets end at ${offsets[docs]}, not ${tokens}`);
    if (version < 2) return { ids, offsets, vocabSize };
    const textBytes = new Uint32Array(sizeBytes.buffer, 0, docs);
    const textChars = new Uint32Array(sizeBytes.buffer, docs * 4, docs);
    return { ids, offsets, vocabSize, textBytes, textChars };
  } finally {
    closeSync(fd);
  }
}

export { bitsPerText, splitTextSize } from './textBits.js';
