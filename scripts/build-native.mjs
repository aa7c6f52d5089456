#!/usr/bin/env node
// Builds the optional C++ addon during `npm ci` / `npm install` with node-gyp (bundled with npm),
// for this machine's CPU. A failed build never fails the install: slmkit then runs on its
// pure-TypeScript reference backend and says so once at run time. SLM_SKIP_NATIVE=1 skips it.
//
// By hand (`npm run build:native`, or `node scripts/build-native.mjs [build]`): `build` recompiles
// only what changed instead of rebuilding from scratch. Outside npm there is no npm_config_*
// environment, so node-gyp is looked up next to this Node's npm and the headers installed with
// this Node are used: node-gyp would otherwise try to download them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.SLM_SKIP_NATIVE === '1' || !existsSync(join(root, 'binding.gyp'))) process.exit(0);
const byHand = !process.env.npm_lifecycle_event || process.env.npm_lifecycle_event === 'build:native';
const action = process.argv[2] === 'build' ? 'build' : 'rebuild';
const prefix = dirname(dirname(process.execPath)); // where this Node is installed

/** node-gyp's script: npm's setting, else the copy bundled with the npm beside this Node, else null (PATH). */
function nodeGypScript() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  for (const lib of [join(prefix, 'lib', 'node_modules'), join(prefix, 'node_modules')]) {
    const script = join(lib, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(script)) return script;
  }
  return null;
}

const args = [action];
if (!process.env.npm_config_nodedir) {
  // Headers installed with this Node (Debian's nodejs-dev, the official tarballs) need no download.
  if (existsSync(join(prefix, 'include', 'node', 'node.h'))) args.push(`--nodedir=${prefix}`);
}
const script = nodeGypScript();
const [cmd, cmdArgs] = script ? [process.execPath, [script, ...args]] : ['node-gyp', args];
const res = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (res.status !== 0) {
  const why = res.error ? res.error.message : (res.stderr || res.stdout || '').trim().split('\n').slice(-3).join(' | ');
  process.stderr.write(`slmkit: native addon not built (${why}); the reference backend will be used.\n`);
} else if (byHand) {
  process.stdout.write(`slmkit: native addon built (${action}): build/Release/slmkit_native.node\n`);
}
process.exit(0);
