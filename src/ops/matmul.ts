/**
 * Matrix products. `matmul` covers (M,K)@(K,N), a batch of matrices against one matrix
 * ((...,M,K)@(K,N), folded into one sgemm), and batched (B,M,K)@(B,K,N), each with optional
 * transposes. `linear` is PyTorch's: x (...,in) @ w (out,in)^T + b (out).
 * Backward: gA = gC @ op(B)^T, gB = op(A)^T @ gC, written straight into the gradient buffers.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { shapeSize, Tensor } from '../tensor/tensor.js';

export interface MatmulOptions {
  /** Use A transposed: A's last two dims are (K,M). */
  transA?: boolean;
  /** Use B transposed: B's last two dims are (N,K). */
  transB?: boolean;
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const A = a.f32('matmul input A');
  const Bd = b.f32('matmul input B');
  if (a.ndim < 2 || b.ndim < 2) {
    throw new ShapeError(`matmul: needs at least 2-D operands, got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  }
  const aRows = a.shape[a.ndim - 2]!;
  const aCols = a.shape[a.ndim - 1]!;
  const bRows = b.shape[b.ndim - 2]!;
  const bCols = b.shape[b.ndim - 1]!;
  // From the leading dims, not size / (rows * cols): that is 0/0 when K (or M, N) is zero.
  const aBatch = shapeSize(a.shape.slice(0, -2));
  const bBatch = shapeSize(b.shape.slice(0, -2));
  const outRows = transA ? aCols : aRows;
  let M = outRows;
  const K = transA ? aRows : aCols;
  const Kb = transB ? bCols : bRows;
  const N = transB ? bRows : bCols;
  const what = `matmul: ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''}`;
  if (K !== Kb) throw new ShapeError(`${what}: inner dimensions ${K} and ${Kb} differ`);
  if (b.ndim > 2 && (b.ndim !== a.ndim || aBatch !== bBatch || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i]))) {
    throw new ShapeError(`${what}: batch dimensions differ`, 'batched matmul needs the same leading dimensions, or a 2-D right operand');
  }
  const k = kernels();
  // A batch against one matrix (no transA) folds into a single (batch*M, K) @ (K, N) product.
  const fold = bBatch === 1 && !transA;
  const batch = fold ? 1 : aBatch;
  if (fold) M *= aBatch;
  const out = new Tensor(new Float32Array(aBatch * outRows * N), [...a.shape.slice(0, -2), outRows, N]);
  const C = out.f32();
  const aStride = fold ? 0 : aRows * aCols;
  const bStride = bBatch === 1 ? 0 : bRows * bCols;
  for (let i = 0; i < batch; i++) {
    k.sgemm(transA, transB, M, N, K, A.subarray(i * aStride, i * aStride + M * K),
      Bd.subarray(i * bStride, i * bStride + K * N), C.subarray(i * M * N, (i + 1) * M * N), false);
  }
  return record(out, {
    op: 'matmul',
    parents: [a, b],
    backward: (g) => {
      accumulateGrad(a, (gA, acc) => {
        for (let i = 0; i < batch; i++) {
          const gC = g.subarray(i * M * N, (i + 1) * M * N);
          const Bi = Bd.subarray(i * bStride, i * bStride + K * N);
          const dst = gA.subarray(i * M * K, (i + 1) * M * K);
          // op(A) = gC @ op(B)^T; when transA, A = op(A)^T = op(B) @ gC^T
          if (!transA) k.sgemm(false, !transB, M, K, N, gC, Bi, dst, acc);
          else k.sgemm(transB, true, K, M, N, Bi, gC, dst, acc);
        }
      });
      accumulateGrad(b, (gB, acc) => {
        // An empty batch against one matrix runs no product below, yet gB must still be written.
        if (batch === 0 && !acc) gB.fill(0);
        for (let i = 0; i < batch; i++) {
          const gC = g.subarray(i * M * N, (i + 1) * M * N);
          const Ai = A.subarray(i * aStride, i * aStride + M * K);
          const dst = bStride === 0 ? gB : gB.subarray(i * bStride, (i + 1) * bStride);
          const accI = acc || (bStride === 0 && i > 0);
          // op(B) = op(A)^T @ gC; when transB, B = gC^T @ op(A)
          if (!transB) k.sgemm(!transA, false, K, N, M, Ai, gC, dst, accI);
          else k.sgemm(true, transA, N, K, M, gC, Ai, dst, accI);
        }
      });
    },
  });
}

/** PyTorch's linear: x (...,in) @ w (out,in)^T + b (out). */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  if (w.ndim !== 2 || x.shape[x.ndim - 1] !== w.shape[1]) {
    throw new ShapeError(`linear: input ${formatShape(x.shape)} does not fit weight ${formatShape(w.shape)}`,
      'the weight is (out_features, in_features) and the input\'s last dimension must be in_features');
  }
  const y = matmul(x, w, { transB: true });
  if (!b) return y;
  if (b.ndim !== 1 || b.shape[0] !== w.shape[0]) {
    throw new ShapeError(`linear: bias ${formatShape(b.shape)} does not fit weight ${formatShape(w.shape)}`);
  }
  return addBiasInPlace(y, b);
}

/** y += b over rows, recorded as one node (saves a (..., out) temporary). */
function addBiasInPlace(y: Tensor, b: Tensor): Tensor {
  const Y = y.f32();
  const N = b.size;
  const R = y.size / N;
  const k = kernels();
  k.addBroadcast(Y, b.f32('bias'), Y, R, N);
  const inner = y.node;
  if (!inner) {
    return record(y, { op: 'linear', parents: [b], backward: (g) => accumulateGrad(b, (gb, acc) => k.sumRows(g, gb, R, N, acc)) });
  }
  // Extend the matmul node so one backward handles both the product and the bias.
  y.node = {
    op: 'linear',
    parents: [...inner.parents, b],
    backward: (g) => {
      inner.backward(g);
      accumulateGrad(b, (gb, acc) => k.sumRows(g, gb, R, N, acc));
    },
  };
  return y;
}
