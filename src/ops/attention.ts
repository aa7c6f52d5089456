/**
 * Causal multi-head self-attention on already-projected q, k, v (B,T,C) with C = H*D, and an
 * optional padding mask (B,T): softmax(q k^T / sqrt(D) + causal and padding mask) v, per head.
 * The (B,H,T,T) probabilities are kept for backward and go back to the pool afterwards.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { takeBuffer } from '../tensor/pool.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * The gradient buffers of q, k and v for a backward kernel that accumulates into all three: a
 * fresh buffer is zeroed first, and a scratch buffer stands in for an input that needs none.
 */
function accumulatingGrads(ts: [Tensor, Tensor, Tensor]): [Float32Array, Float32Array, Float32Array] {
  return ts.map((t) => {
    let buf: Float32Array | null = null;
    accumulateGrad(t, (b, acc) => { if (!acc) b.fill(0); buf = b; });
    return buf ?? new Float32Array(t.size);
  }) as [Float32Array, Float32Array, Float32Array];
}

export function causalAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, mask?: Tensor | null): Tensor {
  if (q.ndim !== 3 || k.ndim !== 3 || v.ndim !== 3 || q.shape.some((d, i) => d !== k.shape[i] || d !== v.shape[i])) {
    throw new ShapeError(`causalAttention: q ${formatShape(q.shape)}, k ${formatShape(k.shape)} and v ${formatShape(v.shape)} must all be (B, T, C)`);
  }
  const [B, T, C] = q.shape as [number, number, number];
  if (!Number.isInteger(heads) || heads <= 0 || C % heads !== 0) {
    throw new ShapeError(`causalAttention: ${C} channels do not split into ${heads} heads`);
  }
  const D = C / heads;
  let keyMask: Float32Array | null = null;
  if (mask) {
    if (mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
      throw new ShapeError(`causalAttention: mask ${formatShape(mask.shape)} must be (B, T) = [${B}, ${T}]`);
    }
    keyMask = Float32Array.from(mask.data);
  }
  const Q = q.f32('attention q');
  const K = k.f32('attention k');
  const Vd = v.f32('attention v');
  const kern = kernels();
  const scale = 1 / Math.sqrt(D);
  const att = takeBuffer(B * heads * T * T);
  const out = new Tensor(new Float32Array(B * T * C), [B, T, C]);
  kern.attentionForward(Q, K, Vd, keyMask, att, out.f32(), B, T, heads, D, scale);
  return record(out, {
    op: 'causalAttention',
    parents: [q, k, v],
    saved: [att],
    backward: (g) => {
      const [gq, gk, gv] = accumulatingGrads([q, k, v]);
      kern.attentionBackward(Q, K, Vd, att, g, gq, gk, gv, B, T, heads, D, scale);
    },
  });
}

/**
 * Causal attention over sequences laid end to end: q, k, v (1,N,C) hold S sequences, sequence s
 * on rows [offsets[s], offsets[s+1]) (offsets (S+1), offsets[0] = 0, offsets[S] = N), and each
 * query sees the keys of its own sequence up to itself: what causalAttention computes for the
 * real positions of a right-padded batch, without any padding (the transformer's unpadded
 * training path). The saved probabilities take sum over s of H·L_s² floats instead of B·H·T².
 */
export function causalAttentionSegments(q: Tensor, k: Tensor, v: Tensor, heads: number, offsets: Int32Array): Tensor {
  if (q.ndim !== 3 || q.shape[0] !== 1 || [k, v].some((t) => t.ndim !== 3 || t.shape.some((d, i) => d !== q.shape[i]))) {
    throw new ShapeError(`causalAttentionSegments: q ${formatShape(q.shape)}, k ${formatShape(k.shape)} and v ${formatShape(v.shape)} must all be (1, N, C)`);
  }
  const [, N, C] = q.shape as [number, number, number];
  if (!Number.isInteger(heads) || heads <= 0 || C % heads !== 0) {
    throw new ShapeError(`causalAttentionSegments: ${C} channels do not split into ${heads} heads`);
  }
  const S = offsets.length - 1;
  let attSize = 0;
  for (let s = 0; s < S; s++) {
    const L = offsets[s + 1]! - offsets[s]!;
    if (!(L >= 0) || offsets[0] !== 0) throw new ShapeError(`causalAttentionSegments: offsets must start at 0 and never decrease (segment ${s})`);
    attSize += heads * L * L;
  }
  if (S < 0 || offsets[S] !== N) throw new ShapeError(`causalAttentionSegments: offsets end at ${offsets[S]}, not at the ${N} rows`);
  const D = C / heads;
  const Q = q.f32('attention q');
  const K = k.f32('attention k');
  const Vd = v.f32('attention v');
  const kern = kernels();
  const scale = 1 / Math.sqrt(D);
  const att = takeBuffer(attSize);
  const out = new Tensor(new Float32Array(N * C), [1, N, C]);
  const O = out.f32();
  kern.attentionForwardSegments(Q, K, Vd, offsets, att, O, heads, D, scale);
  return record(out, {
    op: 'causalAttentionSegments',
    parents: [q, k, v],
    saved: [att],
    backward: (g) => {
      const [gq, gk, gv] = accumulatingGrads([q, k, v]);
      kern.attentionBackwardSegments(Q, K, Vd, att, g, gq, gk, gv, offsets, heads, D, scale);
    },
  });
}
