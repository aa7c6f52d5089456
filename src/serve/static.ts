/**
 * The page's own files (dist/web, built by scripts/build-web.mjs at npm ci / npm run build), read
 * once at start into memory and served from a fixed table of names. A request path is only ever
 * looked up in that table, never joined to a folder, so `/../../etc/passwd`, `%2e%2e%2f…` and
 * every other spelling of a path outside it is a 404 without touching the disk.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../tensor/errors.js';
import type { Roots } from './roots.js';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** dist/web beside this module (dist/src/serve → dist/web). */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../web/', import.meta.url));
}

/** Reads every file of the web folder into a table keyed by URL path ("/" is index.html). */
export function loadAssets(dir: string, roots: Roots): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new ConfigError(`the page is not built: ${join(dir, 'index.html')} is missing`, 'run npm run build (npm ci does it) to bundle web/ into dist/web/');
  }
  const root = roots.add(dir);
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile() && types[extname(ent.name)] && roots.resolve(p)) {
        const body = readFileSync(p);
        const url = `/${relative(root, p).split(sep).join('/')}`;
        out.set(url, { body, type: types[extname(ent.name)]!, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` });
      }
    }
  };
  walk(root);
  out.set('/', out.get('/index.html')!);
  return out;
}
