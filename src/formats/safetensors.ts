/**
 * safetensors on bytes, browser-safe: the standard tensor file format (readable by the Python
 * `safetensors` library) is an 8-byte little-endian header length N, N bytes of JSON header mapping
 * each name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data section)
 * plus optional string "__metadata__", then the raw little-endian data. slmkit writes F32 and I32,
 * reads F32, I32, F16 and BF16 (converted to float32), and checks every entry — dtype, shape against
 * byte count, range inside the data — before reading any tensor, so a damaged or hostile header
 * never reads out of bounds. io/safetensors.ts reads and writes files with the same code.
 *
 * Checksums: files slmkit writes for runs carry a CRC-32 of each tensor's bytes in the standard
 * `__metadata__` map (`"crc32:NAME": "8 hex digits"`, so Python's safetensors and every other reader
 * load the file unchanged and can check it with zlib.crc32), and `"crc32:__header__"`, the CRC-32 of
 * the header's meaning (metadata, names, dtypes, shapes; not its layout, so a tool that rewrites the
 * JSON keeps it valid). Readers verify both when present — a flipped byte becomes an error naming
 * the tensor, never a wrong weight — and read files without them (older slmkit, other writers)
 * unchecked. The checksum keys are not returned with the metadata.
 */
import { CheckpointError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { crc32 as crc32Pure, crc32Hex, type Crc32Fn } from './crc32.js';

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  /** The file's metadata, without slmkit's checksum keys. */
  metadata: Record<string, string>;
  /** Whether the file carried checksums (then every one was verified) or none (read unchecked). */
  checksums: 'verified' | 'absent';
}

/** Metadata keys holding checksums: `crc32:NAME` per tensor, and the header's. */
export const CRC_KEY_PREFIX = 'crc32:';
export const HEADER_CRC_KEY = 'crc32:__header__';

export interface EncodeOptions {
  /** Add CRC-32s to the metadata: true (the pure-TS CRC) or the CRC function to use (zlib's in Node). */
  checksums?: boolean | Crc32Fn;
}

/** The largest header slmkit accepts (the Rust reader's limit is 100 MB too). */
export const MAX_HEADER_BYTES = 100 * 2 ** 20;

const WIDTH: Record<string, number> = { F32: 4, I32: 4, F16: 2, BF16: 2 };

/** Encodes named tensors (and string metadata) as safetensors parts (header, then data), in name order. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, options: EncodeOptions = {}): Uint8Array[] {
  const names = Object.keys(tensors).sort();
  if (options.checksums) metadata = withChecksums(tensors, names, metadata, options.checksums === true ? crc32Pure : options.checksums);
  // Entries, then Object.fromEntries: a name such as "__proto__" must stay an own key (assignment
  // would set the object's prototype instead, and the tensor would vanish from the header).
  const entries: [string, SafetensorsEntry | Record<string, string>][] = [];
  if (Object.keys(metadata).length > 0) entries.push(['__metadata__', metadata]);
  let offset = 0;
  for (const n of names) {
    const t = tensors[n]!;
    const bytes = t.data.byteLength;
    entries.push([n, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] }]);
    offset += bytes;
  }
  const enc = new TextEncoder();
  let json = JSON.stringify(Object.fromEntries(entries));
  // Pad the header with spaces so the data section starts 8-byte aligned (as the Rust writer does).
  json += ' '.repeat((8 - ((8 + enc.encode(json).length) % 8)) % 8);
  const jsonBytes = enc.encode(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  const parts: Uint8Array[] = [len, jsonBytes];
  for (const n of names) {
    const d = tensors[n]!.data;
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return parts;
}

function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** `metadata` plus the CRC-32 of each tensor and of the header's meaning. */
function withChecksums(tensors: Record<string, Tensor>, names: string[], metadata: Record<string, string>, crc: Crc32Fn): Record<string, string> {
  const own = Object.entries(metadata).filter(([k]) => !k.startsWith(CRC_KEY_PREFIX));
  const sums = names.map((n): [string, string] => [CRC_KEY_PREFIX + n, crc32Hex(crc(tensorBytes(tensors[n]!)))]);
  const meta = Object.fromEntries([...own, ...sums]);
  const shapes = names.map((n): [string, string, number[]] => [n, tensors[n]!.dtype === 'int32' ? 'I32' : 'F32', [...tensors[n]!.shape]]);
  return Object.fromEntries([...own, ...sums, [HEADER_CRC_KEY, crc32Hex(headerCrc(meta, shapes, crc))]]);
}

/** CRC-32 of a header's meaning: its metadata (sorted, without the header key) and each tensor's name, dtype and shape. */
function headerCrc(meta: Record<string, string>, shapes: [string, string, number[]][], crc: Crc32Fn): number {
  const m = Object.entries(meta).filter(([k]) => k !== HEADER_CRC_KEY).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const t = [...shapes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return crc(new TextEncoder().encode(JSON.stringify([m, t])));
}

/** The checksums a parsed header promises: null when it has none; throws when the header's own fails. */
export function headerChecksums(entries: [string, SafetensorsEntry][], metadata: Record<string, string>, source: string,
  crc: Crc32Fn = crc32Pure): Map<string, string> | null {
  const keys = Object.keys(metadata).filter((k) => k.startsWith(CRC_KEY_PREFIX));
  if (keys.length === 0) return null;
  const damaged = (why: string) => new CheckpointError(`${source} is damaged: ${why}`,
    'a byte of the file changed on disk or in a copy; restore it from a copy, or train again');
  const recorded = metadata[HEADER_CRC_KEY];
  if (recorded === undefined) throw damaged(`it records tensor checksums but not its header's (${HEADER_CRC_KEY})`);
  const got = crc32Hex(headerCrc(metadata, entries.map(([n, e]) => [n, e.dtype, e.shape]), crc));
  if (got !== recorded) throw damaged(`its header (metadata, names, shapes) fails its CRC-32 check (${got}, recorded ${recorded})`);
  const sums = new Map<string, string>();
  for (const [name] of entries) {
    const v = metadata[CRC_KEY_PREFIX + name];
    if (v === undefined) throw damaged(`tensor '${name}' has no checksum though the file records them`);
    sums.set(name, v);
  }
  return sums;
}

/** Throws when `bytes` (tensor `name`'s data) do not match the recorded CRC-32. */
export function checkTensorCrc(name: string, bytes: Uint8Array, recorded: string | undefined, source: string, crc: Crc32Fn = crc32Pure): void {
  if (recorded === undefined) return;
  const got = crc32Hex(crc(bytes));
  if (got !== recorded) {
    throw new CheckpointError(`${source} is damaged: tensor '${name}' fails its CRC-32 check (${got}, recorded ${recorded})`,
      'a byte of the file changed on disk or in a copy; restore it from a copy, or train again');
  }
}

/** The metadata without slmkit's checksum keys (what callers see). */
export function userMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith(CRC_KEY_PREFIX)));
}

/** The whole file as one byte array (for a download, a fetch body or IndexedDB). */
export function safetensorsBytes(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, options: EncodeOptions = {}): Uint8Array {
  const parts = encodeSafetensors(tensors, metadata, options);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The error for a file that is not valid safetensors; `source` names it. */
export function invalidSafetensors(source: string, why: string): CheckpointError {
  return new CheckpointError(`${source} is not a valid safetensors file: ${why}`,
    'the file is damaged or was not written by a safetensors writer; restore it or train again');
}

/** The header length of a file of `size` bytes from its first 8 bytes, checked against the size. */
export function headerLength(first8: Uint8Array, size: number, source: string): number {
  if (size < 8 || first8.length < 8) throw invalidSafetensors(source, `only ${size} bytes`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > size - 8 || n > MAX_HEADER_BYTES) throw invalidSafetensors(source, `header length ${n} does not fit a ${size}-byte file`);
  return n;
}

/** Parses and checks the JSON header against a data section of `dataLen` bytes; no tensor is read. */
export function parseHeader(headerBytes: Uint8Array, dataLen: number, source: string): { entries: [string, SafetensorsEntry][]; metadata: Record<string, string> } {
  const bad = (why: string) => invalidSafetensors(source, why);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw bad('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('header is not a JSON object');
  const h = header as Record<string, unknown>;
  const meta = h.__metadata__ ?? {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || Object.values(meta).some((v) => typeof v !== 'string')) throw bad('__metadata__ is not a map of strings');
  const entries: [string, SafetensorsEntry][] = [];
  for (const [name, raw] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    const e = raw as SafetensorsEntry;
    if (typeof e !== 'object' || e === null || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      throw bad(`entry '${name}' lacks shape or data_offsets`);
    }
    if (!e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`entry '${name}' has a bad shape ${JSON.stringify(e.shape)}`);
    const [begin, end] = e.data_offsets;
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && end >= begin && end <= dataLen)) {
      throw bad(`entry '${name}' points outside the data (${begin}..${end} of ${dataLen})`);
    }
    const width = WIDTH[e.dtype];
    if (width === undefined) throw bad(`entry '${name}' has unsupported dtype ${e.dtype} (slmkit reads F32, I32, F16, BF16)`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width) throw bad(`entry '${name}' has ${end - begin} bytes for shape [${e.shape.join(', ')}] of ${e.dtype}`);
    entries.push([name, e]);
  }
  return { entries, metadata: meta as Record<string, string> };
}

/** Whether `t` can take entry `e`'s bytes as they are: same shape, and F32/I32 for float32/int32. */
export function fitsEntry(t: Tensor, e: SafetensorsEntry): boolean {
  if (e.dtype !== (t.dtype === 'int32' ? 'I32' : 'F32')) return false;
  return t.shape.length === e.shape.length && t.shape.every((d, i) => d === e.shape[i]);
}

/** A tensor from an entry's bytes (a fresh, aligned copy; F16 and BF16 widened to float32). */
export function decodeEntry(e: SafetensorsEntry, bytes: Uint8Array): Tensor {
  const count = e.shape.reduce((a, b) => a * b, 1);
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  switch (e.dtype) {
    case 'F32':
      return new Tensor(new Float32Array(own.buffer, 0, count), e.shape);
    case 'I32':
      return new Tensor(new Int32Array(own.buffer, 0, count), e.shape);
    case 'BF16': {
      const src = new Uint16Array(own.buffer, 0, count);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = src[i]! << 16;
      return new Tensor(new Float32Array(out.buffer), e.shape);
    }
    case 'F16': {
      const src = new Uint16Array(own.buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]!);
      return new Tensor(out, e.shape);
    }
    default:
      throw invalidSafetensors('tensor entry', `unsupported dtype ${e.dtype}`);
  }
}

/**
 * Decodes a whole safetensors file held in memory (a fetch response, a file the user dropped on a
 * page). Tensors of `into` with a matching name, shape and dtype are filled in place and returned.
 */
export function decodeSafetensors(bytes: Uint8Array, into: Readonly<Record<string, Tensor>> = {}, source = 'safetensors data'): SafetensorsFile {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, source);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, source);
  const sums = headerChecksums(entries, metadata, source);
  const tensors: [string, Tensor][] = [];
  for (const [name, e] of entries) {
    const src = bytes.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1]);
    checkTensorCrc(name, src, sums?.get(name), source); // before anything is copied into `into`
    const target = Object.hasOwn(into, name) ? into[name]! : undefined;
    if (target && fitsEntry(target, e)) {
      new Uint8Array(target.data.buffer, target.data.byteOffset, target.data.byteLength).set(src);
      tensors.push([name, target]);
    } else tensors.push([name, decodeEntry(e, src)]);
  }
  return { tensors: Object.fromEntries(tensors), metadata: userMetadata(metadata), checksums: sums ? 'verified' : 'absent' };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
