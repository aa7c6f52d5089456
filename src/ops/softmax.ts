/** Softmax and log-softmax over the last dimension; backward reuses the saved output. */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

function rowsOf(op: string, x: Tensor): { R: number; C: number } {
  if (x.ndim === 0) throw new ShapeError(`${op}: needs at least one dimension`);
  const C = x.shape[x.ndim - 1]!;
  return { R: C === 0 ? 0 : x.size / C, C };
}

export function softmax(x: Tensor): Tensor {
  const { R, C } = rowsOf('softmax', x);
  const k = kernels();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  const Y = out.f32();
  k.softmaxForward(x.f32('softmax input'), Y, R, C);
  return record(out, {
    op: 'softmax',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.softmaxBackward(Y, g, gx, R, C, acc)),
  });
}

export function logSoftmax(x: Tensor): Tensor {
  const { R, C } = rowsOf('logSoftmax', x);
  const k = kernels();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  const Y = out.f32();
  k.logSoftmaxForward(x.f32('logSoftmax input'), Y, R, C);
  return record(out, {
    op: 'logSoftmax',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.logSoftmaxBackward(Y, g, gx, R, C, acc)),
  });
}
