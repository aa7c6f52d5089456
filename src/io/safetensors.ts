/**
 * safetensors files: the byte format lives in formats/safetensors.ts (browser-safe); this file
 * reads and writes it on disk, atomically on write, with CRC-32s in the metadata, and reads each
 * tensor straight from the file into its destination (no second copy of a 3.4 GB table),
 * verifying its checksum as it arrives. The sync and async loaders share one sequence of reads.
 */
import { closeSync, openSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  checkTensorCrc, decodeEntry, encodeSafetensors, fitsEntry, headerChecksums, headerLength, invalidSafetensors, parseHeader,
  userMetadata, type SafetensorsFile,
} from '../formats/safetensors.js';
import { CheckpointError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readFully, writeFileAtomic } from './atomic.js';
import { crc32 } from './checksum.js';

export { CheckpointError, encodeSafetensors, type SafetensorsFile };

/** A file's parts with CRC-32s in its metadata (zlib's CRC: GB/s). */
export function encodeSafetensorsFile(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array[] {
  return encodeSafetensors(tensors, metadata, { checksums: crc32 });
}

/** Writes named tensors to `path` atomically, with CRC-32s in the metadata (see formats/safetensors.ts). */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensorsFile(tensors, metadata));
}

function readExactly(fd: number, buf: Uint8Array, position: number, path: string): void {
  const got = readFully(fd, buf, position);
  if (got !== buf.length) throw invalidSafetensors(path, `unexpected end of file after ${position + got} bytes`);
}

/** A byte range the loader needs next: fill `buf` from file offset `position`. */
interface ReadRequest {
  buf: Uint8Array;
  position: number;
}

/**
 * The loading steps, as a sequence of reads: header length, header (every entry and the header's
 * checksum checked before any data is read), then each tensor's bytes, straight into a matching
 * tensor of `into`, each verified against its recorded CRC-32 once read.
 */
function* safetensorsReads(path: string, size: number, into: Readonly<Record<string, Tensor>>): Generator<ReadRequest, SafetensorsFile, void> {
  if (size < 8) throw invalidSafetensors(path, `only ${size} bytes`);
  const first = new Uint8Array(8);
  yield { buf: first, position: 0 };
  const n = headerLength(first, size, path);
  const hbuf = new Uint8Array(n);
  yield { buf: hbuf, position: 8 };
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(hbuf, size - dataStart, path);
  const sums = headerChecksums(entries, metadata, path, crc32);
  const tensors: [string, Tensor][] = []; // a list, then fromEntries: "__proto__" stays a name
  for (const [name, e] of entries) {
    const [begin, end] = e.data_offsets;
    const target = Object.hasOwn(into, name) ? into[name]! : undefined;
    if (target && fitsEntry(target, e)) {
      const dest = new Uint8Array(target.data.buffer, target.data.byteOffset, target.data.byteLength);
      yield { buf: dest, position: dataStart + begin };
      checkTensorCrc(name, dest, sums?.get(name), path, crc32);
      tensors.push([name, target]);
      continue;
    }
    const bytes = new Uint8Array(end - begin);
    yield { buf: bytes, position: dataStart + begin };
    checkTensorCrc(name, bytes, sums?.get(name), path, crc32);
    tensors.push([name, decodeEntry(e, bytes)]);
  }
  return { tensors: Object.fromEntries(tensors), metadata: userMetadata(metadata), checksums: sums ? 'verified' : 'absent' };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    throw new CheckpointError(`checkpoint file not found: ${path}`, 'train a model first, or check the run folder');
  }
}

/**
 * Reads every tensor of a safetensors file. A tensor of `into` whose name, shape and dtype match an
 * entry (F32 into float32, I32 into int32) is read into directly and returned as itself: loading a
 * checkpoint into a model's parameters then needs no second copy of the weights (3.4 GB for the
 * Markov table). Checksums in the file are verified as each tensor is read. If reading fails
 * part-way (a damaged tensor), such tensors may hold part of the file.
 */
export function loadSafetensors(path: string, into: Readonly<Record<string, Tensor>> = {}): SafetensorsFile {
  const size = sizeOf(path);
  const fd = openSync(path, 'r');
  try {
    const steps = safetensorsReads(path, size, into);
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return r.value;
      readExactly(fd, r.value.buf, r.value.position, path);
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes read per call by loadSafetensorsAsync: other work runs between them. */
const ASYNC_CHUNK = 64 * 2 ** 20;

/**
 * loadSafetensors without holding the thread: the file is read in 64 MB pieces, each awaited, so a
 * server loading the 3.4 GB Markov table goes on answering other requests meanwhile.
 */
export async function loadSafetensorsAsync(path: string, into: Readonly<Record<string, Tensor>> = {}): Promise<SafetensorsFile> {
  const size = sizeOf(path);
  const fh = await open(path, 'r');
  try {
    const steps = safetensorsReads(path, size, into);
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return r.value;
      const { buf, position } = r.value;
      for (let off = 0; off < buf.length;) {
        const { bytesRead } = await fh.read(buf, off, Math.min(ASYNC_CHUNK, buf.length - off), position + off);
        if (bytesRead === 0) throw invalidSafetensors(path, `unexpected end of file after ${position + off} bytes`);
        off += bytesRead;
      }
    }
  } finally {
    await fh.close();
  }
}
