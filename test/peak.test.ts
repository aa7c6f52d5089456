/**
 * The machine probes and the kernels' thread count (backend/native/peak.ts, native/peak.cc):
 * the probes return positive, finite figures on the kernels' threads (no timing is asserted: a
 * shared machine gives what it gives), a missing addon gives a clear "n/a" with the reason, and
 * the thread count can be lowered and restored at run time with kernels still giving the same
 * results; `slm info --peak` reports the same. Native parts are skipped, with the reason, when the
 * addon is not built.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { describePeak, measurePeak, nativeThreads, setNativeThreads } from '../src/backend/native/peak.js';
import { ConfigError } from '../src/tensor/errors.js';
import { Rng } from '../src/tensor/rng.js';
import { cliJson, cliRunner } from './helpers/cli.js';
import { load, nat, skip } from './helpers/nativeTwin.js';

const { slm } = cliRunner('peak');

describe('machine peak probes', { skip }, () => {
  const start = nativeThreads();
  after(() => {
    if (start) setNativeThreads(start.threads);
  });

  test('measurePeak returns positive finite FMA and bandwidth figures on the kernels\' threads', () => {
    const p = measurePeak({ seconds: 0.05, bufferBytes: 8 * 2 ** 20 });
    assert.equal(p.available, true);
    if (!p.available) return;
    for (const k of ['fmaGflops', 'readGBs', 'triadGBs', 'seconds'] as const) {
      assert.ok(Number.isFinite(p[k]) && p[k] > 0, `${k} = ${p[k]}`);
    }
    assert.equal(p.threads, nativeThreads()!.threads);
    assert.equal(p.vectorBits, load.ok ? load.info.vectorBits : -1);
    assert.ok(p.chains >= 1);
    assert.ok(p.bufferBytes > 0 && p.bufferBytes <= 8 * 2 ** 20, `buffer ${p.bufferBytes}`);
    assert.match(describePeak(p), /^peak \d+ GFLOP\/s fp32 FMA, [\d.]+ GB\/s read, [\d.]+ GB\/s triad \(\d+ threads?, (avx512|avx2|scalar)\)$/);
  });

  test('bad probe settings are refused with a ConfigError', () => {
    assert.throws(() => measurePeak({ seconds: Number.NaN }), ConfigError);
    assert.throws(() => measurePeak({ bufferBytes: 0 }), ConfigError);
  });

  test('the kernels\' thread count can be lowered to 1 and restored, and sgemm gives the same products', () => {
    const { threads, maxThreads } = nativeThreads()!;
    assert.ok(threads >= 1 && maxThreads >= threads);
    const [M, N, K] = [300, 200, 500]; // large enough for sgemm to split across threads
    const rng = new Rng(7);
    const A = Float32Array.from({ length: M * K }, () => rng.normal());
    const B = Float32Array.from({ length: K * N }, () => rng.normal());
    const atAll = new Float32Array(M * N);
    nat.sgemm(false, false, M, N, K, A, B, atAll, false);

    assert.equal(setNativeThreads(1), threads);
    assert.equal(nativeThreads()!.threads, 1);
    const p = measurePeak({ seconds: 0.02, bufferBytes: 2 ** 20 });
    assert.ok(p.available && p.threads === 1 && p.fmaGflops > 0);
    const atOne = new Float32Array(M * N);
    nat.sgemm(false, false, M, N, K, A, B, atOne, false);
    for (let i = 0; i < atOne.length; i++) assert.ok(Math.abs(atOne[i]! - atAll[i]!) <= 1e-4 * (1 + Math.abs(atAll[i]!)), `element ${i}`);

    assert.equal(setNativeThreads(10_000), 1); // clamped to the pool's size
    assert.equal(nativeThreads()!.threads, maxThreads);
    assert.throws(() => setNativeThreads(0), ConfigError);
    assert.throws(() => setNativeThreads(1.5), ConfigError);
  });
});

describe('slm info --peak', { skip }, () => {
  test('adds the measured peak to the JSON and a peak line to the table; plain info measures nothing', () => {
    const info = cliJson<{ peak?: { available: boolean; fmaGflops: number; readGBs: number; triadGBs: number; threads: number } }>(slm('info', '--peak', '--json'));
    assert.equal(info.peak?.available, true);
    for (const k of ['fmaGflops', 'readGBs', 'triadGBs', 'threads'] as const) assert.ok(Number.isFinite(info.peak![k]) && info.peak![k] > 0, `${k} = ${info.peak![k]}`);
    assert.equal('peak' in cliJson(slm('info', '--json')), false);
    const table = slm('info', '--peak');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^peak {7}\d+ GFLOP\/s fp32 FMA, [\d.]+ GB\/s read, [\d.]+ GB\/s triad \(\d+ threads?, \w+\)$/m);
  });
});

describe('machine peak without the addon', () => {
  test('measurePeak says n/a with the reason, and setNativeThreads refuses', () => {
    const saved = process.env.SLM_NATIVE_ADDON;
    process.env.SLM_NATIVE_ADDON = '/nonexistent/slmkit_native.node';
    try {
      const p = measurePeak();
      assert.equal(p.available, false);
      assert.match(p.available ? '' : p.reason, /native addon not available: \/nonexistent\/slmkit_native\.node not found/);
      assert.match(describePeak(p), /^peak n\/a \(native addon not available/);
      assert.equal(nativeThreads(), null);
      assert.throws(() => setNativeThreads(1), (e: unknown) => e instanceof ConfigError && /cannot set the kernels' threads/.test(e.message));
      // The CLI says n/a too, and still exits 0: the rest of `slm info` holds.
      const info = cliJson<{ backend: string; peak: { available: boolean; reason: string } }>(slm('info', '--peak', '--json'));
      assert.equal(info.backend, 'reference');
      assert.equal(info.peak.available, false);
      assert.match(info.peak.reason, /not found/);
    } finally {
      if (saved === undefined) delete process.env.SLM_NATIVE_ADDON;
      else process.env.SLM_NATIVE_ADDON = saved;
    }
  });
});
