/**
 * Right-padded batches as the sequence models see them. `sequenceLengths` reads each row's real
 * length from the attention mask. `planPacking` orders the rows longest first and lays the real
 * positions out time-major (PyTorch's PackedSequence): step t holds the first batchSizes[t] rows
 * of that order, so the rows still running at step t are always a prefix of those at step t - 1,
 * and a recurrence touches no padding at all. `packRows` and `unpackRows` move activations between
 * (B,T,C) and that packed (N,C) layout, N = the number of real positions; padding unpacks to 0.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { embedding } from './embedding.js';
import { reshape } from './shape.js';

/**
 * Real length of each row of a (B,T) mask (1 on real tokens): the position after its last real
 * token. Padding must be on the right: a real token after padding is a ShapeError, since a
 * recurrence or convolution would otherwise read padding as context. No mask: every row is T long.
 */
export function sequenceLengths(mask: Tensor | null | undefined, B: number, T: number, who: string): Int32Array {
  if (!mask) return new Int32Array(B).fill(T);
  if (mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new ShapeError(`${who}: mask ${formatShape(mask.shape)} must be (B, T) = [${B}, ${T}]`);
  }
  const lengths = rightPaddedLengths(mask);
  if (typeof lengths === 'string') {
    throw new ShapeError(`${who}: ${lengths}`, 'sequence models need right padding (real tokens first, then padding), as slmkit\'s batches are');
  }
  return lengths;
}

/**
 * Real length of each row of a (B,T) mask whose padding is all on the right, or, when a real
 * token follows padding, a sentence saying where (for callers that fall back instead of failing).
 */
export function rightPaddedLengths(mask: Tensor): Int32Array | string {
  const [B, T] = mask.shape as [number, number];
  const M = mask.data;
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let len = 0;
    while (len < T && M[b * T + len] !== 0) len++;
    for (let t = len + 1; t < T; t++) {
      if (M[b * T + t] !== 0) return `row ${b} of the mask has a real token at position ${t} after padding at ${len}`;
    }
    lengths[b] = len;
  }
  return lengths;
}

/** A batch's real positions, time-major and longest row first (see the file header). */
export interface PackedPlan {
  /** Batch rows and padded length of the (B,T) layout. */
  readonly B: number;
  readonly T: number;
  /** (B) real length of each row. */
  readonly lengths: Int32Array;
  /** (B) order[j]: the batch row of the j-th longest sequence (ties keep batch order). */
  readonly order: Int32Array;
  /** (S) rows still running at step t (non-increasing, all >= 1); S = the longest length. */
  readonly batchSizes: Int32Array;
  /** (S+1) first packed row of step t; offsets[S] = N. */
  readonly offsets: Int32Array;
  /** (N) flat position b*T + t of each packed row. */
  readonly rows: Int32Array;
}

export function planPacking(lengths: Int32Array, T: number): PackedPlan {
  const B = lengths.length;
  let S = 0;
  for (const len of lengths) {
    if (!(Number.isInteger(len) && len >= 0 && len <= T)) throw new ShapeError(`planPacking: length ${len} is outside [0, ${T}]`);
    S = Math.max(S, len);
  }
  const order = Int32Array.from({ length: B }, (_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batchSizes = new Int32Array(S);
  for (const len of lengths) for (let t = 0; t < len; t++) batchSizes[t]!++;
  const offsets = new Int32Array(S + 1);
  for (let t = 0; t < S; t++) offsets[t + 1] = offsets[t]! + batchSizes[t]!;
  const rows = new Int32Array(offsets[S]!);
  for (let t = 0; t < S; t++) {
    for (let j = 0; j < batchSizes[t]!; j++) rows[offsets[t]! + j] = order[j]! * T + t;
  }
  return { B, T, lengths, order, batchSizes, offsets, rows };
}

/** ids (B,T) int32 → (N) the real positions' ids in packed order. */
export function packIds(ids: Tensor, plan: PackedPlan): Tensor {
  const I = ids.i32('packIds ids');
  if (I.length !== plan.B * plan.T) throw new ShapeError(`packIds: ids ${formatShape(ids.shape)} do not fit a plan for [${plan.B}, ${plan.T}]`);
  return new Tensor(Int32Array.from(plan.rows, (r) => I[r]!), [plan.rows.length]);
}

/** x (B,T,C) → (N,C): the real positions, in packed order. */
export function packRows(x: Tensor, plan: PackedPlan): Tensor {
  const C = x.shape[x.ndim - 1] ?? 0;
  if (x.ndim !== 3 || x.shape[0] !== plan.B || x.shape[1] !== plan.T) {
    throw new ShapeError(`packRows: input ${formatShape(x.shape)} does not fit a plan for [${plan.B}, ${plan.T}, C]`);
  }
  return embedding(new Tensor(plan.rows, [plan.rows.length]), reshape(x, [plan.B * plan.T, C])); // a row gather
}

/** x (N,C) in packed order → (B,T,C), zeros at padding. */
export function unpackRows(x: Tensor, plan: PackedPlan): Tensor {
  const N = plan.rows.length;
  if (x.ndim !== 2 || x.shape[0] !== N) throw new ShapeError(`unpackRows: input ${formatShape(x.shape)} must be (N, C) with N = ${N} real positions`);
  const C = x.shape[1]!;
  const k = kernels();
  const out = new Tensor(new Float32Array(plan.B * plan.T * C), [plan.B, plan.T, C]);
  k.embeddingBackward(plan.rows, x.f32('unpackRows input'), out.f32(), C); // scatter into zeros: rows are distinct
  return record(out, {
    op: 'unpackRows',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => {
      if (!acc) {
        k.embeddingForward(plan.rows, g, gx, C);
        return;
      }
      const tmp = new Float32Array(N * C);
      k.embeddingForward(plan.rows, g, tmp, C);
      k.axpy(1, tmp, gx, true);
    }),
  });
}
