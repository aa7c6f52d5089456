/**
 * Whole-file I/O helpers. Atomic writes: write to a temporary file beside the target, fsync, rename
 * over it, then fsync the folder, so a crash, a SIGKILL or a full disk mid-write leaves either the
 * old file or the new one, never half of one; `writeFolderAtomic` does the same for a folder of
 * files. A temporary file that a killed process left behind is named `NAME.tmp-PID`;
 * `removeStaleTemps` clears them once the folder's lock is held. `readFully` reads a byte range in
 * as many calls as the OS needs; `writeFailure` words a failed write (a full disk above all) for
 * the typed error the caller throws.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../tensor/errors.js';
import { faultPoint } from './faults.js';

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

/** Writes all of `bytes` to `fd` (at the current position, or at `position`). */
export function writeFully(fd: number, bytes: Uint8Array, position?: number): void {
  let off = 0;
  while (off < bytes.length) {
    const n = Math.min(bytes.length - off, 1 << 30);
    off += position === undefined ? writeSync(fd, bytes, off, n) : writeSync(fd, bytes, off, n, position + off);
  }
}

/** Makes a rename or unlink in `dir` durable (a no-op where folders cannot be synced). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch { /* EINVAL/EISDIR on file systems without folder sync */ } finally {
    closeSync(fd);
  }
}

/** The temporary name this process writes `path` under. */
export function tempName(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** Writes all `chunks` to `path` atomically. */
export function writeFileAtomic(path: string, chunks: Uint8Array | string | (Uint8Array | string)[]): void {
  const tmp = tempName(path);
  const name = basename(path);
  const parts = (Array.isArray(chunks) ? chunks : [chunks]).map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
  const fd = openSync(tmp, 'w');
  try {
    parts.forEach((bytes, i) => {
      if (i === parts.length >> 1) faultPoint(`write:${name}`); // half the parts written: a torn file if it dies here
      writeFully(fd, bytes);
    });
    if (parts.length <= 1) faultPoint(`write:${name}`);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw err;
  }
  closeSync(fd);
  faultPoint(`rename:${name}`);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** Whether `pid` is a running process on this machine (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `NAME.tmp-PID` files in `dir` for the given names whose writer is no longer running
 * (left by a killed process: a checkpoint's can be gigabytes). Returns the names removed.
 */
export function removeStaleTemps(dir: string, names: readonly string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const m = /^(.*)\.tmp-(\d+)$/.exec(e);
    if (!m || !names.includes(m[1]!) || Number(m[2]) === process.pid || processAlive(Number(m[2]))) continue;
    try {
      unlinkSync(join(dir, e));
      removed.push(e);
    } catch { /* raced with another cleaner */ }
  }
  return removed;
}

/** Error codes of writes that failed for lack of room. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** Whether `err` is a write that failed because the disk (or quota) is full. */
export function isDiskFull(err: unknown): boolean {
  return FULL.has((err as NodeJS.ErrnoException | null)?.code ?? '');
}

/** What went wrong writing `path`, in words, for a typed error: {message, hint} (null: not a file-system error). */
export function writeFailure(err: unknown, path: string): { message: string; hint: string } | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return null;
  if (isDiskFull(err)) {
    return { message: `no space left on the device while writing ${path} (${code})`, hint: 'free some space (or choose a folder on a larger disk), then run the command again' };
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return { message: `cannot write ${path}: ${code === 'EROFS' ? 'the file system is read-only' : 'permission denied'} (${code})`, hint: 'choose a folder you can write to' };
  }
  if (code === 'EIO') return { message: `input/output error while writing ${path} (EIO)`, hint: 'the disk may be failing; check it, then run the command again' };
  return { message: `cannot write ${path}: ${(err as Error).message}`, hint: 'check the folder and the disk, then run the command again' };
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
