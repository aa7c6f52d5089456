/**
 * Elementwise ops with trailing broadcasting: `b` may have the same shape as `a`, or a shape that
 * matches `a`'s last dimensions (a bias (C) over (B,T,C), position embeddings (T,C) over (B,T,C)),
 * or be a single element. The broadcast operand's gradient sums over the repeated rows.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Whether b's shape equals a's trailing dimensions, so b repeats over a's leading ones. */
function fitsTrailing(a: Tensor, b: Tensor): boolean {
  const nb = b.ndim;
  return nb <= a.ndim && a.shape.slice(a.ndim - nb).every((d, i) => d === b.shape[i]);
}

/** Rows R and row length C such that b repeats over R rows of a; a and b may be swapped. */
function broadcastPlan(op: string, a: Tensor, b: Tensor): { R: number; C: number } {
  if (!fitsTrailing(a, b) && b.size !== 1) {
    throw new ShapeError(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`,
      'the second operand must match the first one\'s trailing dimensions, or have one element');
  }
  const C = b.size;
  return { R: C === 0 ? 0 : a.size / C, C };
}

function binary(op: 'add' | 'mul', a: Tensor, b: Tensor): Tensor {
  // Put the repeating operand second. Decided by shape, not size: a bias (C) over an empty
  // batch (0,T,C) is the larger operand by size yet still the one that repeats.
  if (!fitsTrailing(a, b) && b.size !== 1 && (fitsTrailing(b, a) || a.size === 1)) return binary(op, b, a);
  const A = a.f32(`${op} input`);
  const Bd = b.f32(`${op} input`);
  const { R, C } = broadcastPlan(op, a, b);
  const k = kernels();
  const out = new Tensor(new Float32Array(a.size), a.shape);
  const O = out.f32();
  if (op === 'add') k.addBroadcast(A, Bd, O, R, C);
  else k.mulBroadcast(A, Bd, O, R, C);
  return record(out, {
    op,
    parents: [a, b],
    backward: (g) => {
      if (op === 'add') {
        accumulateGrad(a, (ga, acc) => k.axpy(1, g, ga, acc));
        accumulateGrad(b, (gb, acc) => k.sumRows(g, gb, R, C, acc));
      } else {
        accumulateGrad(a, (ga, acc) => {
          if (acc) {
            const tmp = new Float32Array(g.length);
            k.mulBroadcast(g, Bd, tmp, R, C);
            k.axpy(1, tmp, ga, true);
          } else k.mulBroadcast(g, Bd, ga, R, C);
        });
        accumulateGrad(b, (gb, acc) => k.sumRowsProduct(g, A, gb, R, C, acc));
      }
    },
  });
}

/** a + b, with b broadcast over a's leading dimensions. */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b);
}

/** a * b, elementwise, with b broadcast over a's leading dimensions. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', a, b);
}

/** a - b. */
export function sub(a: Tensor, b: Tensor): Tensor {
  return add(a, scale(b, -1));
}

/** x * s + t for scalars s and t (the notebook's `- 10` shift is `scale(x, 1, -10)`). */
export function scale(x: Tensor, s: number, t = 0): Tensor {
  const k = kernels();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  k.scaleShift(x.f32('scale input'), s, t, out.f32());
  return record(out, {
    op: 'scale',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => k.axpy(s, g, gx, acc)),
  });
}

/** Sum of all elements, as a 1-element tensor of shape []. */
export function sum(x: Tensor): Tensor {
  const X = x.f32('sum input');
  let s = 0;
  for (let i = 0; i < X.length; i++) s += X[i]!;
  const out = new Tensor(Float32Array.of(s), []);
  return record(out, {
    op: 'sum',
    parents: [x],
    backward: (g) => accumulateGrad(x, (gx, acc) => {
      const v = g[0]!;
      if (acc) for (let i = 0; i < gx.length; i++) gx[i]! += v;
      else gx.fill(v);
    }),
  });
}

/** Mean of all elements, as a 1-element tensor of shape []. */
export function mean(x: Tensor): Tensor {
  if (x.size === 0) throw new ShapeError('mean: empty tensor has no mean');
  return scale(sum(x), 1 / x.size);
}
