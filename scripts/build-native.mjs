#!/usr/bin/env node
// Builds the optional C++ addon during `npm ci` / `npm install` with node-gyp (bundled with npm),
// for this machine's CPU. A failed build never fails the install: slmkit then runs on its
// pure-TypeScript reference backend and says so once at run time. SLM_SKIP_NATIVE=1 skips it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.SLM_SKIP_NATIVE === '1' || !existsSync(join(root, 'binding.gyp'))) process.exit(0);

const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (res.status !== 0) {
  const why = res.error ? res.error.message : (res.stderr || res.stdout || '').trim().split('\n').slice(-3).join(' | ');
  process.stderr.write(`slmkit: native addon not built (${why}); the reference backend will be used.\n`);
}
process.exit(0);
