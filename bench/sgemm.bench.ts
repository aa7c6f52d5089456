/**
 * sgemm throughput: GFLOP/s of the native kernel on the model's shapes (the tied-embedding logits
 * (B*T, C) @ (V, C)^T and its two backward products, an MLP-sized projection and its backward,
 * and a square reference point), against the reference kernel on small shapes (it is slow) and,
 * when PyTorch is installed, torch.matmul on the same shapes with 2 threads (bench/torch_sgemm.py,
 * one process per shape, right after the native timing, so both meet the same machine load).
 * Best of REPEATS runs after a warm-up. The machine's fp32 FMA peak (backend/native/peak.ts) is
 * measured at the start and at the end, and each shape's GFLOP/s is also given as a fraction of
 * the higher of the two. Writes bench/results/sgemm.json, with the load average and the peaks.
 *
 *   npx tsc -p . && node dist/bench/sgemm.bench.js        (REPEATS=3 by default)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { describePeak, measurePeak, type PeakResult } from '../src/backend/native/peak.js';
import { referenceKernels } from '../src/backend/reference/index.js';
import { filled } from './fill.js';
import { gflops, sgemmShapes, timeSgemm, type Shape } from './sgemmShapes.js';

const repeats = Number(process.env.REPEATS ?? 3); // best of N: shared machines are noisy
const shapes = sgemmShapes(repeats);
const withReference = new Set(shapes.filter((s) => s.name.includes('+reference')).map((s) => s.name));

const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
let torchInfo: string | null = null;

/**
 * torch.matmul GFLOP/s on one shape (run right after the native timing of the same shape, so both
 * see the same machine load), or null when PyTorch is not installed or the run failed.
 */
function torchGflops(s: Shape): number | null {
  if (!hasTorch) return null;
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be pinned on this machine for old OpenBLAS builds;
  // they slow a current one, so they are unset (both together) for this command alone.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const script = fileURLToPath(new URL('../../bench/torch_sgemm.py', import.meta.url));
  const res = spawnSync(python, [script, JSON.stringify([s])], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (res.status !== 0) {
    console.log(`torch benchmark failed: ${(res.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
    return null;
  }
  const out = JSON.parse(res.stdout) as { torch: string; blas: string; threads: number; results: { gflops: number }[] };
  torchInfo = `torch ${out.torch}, ${out.threads} threads, BLAS loaded: ${out.blas}`;
  return out.results[0]?.gflops ?? null;
}

const load = loadNativeAddon();
if (!load.ok) {
  console.log(`native addon not available (${load.reason}); nothing to benchmark`);
  process.exit(0);
}
const native = load.kernels;
const loadBefore = os.loadavg()[0]!;
console.log(`native: ${load.info.threads} threads, ${load.info.vectorWidth}, ${load.info.sgemm}; ${os.cpus()[0]?.model ?? ''}; ` +
  `load average ${loadBefore.toFixed(2)} on ${os.cpus().length} CPUs${loadBefore > 0.5 ? ' (other work is running: numbers are noisy)' : ''}`);

const peakStart: PeakResult = measurePeak();
console.log(describePeak(peakStart));

const rows: { name: string; M: number; N: number; K: number; transA: boolean; transB: boolean; nativeMs: number;
  nativeGflops: number; referenceGflops: number | null; torchGflops: number | null }[] = [];
const started = performance.now();
for (const s of shapes) {
  const A = filled(s.M * s.K, 1);
  const B = filled(s.K * s.N, 2);
  const Cm = new Float32Array(s.M * s.N);
  const ms = timeSgemm(native, s, A, B, Cm, s.reps);
  const refMs = withReference.has(s.name) ? timeSgemm(referenceKernels, s, A, B, Cm, 2) : null;
  rows.push({ name: s.name, M: s.M, N: s.N, K: s.K, transA: s.transA, transB: s.transB, nativeMs: ms,
    nativeGflops: gflops(s, ms), referenceGflops: refMs === null ? null : gflops(s, refMs), torchGflops: torchGflops(s) });
}

const peakEnd: PeakResult = measurePeak();
console.log(`at the end: ${describePeak(peakEnd)}`);
const peakGflops = Math.max(peakStart.available ? peakStart.fmaGflops : 0, peakEnd.available ? peakEnd.fmaGflops : 0) || null;

const fmt = (x: number | null, w: number): string => (x === null ? '-' : x.toFixed(1)).padStart(w);
console.log(`\n${'shape'.padEnd(34)} ${'M'.padStart(6)} ${'N'.padStart(6)} ${'K'.padStart(6)} ${'ms'.padStart(8)} ` +
  `${'native'.padStart(8)} ${'of peak'.padStart(7)} ${'ref'.padStart(6)} ${'torch'.padStart(7)} ${'nat/torch'.padStart(9)}   (GFLOP/s)`);
for (const r of rows) {
  const ratio = r.torchGflops ? r.nativeGflops / r.torchGflops : null;
  console.log(`${r.name.padEnd(34)} ${String(r.M).padStart(6)} ${String(r.N).padStart(6)} ${String(r.K).padStart(6)} ` +
    `${fmt(r.nativeMs, 8)} ${fmt(r.nativeGflops, 8)} ${(peakGflops ? `${(100 * r.nativeGflops / peakGflops).toFixed(0)}%` : '-').padStart(7)} ${fmt(r.referenceGflops, 6)} ${fmt(r.torchGflops, 7)} ` +
    `${ratio === null ? '-'.padStart(9) : `${ratio.toFixed(2)}x`.padStart(9)}`);
}
if (torchInfo) console.log(`\n${torchInfo}; each shape timed right after the native one`);
else console.log('\nPyTorch not installed: no torch column');
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}sgemm.json`, `${JSON.stringify({
  date: new Date().toISOString(), cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, repeats,
  loadAverage: [loadBefore, os.loadavg()[0]], native: load.info, torch: torchInfo, peak: { start: peakStart, end: peakEnd }, results: rows,
}, null, 2)}\n`);
console.log(`wrote ${outDir}sgemm.json`);
