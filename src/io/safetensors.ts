/**
 * safetensors, the standard tensor file format (readable by the Python `safetensors` library):
 * an 8-byte little-endian header length N, N bytes of JSON header mapping each name to
 * {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data section) plus optional
 * string "__metadata__", then the raw little-endian data. slmkit writes F32 and I32, reads F32, I32,
 * F16 and BF16 (converted to float32), and checks that every range lies inside the file.
 */
import { closeSync, openSync, statSync } from 'node:fs';
import { CheckpointError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { readFully, writeFileAtomic } from './atomic.js';

export { CheckpointError };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Encodes named tensors (and string metadata) as safetensors bytes, in name order. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array[] {
  const names = Object.keys(tensors).sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const n of names) {
    const t = tensors[n]!;
    const bytes = t.data.byteLength;
    header[n] = { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned (as the Rust writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  const parts: Uint8Array[] = [len, jsonBytes];
  for (const n of names) {
    const d = tensors[n]!.data;
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return parts;
}

/** Writes named tensors to `path` atomically. */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function readExactly(fd: number, buf: Uint8Array, position: number): void {
  const got = readFully(fd, buf, position);
  if (got !== buf.length) throw new CheckpointError(`unexpected end of file after ${position + got} bytes`);
}

/**
 * Reads every tensor of a safetensors file. A tensor of `into` whose name, shape and dtype match an
 * entry (F32 into float32, I32 into int32) is read into directly and returned as itself: loading a
 * checkpoint into a model's parameters then needs no second copy of the weights (3.4 GB for the
 * Markov table). If reading fails part-way, such tensors may hold part of the file.
 */
export function loadSafetensors(path: string, into: Readonly<Record<string, Tensor>> = {}): SafetensorsFile {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CheckpointError(`checkpoint file not found: ${path}`, 'train a model first, or check the run folder');
  }
  const bad = (why: string): CheckpointError =>
    new CheckpointError(`${path} is not a valid safetensors file: ${why}`, 'the file is damaged or was not written by a safetensors writer; restore it or train again');
  if (size < 8) throw bad(`only ${size} bytes`);
  const fd = openSync(path, 'r');
  try {
    const lenBuf = new Uint8Array(8);
    readExactly(fd, lenBuf, 0);
    const n = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
    if (n > size - 8 || n > 100 * 2 ** 20) throw bad(`header length ${n} does not fit a ${size}-byte file`);
    const hbuf = new Uint8Array(n);
    readExactly(fd, hbuf, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(hbuf).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw bad('header is not JSON');
    }
    const dataStart = 8 + n;
    const dataLen = size - dataStart;
    const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
    // Every entry is checked before any data is read.
    const entries: [string, HeaderEntry][] = [];
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const e = raw as HeaderEntry;
      if (!e || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) throw bad(`entry '${name}' lacks shape or data_offsets`);
      const [begin, end] = e.data_offsets;
      if (!(begin >= 0 && end >= begin && end <= dataLen)) throw bad(`entry '${name}' points outside the data (${begin}..${end} of ${dataLen})`);
      const count = e.shape.reduce((a, b) => a * b, 1);
      const width = ({ F32: 4, I32: 4, F16: 2, BF16: 2 } as Record<string, number>)[e.dtype];
      if (width === undefined) throw bad(`entry '${name}' has unsupported dtype ${e.dtype} (slmkit reads F32, I32, F16, BF16)`);
      if (end - begin !== count * width) throw bad(`entry '${name}' has ${end - begin} bytes for shape [${e.shape.join(', ')}] of ${e.dtype}`);
      entries.push([name, e]);
    }
    const tensors: Record<string, Tensor> = {};
    for (const [name, e] of entries) {
      const [begin, end] = e.data_offsets;
      const count = e.shape.reduce((a, b) => a * b, 1);
      const target = Object.hasOwn(into, name) ? into[name]! : undefined;
      if (target && fitsEntry(target, e)) {
        readExactly(fd, new Uint8Array(target.data.buffer, target.data.byteOffset, target.data.byteLength), dataStart + begin);
        tensors[name] = target;
        continue;
      }
      const bytes = new Uint8Array(end - begin);
      readExactly(fd, bytes, dataStart + begin);
      tensors[name] = new Tensor(decode(e.dtype, bytes, count, bad), e.shape);
    }
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

/** Whether `t` can take entry `e`'s bytes as they are: same shape, and F32/I32 for float32/int32. */
function fitsEntry(t: Tensor, e: HeaderEntry): boolean {
  if (e.dtype !== (t.dtype === 'int32' ? 'I32' : 'F32')) return false;
  return t.shape.length === e.shape.length && t.shape.every((d, i) => d === e.shape[i]);
}

function decode(dtype: string, bytes: Uint8Array, count: number, bad: (why: string) => Error): Float32Array | Int32Array {
  switch (dtype) {
    case 'F32':
      return new Float32Array(bytes.buffer, 0, count);
    case 'I32':
      return new Int32Array(bytes.buffer, 0, count);
    case 'BF16': {
      const src = new Uint16Array(bytes.buffer, 0, count);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = src[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'F16': {
      const src = new Uint16Array(bytes.buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]!);
      return out;
    }
    default:
      throw bad(`unsupported dtype ${dtype} (slmkit reads F32, I32, F16, BF16)`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
