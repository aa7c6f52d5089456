/**
 * Whole-file I/O helpers. Atomic writes: write to a temporary file beside the target, fsync, then
 * rename over it, so a crash or Ctrl-C mid-write leaves either the old file or the new one, never
 * half of one; `writeFolderAtomic` does the same for a folder of files. `readFully` reads a byte
 * range in as many calls as the OS needs.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../tensor/errors.js';

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

/**
 * Builds a whole folder atomically: `fill(tmp)` writes into a fresh temporary folder beside `dir`,
 * which is then renamed to `dir`, so a failure or an interruption never leaves half a folder under
 * the real name. An existing `dir` is refused unless `replace`; then it is swapped out only after
 * the new folder is complete.
 */
export async function writeFolderAtomic<T>(dir: string, replace: boolean, fill: (tmp: string) => T | Promise<T>): Promise<T> {
  const target = resolve(dir);
  if (existsSync(target) && !replace) {
    throw new ConfigError(`${dir} already exists`, 'choose another --out folder, or pass --force to replace it');
  }
  mkdirSync(dirname(target), { recursive: true });
  // mkdir (not mkdtemp, whose folder is private) so the folder gets the usual permissions.
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(tmp);
  let result: T;
  try {
    result = await fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (existsSync(target)) {
    const old = `${tmp}-old`;
    renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, target);
  return result;
}
