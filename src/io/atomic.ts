/**
 * Whole-file I/O helpers. Atomic writes: write to a temporary file beside the target, fsync, then
 * rename over it, so a crash or Ctrl-C mid-write leaves either the old file or the new one, never
 * half of one. `readFully` reads a byte range in as many calls as the OS needs.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Fills `buf` from file `fd` at `position`; returns the bytes read, which is less than
 * buf.length only at the end of the file.
 */
export function readFully(fd: number, buf: Uint8Array, position: number): number {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, Math.min(buf.length - off, 1 << 30), position + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

/** Writes all `chunks` to `path` atomically. */
export function writeFileAtomic(path: string, chunks: Uint8Array | string | (Uint8Array | string)[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of Array.isArray(chunks) ? chunks : [chunks]) {
      const bytes = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
