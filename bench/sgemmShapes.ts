/**
 * The products the sgemm benchmarks time (sgemm.bench.ts against PyTorch, threads.bench.ts at 1
 * and 2 threads): the tied-embedding logits (B*T, C) @ (V, C)^T and its two backward products, an
 * MLP-sized projection and its backward, a square reference point and two small shapes, and the
 * timing loop they share.
 */
import type { Kernels } from '../src/backend/kernels.js';

export interface Shape { name: string; M: number; N: number; K: number; transA: boolean; transB: boolean; reps: number }

const V = 28996; // BERT cased vocabulary
const C = 256; // model width
const BT = 8192; // tokens per batch (B*T)

/** The shapes, each timed `repeats` times (the cheap ones 5 × as often). */
export function sgemmShapes(repeats: number): Shape[] {
  return [
    { name: 'logits (BT,C)@(V,C)^T', M: BT, N: V, K: C, transA: false, transB: true, reps: repeats },
    { name: 'gX (BT,V)@(V,C)', M: BT, N: C, K: V, transA: false, transB: false, reps: repeats },
    { name: 'gW (BT,V)^T@(BT,C)', M: V, N: C, K: BT, transA: true, transB: false, reps: repeats },
    { name: 'mlp (BT,128)@(512,128)^T', M: BT, N: 512, K: 128, transA: false, transB: true, reps: 5 * repeats },
    { name: 'mlp gX (BT,512)@(512,128)', M: BT, N: 128, K: 512, transA: false, transB: false, reps: 5 * repeats },
    { name: 'mlp gW (BT,512)^T@(BT,128)', M: 512, N: 128, K: BT, transA: true, transB: false, reps: 5 * repeats },
    { name: 'square 1024', M: 1024, N: 1024, K: 1024, transA: false, transB: false, reps: 5 * repeats },
    { name: 'small 256 (+reference)', M: 256, N: 256, K: 256, transA: false, transB: false, reps: 5 * repeats },
    { name: 'small 256x512x128^T (+reference)', M: 256, N: 512, K: 128, transA: false, transB: true, reps: 5 * repeats },
  ];
}

/** Best wall time in ms of `reps` runs after one warm-up. */
export function timeSgemm(k: Kernels, s: Shape, A: Float32Array, B: Float32Array, Cm: Float32Array, reps: number): number {
  k.sgemm(s.transA, s.transB, s.M, s.N, s.K, A, B, Cm, false);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    k.sgemm(s.transA, s.transB, s.M, s.N, s.K, A, B, Cm, false);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** GFLOP/s of one product of `s` in `ms` milliseconds (2·M·N·K FLOPs). */
export const gflops = (s: Shape, ms: number): number => (2 * s.M * s.N * s.K) / (ms * 1e6);
