#!/usr/bin/env node
/**
 * Builds the page of `slm serve`: type-checks web/ (its own tsconfig, with the DOM), bundles
 * web/main.ts and everything it imports — the browser-safe `slmkit` entry (dist/src/index.js,
 * compiled just before by tsc) and the shared API description — into dist/web/app.js with
 * esbuild, and copies index.html and style.css beside it. Nothing is fetched at run time: the
 * page works offline. Run by npm run build / prepare (so npm ci produces it) and by npm test.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const check = spawnSync(process.execPath, [tsc, '-p', join(root, 'web', 'tsconfig.json')], { stdio: 'inherit' });
if (check.status !== 0) {
  process.stderr.write('build-web: web/ does not type-check (see above)\n');
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const r = await build({
  entryPoints: [join(root, 'web', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  alias: { slmkit: join(root, 'dist', 'src', 'index.js') },
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const nodeInputs = Object.keys(r.metafile.inputs).filter((p) => p.startsWith('node:') || p.includes('backend/native'));
if (nodeInputs.length > 0) {
  process.stderr.write(`build-web: the page bundle pulled in Node-only modules: ${nodeInputs.join(', ')}\n`);
  process.exit(1);
}
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', f), join(out, f));
