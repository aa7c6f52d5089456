/**
 * The fused output layer's chunk size (ops/fusedLoss.ts chunkRows): the low-rank head's work per
 * chunk of R rows — logits by sgemm against the packed weight, the fused softmax/cross-entropy pass,
 * dlogits @ W and the accumulated dlogits^T @ h — timed kernel by kernel for several R, and scaled
 * to a 42k-row training step (the notebook's batch of 128 PubMed documents). Native backend only.
 * Writes bench/results/fusedHead.json.
 *
 *   npx tsc -p . && node dist/bench/fusedHead.bench.js      HEAD_C=256 (width) · HEAD_ROWS=5760 (rows per sweep)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNativeAddon } from '../src/backend/native/addon.js';
import { chunkRows } from '../src/ops/fusedLoss.js';
import { filled } from './fill.js';

const V = 28996;
const C = Number(process.env.HEAD_C ?? 256);
const rowsPerSweep = Number(process.env.HEAD_ROWS ?? 5760);
const stepRows = 42000;

const load = loadNativeAddon();
if (!load.ok) {
  console.log(`native addon not available (${load.reason}); nothing to benchmark`);
  process.exit(0);
}
const k = load.kernels;

const W = filled(V * C, 1, 0.2);
const H = filled(rowsPerSweep * C, 2, 0.2);
const targets = Int32Array.from({ length: rowsPerSweep }, (_, i) => (i * 7919) % V);
const WtP = new Float32Array(k.packedBSize(V, C));
const WP = new Float32Array(k.packedBSize(C, V));
k.packB(true, V, C, W, WtP);
k.packB(false, C, V, W, WP);
const gh = new Float32Array(rowsPerSweep * C);
const gW = new Float32Array(V * C);

const current = chunkRows(V);
const sizes = [...new Set([96, 144, 288, 432, current, 1024])].sort((a, b) => a - b);
const results: { rows: number; msPerChunk: Record<string, number>; stepSeconds: number }[] = [];
console.log(`fused head V=${V} C=${C}: ${rowsPerSweep} rows per sweep, best of 3 sweeps; chunkRows(V) = ${current}`);
for (const R of sizes) {
  const logits = new Float32Array(R * V);
  const loss = new Float32Array(R);
  const w = new Float32Array(R).fill(1 / stepRows);
  const chunks = Math.floor(rowsPerSweep / R);
  let best: Record<string, number> | null = null;
  for (let rep = 0; rep < 3; rep++) {
    const t = { logits: 0, crossEntropy: 0, gh: 0, gW: 0 };
    for (let c = 0; c < chunks; c++) {
      const hc = H.subarray(c * R * C, (c + 1) * R * C);
      let a = performance.now();
      k.sgemmPackedB(false, R, V, C, hc, WtP, logits, false);
      let b = performance.now();
      t.logits += b - a;
      k.crossEntropyFused(logits, null, targets.subarray(c * R, (c + 1) * R), w, loss, R, V);
      a = performance.now();
      t.crossEntropy += a - b;
      k.sgemmPackedB(false, R, C, V, logits, WP, gh.subarray(c * R * C, (c + 1) * R * C), false);
      b = performance.now();
      t.gh += b - a;
      k.sgemm(true, false, V, C, R, logits, hc, gW, true);
      t.gW += performance.now() - b;
    }
    const per = Object.fromEntries(Object.entries(t).map(([key, ms]) => [key, ms / chunks]));
    const total = (x: Record<string, number>) => Object.values(x).reduce((s, v) => s + v, 0);
    if (!best || total(per) < total(best)) best = per;
  }
  const perChunk = Object.values(best!).reduce((s, v) => s + v, 0);
  const stepSeconds = (perChunk / R) * stepRows / 1000;
  const gf = (ms: number) => ((2 * R * V * C) / (ms * 1e6)).toFixed(0);
  console.log(`R=${String(R).padStart(4)}${R === current ? '*' : ' '} per chunk: logits ${best!.logits!.toFixed(2)} ms (${gf(best!.logits!)} GFLOP/s), ` +
    `cross-entropy ${best!.crossEntropy!.toFixed(2)} ms, dlogits@W ${best!.gh!.toFixed(2)} ms (${gf(best!.gh!)}), ` +
    `dlogits^T@h ${best!.gW!.toFixed(2)} ms (${gf(best!.gW!)}); ${stepSeconds.toFixed(2)} s per ${stepRows}-row step`);
  results.push({ rows: R, msPerChunk: best!, stepSeconds });
}
console.log('(* the chunk size slmkit uses at this vocabulary)');

const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}fusedHead.json`, `${JSON.stringify({ date: new Date().toISOString(), V, C, rowsPerSweep, chunkRows: current, results }, null, 2)}\n`);
console.log(`wrote ${outDir}fusedHead.json`);
