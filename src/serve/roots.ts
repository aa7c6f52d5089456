/**
 * The folders the server may read: the run folders it was given, the --runs folder, the --data
 * folder and its own page assets. Every file the server opens on its own account is checked
 * here first by its real path (symbolic links resolved), so no name — from a client or from a
 * link inside a run folder — reaches a file outside them. Clients never send paths at all (runs
 * are named by id), so this is the second wall, not the first.
 */
import { realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { notFound } from './errors.js';

export class Roots {
  private readonly real: string[] = [];

  /** Adds a folder (it must exist); returns its real path. */
  add(dir: string): string {
    const r = realpathSync(dir);
    if (!this.real.includes(r)) this.real.push(r);
    return r;
  }

  /** The real path of `path` when it exists inside a root, else null. */
  resolve(path: string): string | null {
    let r: string;
    try {
      r = realpathSync(path);
    } catch {
      return null;
    }
    return this.real.some((root) => r === root || r.startsWith(root.endsWith(sep) ? root : root + sep)) ? r : null;
  }

  /** `name` inside `dir` (a root or a folder within one), checked; a 404 otherwise. */
  file(dir: string, name: string): string {
    if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') throw notFound();
    const r = this.resolve(join(dir, name));
    if (r === null) throw notFound(`${name} is not there`);
    return r;
  }

  /** `name` inside `dir` when present and inside the roots, else null (no throw). */
  maybeFile(dir: string, name: string): string | null {
    try {
      return this.file(dir, name);
    } catch {
      return null;
    }
  }

  list(): readonly string[] {
    return this.real;
  }
}
