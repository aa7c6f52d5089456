/**
 * Streaming line reader: yields the lines of a file one at a time (never the whole file), with
 * their 1-based numbers, decoding strict UTF-8 so that invalid bytes are reported with the line and
 * byte offset instead of silently becoming U+FFFD. Accepts `\n` and `\r\n` line ends and drops a
 * leading byte-order mark. A file whose name ends in `.gz` is inflated as it streams (never whole
 * in memory); offsets are then offsets in the inflated text.
 */
import { createReadStream, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError } from './errors.js';

/** True for a path read through gunzip. */
export function isGzip(path: string): boolean {
  return /\.gz$/i.test(path);
}

/** The file's name without a trailing `.gz` (what its format is guessed from). */
export function withoutGz(path: string): string {
  return path.replace(/\.gz$/i, '');
}

/**
 * The bytes of `path` as a stream, inflated when the name ends in `.gz`. A file that is not gzip,
 * or whose gzip stream is cut short, fails the stream with a DataError naming the file.
 */
export function openInputStream(path: string): Readable {
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!isGzip(path)) return src;
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const fail = (err: Error) => {
    src.destroy();
    gunzip.destroy();
    out.destroy(gzipError(path, err));
  };
  src.on('error', fail);
  gunzip.on('error', fail);
  src.pipe(gunzip).pipe(out);
  return out;
}

function gzipError(path: string, err: Error): Error {
  if (err instanceof DataError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
    return new DataError(`${path} is truncated: its gzip stream ends before the end of the compressed data`,
      'the file was cut short (an interrupted download or copy); fetch or compress it again');
  }
  if (code === 'Z_DATA_ERROR') {
    return new DataError(`${path} is not valid gzip data (${err.message})`,
      'a name ending in .gz is read through gunzip; rename the file if it is plain text, or compress it again with gzip');
  }
  return new DataError(`cannot read ${path}: ${err.message}`);
}

export interface Line {
  /** Text of the line without its line end. */
  text: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's start in the file. */
  offset: number;
  /** The line ended in \r\n (a line break inside a quoted document keeps it). */
  crlf: boolean;
}

/** Checks that `path` is a readable, non-empty regular file; returns its size in bytes. */
export function checkInputFile(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DataError(`input file not found: ${path}`, 'check the path; a directory with train.txt and test.txt also works');
  }
  if (st.isDirectory()) throw new DataError(`${path} is a directory, not a file`, 'use --format dir for a folder holding train.txt and test.txt');
  if (st.size === 0) throw new DataError(`input file is empty: ${path}`, 'a corpus needs at least one document');
  return st.size;
}

// ignoreBOM: a U+FEFF that starts a line is text; only the file's first bytes may be a byte-order mark (dropped above).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeLine(path: string, bytes: Uint8Array, line: number, offset: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new DataError(`invalid UTF-8 in ${path} at line ${line}, byte ${offset + bad} (0x${(bytes[bad] ?? 0).toString(16)})`,
      'convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8');
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return 0;
}

/** Yields every line of `path` in order. */
export async function* readLines(path: string): AsyncGenerator<Line> {
  checkInputFile(path);
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  let offset = 0;
  let first = true;
  for await (const chunk of openInputStream(path) as AsyncIterable<Buffer>) {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    if (first) {
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        offset = 3;
      }
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      lineNo++;
      yield { text: decodeLine(path, buf.subarray(start, end), lineNo, offset), line: lineNo, offset, crlf: end < nl };
      offset += nl + 1 - start;
      start = nl + 1;
    }
    carry = Buffer.from(buf.subarray(start));
  }
  if (carry.length > 0) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield { text: decodeLine(path, carry.subarray(0, end), lineNo + 1, offset), line: lineNo + 1, offset, crlf: false };
  }
}
