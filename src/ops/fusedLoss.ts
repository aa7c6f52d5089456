/**
 * Fused output layer + cross-entropy: the loss of `h @ W^T (+ b)` against targets without ever
 * holding the (N,V) logits. Rows are processed in chunks: logits of a chunk (rows,V) by sgemm,
 * their logsumexp and loss, then — since the upstream gradient of a scalar loss is known up to a
 * factor — the chunk's logit gradient w_r (softmax - onehot) in place, gh = dlogits @ W and
 * gW += dlogits^T @ h, all before the next chunk. Backward only scales those by the upstream
 * gradient. Memory is O(chunk·V) instead of O(N·V); compute equals forward + backward of the
 * unfused layers. W is packed once per call for both of its products (kernels' packB), not once
 * per chunk, and the chunk's bias add, loss and dlogits are one in-place pass (crossEntropyFused).
 * `embeddingCrossEntropy` does the same for the Markov chain, whose logits are rows
 * of its table: positions with the same input token share one row of logits, so the work is per
 * distinct token (a few thousand rows per batch) rather than per position (tens of thousands).
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, accumulateRowGrad, isGradEnabled, record } from '../tensor/autograd.js';
import { ConfigError, formatShape, ShapeError } from '../tensor/errors.js';
import { releaseBuffer, takeBuffer } from '../tensor/pool.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Rows per chunk: chunk·V floats near 64 MB. Each chunk streams the packed weight twice and the
 * weight gradient once, so deeper chunks amortise that; past ~600 rows the chunk's logits fall
 * out of cache. At V = 28,996, C = 256 (the notebook's low-rank head), 144-row chunks took 6.9-7.1 s
 * of head work per 42k-row step and 578-row chunks 5.7-6.1 s (bench/fusedHead.bench.ts).
 */
export function chunkRows(V: number): number {
  return Math.max(16, Math.min(1024, Math.floor((16 << 20) / Math.max(1, V))));
}

function checkTargets(op: string, targets: Tensor, N: number, V: number): Int32Array {
  const T = targets.i32(`${op} targets`);
  if (T.length !== N) throw new ShapeError(`${op}: ${T.length} targets for ${N} rows`);
  for (let i = 0; i < N; i++) {
    const t = T[i]!;
    if (t >= V || t < -1) throw new ShapeError(`${op}: target ${t} at row ${i} is outside the vocabulary of ${V}`);
  }
  return T;
}

/**
 * sum over rows r with target >= 0 of CE(h_r @ W^T + b, target_r), divided by `divisor`.
 * h (N,C), W (V,C), b (V) or null, targets (N) int32 (-1: skip the row). Returns a scalar.
 */
export function linearCrossEntropy(h: Tensor, W: Tensor, b: Tensor | null, targets: Tensor, divisor: number): Tensor {
  if (h.ndim !== 2 || W.ndim !== 2 || h.shape[1] !== W.shape[1]) {
    throw new ShapeError(`linearCrossEntropy: hidden ${formatShape(h.shape)} does not fit weight ${formatShape(W.shape)}`);
  }
  if (!(divisor > 0)) throw new ConfigError(`linearCrossEntropy: divisor must be > 0, got ${divisor}`);
  const [N, C] = h.shape as [number, number];
  const V = W.shape[0]!;
  if (b && b.size !== V) throw new ShapeError(`linearCrossEntropy: bias ${formatShape(b.shape)} does not fit ${V} outputs`);
  const tg = checkTargets('linearCrossEntropy', targets, N, V);
  const H = h.f32('hidden');
  const Wd = W.f32('weight');
  const Bd = b ? b.f32('bias') : null;
  const k = kernels();
  const wantGrad = isGradEnabled() && (h.requiresGrad || W.requiresGrad || (b?.requiresGrad ?? false));
  const gh = wantGrad && h.requiresGrad ? takeBuffer(N * C) : null;
  const gW = wantGrad && W.requiresGrad ? takeBuffer(V * C).fill(0) : null;
  const gb = wantGrad && b?.requiresGrad ? new Float32Array(V) : null;
  const R = Math.min(chunkRows(V), Math.max(1, N));
  const logits = takeBuffer(R * V);
  const loss = new Float32Array(R);
  const w = new Float32Array(R).fill(1 / divisor);
  // W is packed once for every chunk's products: as op(B) of the logits (W^T, (C,V)) and of gh (W, (V,C)).
  const WtP = takeBuffer(k.packedBSize(V, C));
  k.packB(true, V, C, Wd, WtP);
  const WP = gh ? takeBuffer(k.packedBSize(C, V)) : null;
  if (WP) k.packB(false, C, V, Wd, WP);
  let lse: Float32Array | null = null;
  let zeros: Float32Array | null = null;
  let total = 0;
  for (let r0 = 0; r0 < N; r0 += R) {
    const n = Math.min(R, N - r0);
    const hc = H.subarray(r0 * C, (r0 + n) * C);
    const tc = tg.subarray(r0, r0 + n);
    const lc = logits.subarray(0, n * V);
    k.sgemmPackedB(false, n, V, C, hc, WtP, lc, false); // (n,V) = hc (n,C) @ W^T
    if (wantGrad) {
      // Loss and dlogits = w_r (softmax - onehot) in place, bias added first; skipped rows zero;
      // the bias gradient summed in the same pass.
      k.crossEntropyFused(lc, Bd, tc, w, loss, n, V, gb);
    } else if (Bd) {
      // Evaluation with a bias: the fused pass with zero weights adds it and takes the loss in
      // one read of the logits (addBroadcast, then crossEntropyForward, read them twice).
      zeros ??= new Float32Array(R);
      k.crossEntropyFused(lc, Bd, tc, zeros, loss, n, V);
    } else {
      lse ??= new Float32Array(R);
      k.crossEntropyForward(lc, tc, loss, lse, n, V);
    }
    for (let i = 0; i < n; i++) total += loss[i]!;
    if (!wantGrad) continue;
    if (gh && WP) k.sgemmPackedB(false, n, C, V, lc, WP, gh.subarray(r0 * C, (r0 + n) * C), false); // (n,C)
    if (gW) k.sgemm(true, false, V, C, n, lc, hc, gW, true); // (V,C) += dlogits^T @ hc
  }
  releaseBuffer(logits);
  releaseBuffer(WtP);
  if (WP) releaseBuffer(WP);
  const out = new Tensor(Float32Array.of(total / divisor), []);
  const saved = [gh, gW].filter((x): x is Float32Array => x !== null);
  return record(out, {
    op: 'linearCrossEntropy',
    parents: b ? [h, W, b] : [h, W],
    saved,
    backward: (g) => {
      const s = g[0]!;
      if (gh) accumulateGrad(h, (dst, acc) => k.axpy(s, gh, dst, acc));
      if (gW) accumulateGrad(W, (dst, acc) => k.axpy(s, gW, dst, acc));
      if (gb && b) accumulateGrad(b, (dst, acc) => k.axpy(s, gb, dst, acc));
    },
  });
}

/**
 * The Markov chain's loss: logits of token r are row ids[r] of table (V,V). Sum of CE over rows
 * with target >= 0, divided by `divisor`; the gradient scatters into the rows that were used.
 *
 * Every position whose input is token d has the same logits, row d, so with n_d such positions:
 *   forward   lse_d = logsumexp(table[d]) once per distinct d; loss_r = lse_d - table[d, t_r]
 *   backward  dtable[d] = (n_d / divisor) softmax(table[d]) - (1 / divisor) sum_r onehot(t_r)
 * (times the upstream gradient). Backward recomputes the softmax from the table, writing each
 * gradient row once, straight into the table's row-sparse gradient buffer; the table must not
 * change between forward and backward.
 */
export function embeddingCrossEntropy(ids: Tensor, table: Tensor, targets: Tensor, divisor: number): Tensor {
  const I = ids.i32('ids');
  const Wd = table.f32('table');
  if (table.ndim !== 2) throw new ShapeError(`embeddingCrossEntropy: table must be (V, V), got ${formatShape(table.shape)}`);
  if (!(divisor > 0)) throw new ConfigError(`embeddingCrossEntropy: divisor must be > 0, got ${divisor}`);
  const [Vin, V] = table.shape as [number, number];
  const N = I.length;
  const tg = checkTargets('embeddingCrossEntropy', targets, N, V);
  for (let i = 0; i < N; i++) {
    if (I[i]! < 0 || I[i]! >= Vin) throw new ShapeError(`embeddingCrossEntropy: id ${I[i]} at row ${i} is outside the table's ${Vin} rows`);
  }
  const k = kernels();
  // The distinct input tokens of rows that have a target, sorted: slot[d] is d's index among them.
  const slot = new Int32Array(Vin).fill(-1);
  for (let i = 0; i < N; i++) if (tg[i]! >= 0) slot[I[i]!] = 0;
  let n = 0;
  for (let d = 0; d < Vin; d++) if (slot[d] === 0) slot[d] = n++;
  const rows = new Int32Array(n); // (n) table rows
  const counts = new Float64Array(n); // (n) positions per row
  const rowOf = new Int32Array(N); // (N) index into rows, -1 for skipped positions
  for (let d = 0, j = 0; d < Vin && j < n; d++) if (slot[d]! >= 0) rows[j++] = d;
  for (let i = 0; i < N; i++) {
    const j = tg[i]! >= 0 ? slot[I[i]!]! : -1;
    rowOf[i] = j;
    if (j >= 0) counts[j]!++;
  }
  const lse = new Float32Array(n);
  k.gatherLogSumExp(Wd, rows, lse, V);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const j = rowOf[i]!;
    if (j >= 0) total += Math.fround(lse[j]! - Wd[I[i]! * V + tg[i]!]!);
  }
  const out = new Tensor(Float32Array.of(total / divisor), []);
  if (!isGradEnabled() || !table.requiresGrad) return out;
  return record(out, {
    op: 'embeddingCrossEntropy',
    parents: [table],
    backward: (g) => {
      const s = g[0]!;
      accumulateRowGrad(table, rows, (values) => {
        const scale = new Float32Array(n);
        for (let j = 0; j < n; j++) scale[j] = (s * counts[j]!) / divisor;
        k.gatherSoftmax(Wd, rows, lse, scale, values, V); // (n,V)
        const w = s / divisor;
        for (let i = 0; i < N; i++) {
          const j = rowOf[i]!;
          if (j >= 0) values[j * V + tg[i]!]! -= w;
        }
      });
    },
  });
}
