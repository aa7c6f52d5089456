/**
 * A full disk (issue 16). On a real, nearly full file system — a small tmpfs this test mounts when
 * it runs as root (skipped with the reason printed otherwise) — a run whose disk fills up in the
 * middle of a checkpoint stops with a clear error, keeps its previous checkpoint intact, and once
 * space is freed resumes to the same weights as a run that never lacked space; a prepare whose disk
 * fills up leaves no store that would be used, and prepares again once there is room. The same
 * paths run everywhere with the disk-full error injected (SLM_FAULT=enospc), so they are tested
 * without root too. Mounts are removed even when an assertion fails.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadStore } from '../src/data/open.js';
import { slm, trainArgs } from './helpers/crash.js';
import { scratch } from './helpers/fuzz.js';
import { makeTinyCorpus } from './helpers/tinyCorpus.js';

const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const work = scratch('disk');
const tiny = makeTinyCorpus(60, 12);
const store = join(work, 'store');
const STEPS = 8;

/** The run of these tests: a model large enough that a checkpoint spans several pages. */
function args(data: string, out: string): string[] {
  return trainArgs(data, out, STEPS, 64);
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.next$|\.tmp-\d+$/.test(f));
}

let reference: Buffer | null = null;
async function referenceWeights(): Promise<Buffer> {
  if (reference) return reference;
  if (!existsSync(join(store, 'manifest.json'))) {
    const p = await slm(['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', store, '--workers', '1']);
    assert.equal(p.code, 0, p.stderr);
  }
  const r = await slm(args(store, join(work, 'ref')));
  assert.equal(r.code, 0, r.stderr);
  reference = readFileSync(join(work, 'ref', 'model.safetensors'));
  return reference;
}

/** Checks the folder after a failed save: error words, no leftovers, a whole earlier checkpoint; then resumes it. */
async function checkStoppedThenResume(run: string, stderr: string): Promise<void> {
  assert.match(stderr, /no space left on the device while writing .*the checkpoint at step (\d+) was not saved; the checkpoint at step (\d+) in \S+ is intact/);
  assert.match(stderr, /hint: free some space .*then continue with slm train --resume/);
  assert.deepEqual(leftovers(run), [], 'no partial files are left to fill the disk');
  const state = JSON.parse(readFileSync(join(run, 'trainer.json'), 'utf8')) as { step: number };
  const kept = Number(/the checkpoint at step (\d+) in/.exec(stderr)![1]);
  assert.equal(state.step, kept, 'the checkpoint the message names is the one in the folder');
  const r = await slm(['train', '--resume', run]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(join(run, 'model.safetensors')).equals(await referenceWeights()), 'resumed to the uninterrupted run\'s weights');
}

describe('a full disk, injected (every machine)', () => {
  test('a checkpoint that cannot be written stops the run with the previous one intact; it resumes to the same weights', async () => {
    await referenceWeights();
    const run = join(work, 'inj-run');
    const r = await slm(args(store, run), { SLM_FAULT: 'enospc:write:model.safetensors.next@5' });
    assert.equal(r.code, 1, r.stderr);
    await checkStoppedThenResume(run, r.stderr);
  });

  test('a store that cannot be written is reported, never used, and prepared again', async () => {
    const out = join(work, 'inj-store');
    const a = ['prepare', '--input', tiny.dir, '--tokenizer', tiny.vocabPath, '--lowercase', '--out', out, '--workers', '1'];
    const r = await slm(a, { SLM_FAULT: 'enospc:write:test.bin' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no space left on the device while writing .*the store in \S+ is incomplete and will not be used/);
    assert.throws(() => loadStore(out), /incomplete token store: manifest\.json is missing/);
    assert.deepEqual(leftovers(out), []);
    assert.equal((await slm(a)).code, 0);
    loadStore(out);
  });
});

/** Mounts a tmpfs of `size` at a new folder; null (with the reason) when this process cannot. */
function mountTmpfs(size: string): { dir: string } | { reason: string } {
  if (process.platform !== 'linux') return { reason: `tmpfs mounts are Linux-only (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { reason: 'not running as root (mount -t tmpfs needs it)' };
  const dir = join(work, `tmpfs-${size}`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { reason: `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}` };
  mounts.push(dir);
  return { dir };
}

const mounts: string[] = [];
after(() => {
  for (const m of mounts) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
});

/** Fills the file system holding `dir` until a write fails; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(4096).fill(1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return path;
}

async function waitFor(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `slm ARGS` that pauses at `point`; fills the disk while it waits there; returns its result. */
async function fillWhilePaused(a: string[], point: string, dir: string, paused: () => boolean): Promise<{ code: number | null; stderr: string; filler: string }> {
  const child = spawn(process.execPath, [main, ...a], { env: { ...process.env, SLM_FAULT: `pause:${point}`, SLM_FAULT_PAUSE_MS: '3000' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  await waitFor(paused);
  const filler = fill(dir);
  return { code: await done, stderr, filler };
}

describe('a full disk, for real (a small tmpfs, as root)', () => {
  test('the disk fills up in the middle of a checkpoint: a clear error, the previous checkpoint intact, resumable once space is freed', async (t) => {
    const m = mountTmpfs('2m');
    if ('reason' in m) {
      t.skip(m.reason);
      process.stdout.write(`# skipped: ${m.reason}\n`);
      return;
    }
    await referenceWeights();
    const run = join(m.dir, 'run');
    // Paused while writing the 5th checkpoint's weights (a temporary file exists), the disk is filled.
    const r = await fillWhilePaused(args(store, run), 'write:model.safetensors.next@5', m.dir,
      () => existsSync(run) && readdirSync(run).some((f) => f.startsWith('model.safetensors.next.tmp-')));
    assert.equal(r.code, 1, r.stderr);
    unlinkSync(r.filler);
    await checkStoppedThenResume(run, r.stderr);
  });

  test('the disk fills up while a store is written: reported, never used, prepared again once space is freed', async (t) => {
    const m = mountTmpfs('2m');
    if ('reason' in m) {
      t.skip(m.reason);
      return;
    }
    const big = makeTinyCorpus(3000, 300);
    const out = join(m.dir, 'store');
    const a = ['prepare', '--input', big.dir, '--tokenizer', big.vocabPath, '--lowercase', '--out', out, '--workers', '1'];
    const r = await fillWhilePaused(a, 'write:train.bin', m.dir, () => existsSync(out) && readdirSync(out).some((f) => f.startsWith('train.bin.tmp-')));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no space left on the device while writing .*the store in \S+ is incomplete and will not be used/);
    assert.throws(() => loadStore(out));
    assert.deepEqual(leftovers(out), [], 'the partial store file is removed');
    unlinkSync(r.filler);
    const again = await slm(a);
    assert.equal(again.code, 0, again.stderr);
    loadStore(out);
    rmSync(out, { recursive: true, force: true });
  });
});
