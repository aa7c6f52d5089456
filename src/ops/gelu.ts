/** GELU, exact erf form (PyTorch's nn.GELU() default). */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';

export function gelu(x: Tensor): Tensor {
  const X = x.f32('gelu input');
  const k = kernels();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  k.geluForward(X, out.f32());
  return record(out, {
    op: 'gelu',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.geluBackward(X, g, gx, acc)),
  });
}
