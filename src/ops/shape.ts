/**
 * Shape ops: reshape (a view sharing data), narrow (a slice along one dimension; a view when it is
 * the leading dimension, a copy otherwise) and transpose of the last two dimensions.
 * The notebook's `ids[:, :-1]` is `narrow(ids, 1, 0, T - 1)`; `logits[:, -1]` is
 * `narrow(logits, 1, T - 1, 1)` then a reshape.
 */
import { accumulateGrad, passGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { shapeSize, Tensor, type Shape } from '../tensor/tensor.js';

/** Same data, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const dims = [...shape];
  const free = dims.indexOf(-1);
  if (dims.lastIndexOf(-1) !== free) throw new ShapeError(`reshape: only one dimension may be -1, got ${formatShape(shape)}`);
  if (free >= 0) {
    const known = shapeSize(dims.filter((_, i) => i !== free));
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`reshape: cannot infer -1 in ${formatShape(shape)} for ${x.size} elements of ${formatShape(x.shape)}`);
    }
    dims[free] = x.size / known;
  }
  if (shapeSize(dims) !== x.size) {
    throw new ShapeError(`reshape: shape ${formatShape(x.shape)} (${x.size} elements) cannot become ${formatShape(shape)}`);
  }
  const out = new Tensor(x.data, dims);
  return record(out, {
    op: 'reshape',
    parents: [x],
    backward: (g) => {
      if (out.retainsGrad) passGrad(x, g.slice(), () => {});
      else passGrad(x, g, () => { out.gradData = null; out.gradLive = false; });
    },
  });
}

/** Elements [start, start + length) along `dim`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const nd = x.ndim;
  if (dim < 0) dim += nd;
  if (dim < 0 || dim >= nd) throw new ShapeError(`narrow: dim ${dim} out of range for shape ${formatShape(x.shape)}`);
  const size = x.shape[dim]!;
  if (start < 0) start += size;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > size) {
    throw new ShapeError(`narrow: [${start}, ${start + length}) out of range for dim ${dim} of shape ${formatShape(x.shape)}`);
  }
  const outer = shapeSize(x.shape.slice(0, dim));
  const inner = shapeSize(x.shape.slice(dim + 1));
  const outShape = [...x.shape];
  outShape[dim] = length;
  const rowIn = size * inner;
  const rowOut = length * inner;
  let data: Float32Array | Int32Array;
  if (outer === 1) {
    data = x.data.subarray(start * inner, (start + length) * inner);
  } else {
    data = x.dtype === 'int32' ? new Int32Array(outer * rowOut) : new Float32Array(outer * rowOut);
    for (let o = 0; o < outer; o++) {
      data.set(x.data.subarray(o * rowIn + start * inner, o * rowIn + start * inner + rowOut), o * rowOut);
    }
  }
  const out = new Tensor(data, outShape);
  return record(out, {
    op: 'narrow',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => {
      if (!acc) gx.fill(0);
      for (let o = 0; o < outer; o++) {
        const src = o * rowOut;
        const dst = o * rowIn + start * inner;
        for (let i = 0; i < rowOut; i++) gx[dst + i]! += g[src + i]!;
      }
    }),
  });
}

/** Swaps the last two dimensions (a copy): (..., M, N) → (..., N, M). */
export function transpose(x: Tensor): Tensor {
  if (x.ndim < 2) throw new ShapeError(`transpose: needs at least 2 dimensions, got ${formatShape(x.shape)}`);
  const M = x.shape[x.ndim - 2]!;
  const N = x.shape[x.ndim - 1]!;
  const batch = x.size / (M * N || 1);
  const swap = (src: Float32Array | Int32Array, dst: Float32Array | Int32Array, rows: number, cols: number, acc: boolean): void => {
    for (let b = 0; b < batch; b++) {
      const o = b * rows * cols;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const v = src[o + i * cols + j]!;
          dst[o + j * rows + i] = acc ? dst[o + j * rows + i]! + v : v;
        }
      }
    }
  };
  const data = x.dtype === 'int32' ? new Int32Array(x.size) : new Float32Array(x.size);
  swap(x.data, data, M, N, false);
  const out = new Tensor(data, [...x.shape.slice(0, -2), N, M]);
  return record(out, {
    op: 'transpose',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => swap(g, gx, N, M, acc)),
  });
}
