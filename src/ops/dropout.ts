/**
 * Dropout with PyTorch's inverted scaling: in training, each element is zeroed with probability p
 * and survivors are scaled by 1 / (1 - p); in evaluation it is the identity. The mask comes from
 * the seeded generator, so the same seed drops the same elements. The mask is drawn by a kernel
 * (one uniform per element, in order, from the generator's state), identical on every backend.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { ConfigError } from '../tensor/errors.js';
import { defaultRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

export function dropout(x: Tensor, p: number, training: boolean, rng: Rng = defaultRng()): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`dropout probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const X = x.f32('dropout input');
  const k = kernels();
  const mask = new Uint8Array(X.length);
  if (p < 1) {
    const st = rng.getState();
    const state = Int32Array.of(st[0]!, st[1]!, st[2]!, st[3]!);
    k.dropoutMask(state, p, mask); // mask[i] = rng.uniform() >= p, for i in order
    rng.setState([state[0]!, state[1]!, state[2]!, state[3]!, st[4]!]);
  }
  const s = p < 1 ? 1 / (1 - p) : 0;
  const out = new Tensor(new Float32Array(X.length), x.shape);
  k.dropoutApply(X, mask, s, out.f32(), false);
  return record(out, {
    op: 'dropout',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.dropoutApply(g, mask, s, gx, acc)),
  });
}
