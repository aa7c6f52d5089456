/**
 * Test helpers: `assertClose` (elementwise closeness that names the worst element) and
 * `gradcheck`, a finite-difference gradient checker in the spirit of torch.autograd.gradcheck
 * and ggml's test-backend-ops.
 *
 * gradcheck reduces an op's output to a scalar against a fixed random projection P, so that every
 * output element matters: f(x) = sum_i P_i * out_i. The analytic gradient is `out.backward(P)`
 * (the same thing, without needing mul/sum ops that are themselves under test). The numeric
 * gradient is a central difference whose projection sum is taken in float64 and whose denominator
 * is the perturbation float32 actually made (fround(x + h) - fround(x - h)), not the nominal 2h.
 *
 * Besides the plain check, it exercises the two other ways a backward can go wrong:
 * - accumulate: a second forward + backward without clearing must exactly double the leaves'
 *   gradients (every op's "accumulate" branch runs);
 * - non-leaf: the inputs are fed through an identity op so their gradients come from the buffer
 *   pool, after the pool was stuffed with NaN-filled buffers of those sizes. An op that fails to
 *   overwrite (or zero) a fresh gradient buffer shows up as NaN.
 */
import assert from 'node:assert/strict';
import { scale } from '../../src/ops/index.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { clearBufferPool, releaseBuffer } from '../../src/tensor/pool.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

export interface Tolerance {
  /** Relative tolerance, against |expected|. */
  rtol?: number;
  /** Absolute tolerance. */
  atol?: number;
}

type Values = Tensor | ArrayLike<number>;

function valuesOf(v: Values): ArrayLike<number> {
  return v instanceof Tensor ? v.data : v;
}

function formatIndex(flat: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length === 0) return `[${flat}]`;
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]! || 1;
    idx.unshift(rest % n);
    rest = Math.floor(rest / n);
  }
  return `[${idx.join(', ')}] (flat ${flat})`;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise (NaN only matches NaN,
 * an infinity only itself). On failure the message names the worst element, both values and the
 * number of elements out of tolerance. Tensors must also agree in shape.
 */
export function assertClose(actual: Values, expected: Values, tol: Tolerance = {}, message = ''): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  const prefix = message ? `${message}: ` : '';
  const shape = actual instanceof Tensor ? actual.shape : expected instanceof Tensor ? expected.shape : undefined;
  if (actual instanceof Tensor && expected instanceof Tensor) {
    assert.deepEqual([...actual.shape], [...expected.shape], `${prefix}shape [${actual.shape}] vs expected [${expected.shape}]`);
  }
  const a = valuesOf(actual);
  const e = valuesOf(expected);
  assert.equal(a.length, e.length, `${prefix}length ${a.length} vs expected ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  let bad = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    let excess: number;
    if (Number.isNaN(x) || Number.isNaN(y)) excess = Number.isNaN(x) && Number.isNaN(y) ? 0 : Infinity;
    else if (!Number.isFinite(x) || !Number.isFinite(y)) excess = x === y ? 0 : Infinity;
    else excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > 0) {
      bad++;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    const x = a[worst]!;
    const y = e[worst]!;
    assert.fail(`${prefix}${bad} of ${a.length} elements out of tolerance (rtol ${rtol}, atol ${atol}); ` +
      `worst at ${formatIndex(worst, shape)}: actual ${x}, expected ${y}, |diff| ${Math.abs(x - y)}`);
  }
}

export interface GradcheckOptions extends Tolerance {
  /** Central-difference step, in the inputs' units. */
  h?: number;
  /** Seed of the output projection P. */
  seed?: number;
  /** Also check the accumulate path (second backward doubles the gradients). Default true. */
  accumulate?: boolean;
  /** Also check through non-leaf inputs with a NaN-poisoned buffer pool. Default true. */
  nonLeaf?: boolean;
}

/*
 * Default tolerance, for float32 kernels on O(1) data (inputs ~ N(0,1), h = 1e-2):
 * - truncation error of a central difference is h^2/6 * |f'''| ~ 2e-5 for the smooth ops here;
 * - rounding: each out_i carries ~eps32 = 6e-8 relative error, so f carries about
 *   6e-8 * sqrt(n) * |out| ~ 1e-6 for a few hundred outputs, divided by 2h = 2e-2 gives ~1e-4.
 * So numeric gradients are good to a few 1e-4 absolute. atol 2e-3 + rtol 1e-2 leaves about an
 * order of magnitude of margin, while a real bug (wrong transpose, missing term, factor of two,
 * a stale buffer) moves a gradient element by O(|g|), far outside it. Tests that need looser
 * bounds (stiff functions, large outputs) say why where they pass their own.
 */
const DEFAULT_H = 1e-2;
const DEFAULT_RTOL = 1e-2;
const DEFAULT_ATOL = 2e-3;
/* Analytic vs analytic (accumulate / non-leaf paths): only summation order differs. */
const SAME_RTOL = 1e-4;
const SAME_ATOL = 1e-5;

export interface GradcheckResult {
  analytic: Float64Array[];
  numeric: Float64Array[];
}

function gradOf(x: Tensor): Float64Array {
  const g = x.grad;
  return g ? Float64Array.from(g.data) : new Float64Array(x.size);
}

/** Fills the pool with NaN buffers of these sizes, so fresh pooled gradients start as garbage. */
export function poisonPool(sizes: Iterable<number>): void {
  for (const n of new Set(sizes)) {
    for (let i = 0; i < 4; i++) releaseBuffer(new Float32Array(n).fill(Number.NaN));
  }
}

/**
 * Checks the gradients of `fn` with respect to every tensor in `inputs` (float32, requiresGrad).
 * `fn` must be deterministic (re-create any Rng inside it). Throws with the worst element on
 * mismatch; returns both gradients for further assertions.
 */
export function gradcheck(fn: (xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {},
  message = ''): GradcheckResult {
  const h = opts.h ?? DEFAULT_H;
  const tol = { rtol: opts.rtol ?? DEFAULT_RTOL, atol: opts.atol ?? DEFAULT_ATOL };
  const same = { rtol: SAME_RTOL, atol: SAME_ATOL };
  const prefix = message ? `${message}: ` : '';
  for (const x of inputs) {
    assert.equal(x.dtype, 'float32', `${prefix}gradcheck inputs must be float32`);
    assert.ok(x.requiresGrad && x.isLeaf, `${prefix}gradcheck inputs must be leaves that require grad`);
    x.grad = null;
  }

  // Analytic, through the leaves.
  const out = fn(inputs);
  assert.ok(out.requiresGrad, `${prefix}output does not require grad`);
  const scalar = out.size === 1 && out.ndim === 0;
  const P = scalar ? Float32Array.of(1) : new Rng(opts.seed ?? 1234).fillNormal(new Float32Array(out.size));
  const runBackward = (o: Tensor): void => {
    if (scalar) o.backward();
    else o.backward(new Tensor(P.slice(), o.shape));
  };
  runBackward(out);
  const analytic = inputs.map(gradOf);

  if (opts.accumulate ?? true) {
    runBackward(fn(inputs));
    inputs.forEach((x, i) => {
      assertClose(gradOf(x), analytic[i]!.map((v) => 2 * v), same, `${prefix}input ${i}: second backward must double the gradient`);
    });
  }

  if (opts.nonLeaf ?? true) {
    for (const x of inputs) x.grad = null;
    poisonPool(inputs.map((x) => x.size));
    try {
      runBackward(fn(inputs.map((x) => scale(x, 1))));
    } finally {
      clearBufferPool();
    }
    inputs.forEach((x, i) => {
      assertClose(gradOf(x), analytic[i]!, same, `${prefix}input ${i}: gradient through a non-leaf (pooled buffer) differs`);
    });
  }

  // Numeric: central differences, projection summed in float64.
  const project = (): number => {
    const o = noGrad(() => fn(inputs));
    let s = 0;
    for (let i = 0; i < o.size; i++) s += P[i]! * o.data[i]!;
    return s;
  };
  const numeric = inputs.map((x) => {
    const X = x.f32();
    const g = new Float64Array(x.size);
    for (let i = 0; i < X.length; i++) {
      const orig = X[i]!;
      X[i] = orig + h;
      const xp = X[i]!;
      const fp = project();
      X[i] = orig - h;
      const xm = X[i]!;
      const fm = project();
      X[i] = orig;
      g[i] = (fp - fm) / (xp - xm);
    }
    return g;
  });
  inputs.forEach((x, i) => {
    assertClose(analytic[i]!, numeric[i]!, tol, `${prefix}input ${i} of shape [${x.shape}]: analytic vs numeric gradient`);
    x.grad = null;
  });
  return { analytic, numeric };
}

/** An N(0, std^2) tensor (no gradient). */
export function randn(shape: readonly number[], rng: Rng, std = 1): Tensor {
  const t = Tensor.randn(shape, rng);
  const d = t.f32();
  for (let i = 0; i < d.length; i++) d[i] = d[i]! * std;
  return t;
}

/** A leaf N(0, std^2) tensor that requires grad. */
export function randnLeaf(shape: readonly number[], rng: Rng, std = 1): Tensor {
  return randn(shape, rng, std).requiresGrad_();
}
