/**
 * tanh (the MLP's hidden nonlinearity, PyTorch's torch.tanh) and ReLU (the causal CNN's). Each
 * backward reads the op's own output, which is all either derivative needs.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';

export function tanh(x: Tensor): Tensor {
  const k = kernels();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  const Y = out.f32();
  k.tanhForward(x.f32('tanh input'), Y);
  return record(out, {
    op: 'tanh',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.tanhBackward(Y, g, gx, acc)),
  });
}

export function relu(x: Tensor): Tensor {
  const k = kernels();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  const Y = out.f32();
  k.reluForward(x.f32('relu input'), Y);
  return record(out, {
    op: 'relu',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.reluBackward(Y, g, gx, acc)),
  });
}
