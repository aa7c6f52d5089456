/**
 * Large tensor buffers (tensor/alloc.ts, native/hugealloc.cc): buffers from LARGE_BYTES up come
 * from the installed large allocator and smaller ones do not; parameters, gradients and AdamW's
 * moments are allocated through it; the native allocator's buffers are zeroed, writable, and
 * unmapped when collected (a loop of 64 MiB buffers does not grow the process); SLM_HUGE_PAGES=0
 * leaves the plain allocator in place.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as F from '../src/ops/index.js';
import { AdamW } from '../src/optim/adamw.js';
import { allocF32, LARGE_BYTES, setLargeAllocator } from '../src/tensor/alloc.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cliRunner } from './helpers/cli.js';
import { load, skip } from './helpers/nativeTwin.js';

test('buffers from LARGE_BYTES up come from the large allocator: weights, gradients and AdamW moments', () => {
  const sizes: number[] = [];
  const prev = setLargeAllocator((n) => { sizes.push(n); return new Float32Array(n); });
  try {
    const big = LARGE_BYTES / 4;
    assert.equal(allocF32(big - 1).length, big - 1);
    assert.deepEqual(sizes, [], 'below the threshold: a plain array');
    const w = Tensor.zeros([2, big / 2], true);
    assert.deepEqual(sizes, [big]);
    F.sum(w).backward();
    assert.deepEqual(sizes, [big, big], 'its gradient too');
    const opt = new AdamW([w], { lr: 0.1 });
    opt.step();
    assert.equal(sizes.length, 4, 'and the two moments');
    assert.ok(w.f32().every((x) => Math.abs(x + 0.1) < 1e-6), 'and the update is right');
  } finally {
    setLargeAllocator(prev);
  }
});

test('the native large buffers are zeroed, writable and unmapped when collected', { skip }, async () => {
  if (!load.ok || !load.machine?.allocLarge) return;
  const alloc = load.machine.allocLarge;
  const gc = (globalThis as { gc?: () => void }).gc;
  // Finalizers run after the collection, once the event loop turns (as between training steps).
  const collect = async () => { gc?.(); await new Promise((r) => setImmediate(r)); };
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 40; i++) {
    const f = new Float32Array(alloc(64 << 20));
    assert.equal(f.length, 16 << 20);
    assert.ok(f[0] === 0 && f[f.length - 1] === 0 && f[12345] === 0);
    f.fill(i + 1); // touch every page
    assert.equal(f[f.length - 1], i + 1);
    if (i % 4 === 3) await collect();
  }
  await collect();
  const grown = process.memoryUsage().rss - rss0;
  // 40 × 64 MiB = 2.5 GiB were touched; collected buffers are unmapped, so far less stays resident.
  assert.ok(grown < 1.2 * 2 ** 30, `resident memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  assert.throws(() => alloc(0), /bytes must be positive/);
});

test('SLM_HUGE_PAGES=0 keeps the plain allocator', { skip }, () => {
  const probe = (env: Record<string, string>) => {
    const code = "import('./dist/src/backend/native/autoload.js').then(async () => { const a = await import('./dist/src/tensor/alloc.js'); "
      + 'const prev = a.setLargeAllocator(null); console.log(prev === null ? "plain" : "large"); })';
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(probe({ SLM_HUGE_PAGES: '' }), 'large');
  assert.equal(probe({ SLM_HUGE_PAGES: '0' }), 'plain');
  // slm info says which.
  const { slm } = cliRunner('alloc');
  assert.match(slm('info').stdout, /buffers +from 8 MiB: own mappings advised for huge pages/);
});
