/** Global-norm gradient clipping, like torch.nn.utils.clip_grad_norm_. */
import { kernels } from '../backend/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Scales all gradients so their joint L2 norm is at most `maxNorm`; returns the norm before
 * clipping (NaN or Infinity when a gradient is not finite, which callers should treat as an error).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const k = kernels();
  const grads = gradientValues(params);
  let sq = 0;
  for (const g of grads) sq += k.sumSquares(g);
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads) k.scaleShift(g, coef, 0, g);
  return norm;
}

/** The global L2 norm of all gradients, changing nothing (NaN or Infinity when one is not finite). */
export function gradNorm(params: Iterable<Tensor>): number {
  const k = kernels();
  let sq = 0;
  for (const g of gradientValues(params)) sq += k.sumSquares(g);
  return Math.sqrt(sq);
}

function gradientValues(params: Iterable<Tensor>): Float32Array[] {
  const grads: Float32Array[] = [];
  for (const p of params) {
    const g = p.gradient();
    switch (g.kind) {
      case 'none':
        break;
      case 'dense':
      case 'rows': // the rows not listed are zero: they add nothing to the norm
        grads.push(g.values);
        break;
      default:
        g satisfies never;
    }
  }
  return grads;
}
