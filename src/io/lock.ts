/**
 * One writer per folder. `slm train --out/--resume` holds RUN_DIR/slm.lock and `slm prepare` holds
 * STORE/slm.lock while they write, so a second command on the same folder is refused instead of
 * interleaving its files with the first's. The lock file is created exclusively (O_EXCL) and holds
 * who wrote it: pid, host, the process's start time (from /proc on Linux, so a reused pid is told
 * apart) and the command. A lock whose process is gone — killed with SIGKILL, the machine
 * restarted — is stale: the next writer on the same host takes it over, so a crash never leaves a
 * folder locked forever. A lock from another host cannot be checked and is reported with what it
 * says. Taking over a stale lock renames it aside first and checks what it moved, so two writers
 * racing for the same stale lock cannot both win. Locks are re-entrant within a process.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { processAlive } from './atomic.js';

export const LOCK_FILE = 'slm.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  processStart: number | null;
  /** When the lock was taken (ISO 8601). */
  since: string;
  command: string;
}

/** A held lock; release() gives it back (also done when the process exits normally). */
export interface FolderLock {
  readonly path: string;
  release(): void;
}

/** Why a lock could not be taken: the holder, in words, and what to do. */
export class LockBusy {
  constructor(readonly path: string, readonly holder: LockInfo | null, readonly why: string, readonly hint: string) {}
}

/** The start time of process `pid` in clock ticks since boot, or null where /proc is not there. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

const held = new Map<string, { count: number; token: string }>();

function readInfo(path: string): LockInfo | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, processStart: typeof v.processStart === 'number' ? v.processStart : null, since: String(v.since ?? '?'), command: String(v.command ?? '?') };
    }
  } catch { /* written half (the writer died between create and write): judged below */ }
  return 'unreadable';
}

/** Whether the process that wrote `info` is gone (stale lock). Only decidable on the same host. */
function isStale(info: LockInfo): boolean | 'unknown' {
  if (info.host !== hostname()) return 'unknown';
  if (!processAlive(info.pid)) return true;
  if (info.processStart !== null) {
    const now = processStartTime(info.pid);
    if (now !== null && now !== info.processStart) return true; // the pid was reused by another process
  }
  return false;
}

/** An unreadable lock younger than this may be one another process is still writing. */
const UNREADABLE_STALE_MS = 10_000;

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host}, since ${info.since}: ${info.command}`;
}

/**
 * Takes the lock of `dir` (which must exist) for this process, or returns why not. `what` names
 * the folder's kind for messages ("run folder", "token store").
 */
export function tryLockFolder(dir: string, what: string): FolderLock | LockBusy {
  const path = join(dir, LOCK_FILE);
  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return makeHandle(path);
  }
  const info: LockInfo = {
    pid: process.pid, host: hostname(), processStart: processStartTime(process.pid), since: new Date().toISOString(),
    command: [/cli\/main\.js$/.test(process.argv[1] ?? '') ? 'slm' : basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' ').slice(0, 300),
  };
  const text = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      held.set(path, { count: 1, token: text });
      return makeHandle(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const other = readInfo(path);
    if (other === null) continue; // released meanwhile: try again
    if (other === 'unreadable') {
      // Empty or cut short: a writer is between creating and filling it, or died there. Stale once old.
      if (ageMs(path) < UNREADABLE_STALE_MS) {
        return new LockBusy(path, null, `${dir} is being locked by another process (${path} is being written)`, 'run the command again in a moment');
      }
      takeOver(path, null);
      continue;
    }
    const stale = isStale(other);
    if (stale === false) {
      return new LockBusy(path, other, `${dir} is being written by another slm process (${describeHolder(other)})`,
        `wait for it to finish, or stop it; ${what === 'token store' ? 'prepare into another --out' : 'write to another --out'} to work beside it`);
    }
    if (stale === 'unknown') {
      return new LockBusy(path, other, `${dir} is locked by a process on another machine (${describeHolder(other)})`,
        `if that process is no longer running, delete ${path} and run the command again`);
    }
    takeOver(path, other);
  }
  return new LockBusy(path, null, `could not take the lock ${path}: other processes keep taking it`, 'run the command again');
}

/**
 * Moves a stale lock aside; if what was moved is not the stale lock judged (another writer took
 * the lock in between), puts it back. Returns whether the stale lock is gone.
 */
function takeOver(path: string, judged: LockInfo | null): boolean {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // gone already
  }
  const moved = readInfo(aside);
  const same = judged === null ? moved === 'unreadable' : moved !== null && moved !== 'unreadable' && moved.pid === judged.pid && moved.since === judged.since;
  if (!same) {
    try {
      if (!existsSync(path)) renameSync(aside, path);
      else unlinkSync(aside);
    } catch { /* raced: the next attempt decides */ }
    return false;
  }
  try { unlinkSync(aside); } catch { /* gone */ }
  return true;
}

function makeHandle(path: string): FolderLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const h = held.get(path);
      if (!h) return;
      if (--h.count > 0) return;
      held.delete(path);
      try {
        // Only our own lock file is removed, never one another process took over.
        if (readFileSync(path, 'utf8') === h.token) unlinkSync(path);
      } catch { /* gone */ }
    },
  };
}

// A process that ends normally (an error, an explicit exit, the second Ctrl-C) gives its locks back.
process.on('exit', () => {
  for (const [path, h] of held) {
    try {
      if (readFileSync(path, 'utf8') === h.token) unlinkSync(path);
    } catch { /* gone */ }
  }
});
