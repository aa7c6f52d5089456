/** Layer norm over the last dimension with affine gamma and beta (PyTorch's nn.LayerNorm). */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const C = x.shape[x.ndim - 1] ?? 0;
  if (gamma.size !== C || beta.size !== C) {
    throw new ShapeError(`layerNorm: input ${formatShape(x.shape)} needs weight and bias of ${C}, got ${formatShape(gamma.shape)} and ${formatShape(beta.shape)}`);
  }
  const R = C === 0 ? 0 : x.size / C;
  const X = x.f32('layerNorm input');
  const G = gamma.f32('layerNorm weight');
  const k = kernels();
  const mean = new Float32Array(R);
  const rstd = new Float32Array(R);
  const out = new Tensor(new Float32Array(x.size), x.shape);
  k.layerNormForward(X, G, beta.f32('layerNorm bias'), out.f32(), mean, rstd, R, C, eps);
  return record(out, {
    op: 'layerNorm',
    parents: [x, gamma, beta],
    backward: (g) => {
      // gamma and beta gradients are pure sums, so fresh buffers start at zero.
      let gG: Float32Array | null = null;
      let gB: Float32Array | null = null;
      accumulateGrad(gamma, (b, acc) => { if (!acc) b.fill(0); gG = b; });
      accumulateGrad(beta, (b, acc) => { if (!acc) b.fill(0); gB = b; });
      let done = false;
      accumulateGrad(x, (gx, acc) => {
        k.layerNormBackward(X, G, mean, rstd, g, gx, gG, gB, R, C, acc);
        done = true;
      });
      if (!done && (gG || gB)) k.layerNormBackward(X, G, mean, rstd, g, null, gG, gB, R, C, false);
    },
  });
}
