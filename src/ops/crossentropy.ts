/**
 * Cross-entropy over the vocabulary, fused with softmax: the forward keeps only one logsumexp per
 * row (R floats), and the backward recomputes softmax from the logits and that lse, writing
 * straight into the logits' gradient. No (B,T,V) probability tensor is ever stored.
 *
 * `maskedCrossEntropy` is the notebook's loss: per-token cross-entropy times the attention mask,
 * summed, divided by the number of real tokens. Masked rows are skipped entirely (no exp over V).
 * With an all-zero mask the loss is 0 and the gradient zero (PyTorch would give 0/0 = NaN).
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { ConfigError, formatShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

export type Reduction = 'none' | 'mean' | 'sum';

export interface CrossEntropyOptions {
  /** How per-row losses combine: 'mean' (default, over non-ignored rows), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Targets equal to this are ignored (PyTorch's default -100). */
  ignoreIndex?: number;
}

function checkTargets(op: string, logits: Tensor, targets: Tensor): { R: number; V: number; T: Int32Array } {
  const T = targets.i32(`${op} targets`);
  if (logits.ndim < 1) throw new ShapeError(`${op}: logits need a vocabulary dimension, got ${formatShape(logits.shape)}`);
  const V = logits.shape[logits.ndim - 1]!;
  const lead = logits.shape.slice(0, -1);
  if (lead.length !== targets.ndim || lead.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError(`${op}: logits ${formatShape(logits.shape)} and targets ${formatShape(targets.shape)} do not match`,
      'targets have the logits\' shape without the last (vocabulary) dimension');
  }
  return { R: T.length, V, T };
}

/** Fused forward and the node; `weights(gLoss)` gives each row's upstream gradient. */
function fusedCrossEntropy(op: string, logits: Tensor, targets: Int32Array, R: number, V: number,
  out: Tensor, reduce: (loss: Float32Array) => void, weights: (g: Float32Array) => Float32Array): Tensor {
  const L = logits.f32(`${op} logits`);
  for (let r = 0; r < R; r++) {
    const t = targets[r]!;
    if (t >= V) {
      throw new ShapeError(`${op}: target ${t} at row ${r} is outside the vocabulary of ${V}`,
        'the data was tokenized with a larger vocabulary than the model has');
    }
  }
  const k = kernels();
  const loss = new Float32Array(R);
  const lse = new Float32Array(R);
  k.crossEntropyForward(L, targets, loss, lse, R, V);
  reduce(loss);
  return record(out, {
    op,
    parents: [logits],
    backward: (g) => accumulateGrad(logits, (gL, acc) => k.crossEntropyBackward(L, targets, lse, weights(g), gL, R, V, acc)),
  });
}

/** Cross-entropy of logits (...,V) against integer targets (...), like F.cross_entropy. */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  const ignore = opts.ignoreIndex ?? -100;
  const { R, V, T } = checkTargets('crossEntropy', logits, targets);
  const eff = new Int32Array(R);
  let count = 0;
  for (let r = 0; r < R; r++) {
    const t = T[r]!;
    if (t === ignore) eff[r] = -1;
    else if (t < 0) throw new ShapeError(`crossEntropy: negative target ${t} at row ${r}`, `only ignoreIndex (${ignore}) may be outside [0, V)`);
    else {
      eff[r] = t;
      count++;
    }
  }
  switch (reduction) {
    case 'none': {
      const out = new Tensor(new Float32Array(R), targets.shape);
      const O = out.f32();
      return fusedCrossEntropy('crossEntropy', logits, eff, R, V, out, (l) => O.set(l), (g) => g);
    }
    case 'sum':
    case 'mean': {
      const div = reduction === 'mean' ? count : 1;
      const out = new Tensor(new Float32Array(1), []);
      const O = out.f32();
      const w = new Float32Array(R);
      return fusedCrossEntropy('crossEntropy', logits, eff, R, V, out,
        (l) => { let s = 0; for (let r = 0; r < R; r++) s += l[r]!; O[0] = s / div; },
        (g) => { for (let r = 0; r < R; r++) w[r] = eff[r]! < 0 ? 0 : g[0]! / div; return w; });
    }
    default:
      throw new ConfigError(`crossEntropy: unknown reduction '${reduction satisfies never as string}'`, "use 'none', 'mean' or 'sum'");
  }
}

export interface MaskedCrossEntropyOptions {
  /**
   * Divide the masked sum by this instead of sum(mask). Micro-batching passes the whole batch's
   * token count, so the micro-batches' gradients add up to exactly the whole batch's gradient.
   */
  divisor?: number;
}

/**
 * The notebook's masked loss: sum(ce * mask) / sum(mask) over logits (B,T,V), targets (B,T) and
 * mask (B,T) (int32 or float32; 1 on real tokens, 0 on padding).
 */
export function maskedCrossEntropy(logits: Tensor, targets: Tensor, mask: Tensor, opts: MaskedCrossEntropyOptions = {}): Tensor {
  const { R, V, T } = checkTargets('maskedCrossEntropy', logits, targets);
  if (mask.size !== R || mask.ndim !== targets.ndim || mask.shape.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError(`maskedCrossEntropy: mask ${formatShape(mask.shape)} does not match targets ${formatShape(targets.shape)}`);
  }
  const M = mask.data;
  const eff = new Int32Array(R);
  const w = new Float32Array(R);
  let count = 0;
  for (let r = 0; r < R; r++) {
    const m = M[r]!;
    eff[r] = m === 0 ? -1 : T[r]!;
    if (m !== 0 && T[r]! < 0) throw new ShapeError(`maskedCrossEntropy: negative target ${T[r]} at an unmasked position ${r}`);
    count += m;
  }
  if (opts.divisor !== undefined && !(opts.divisor > 0)) {
    throw new ConfigError(`maskedCrossEntropy: divisor must be > 0, got ${opts.divisor}`);
  }
  const div = opts.divisor ?? (count === 0 ? 1 : count);
  const out = new Tensor(new Float32Array(1), []);
  const O = out.f32();
  return fusedCrossEntropy('maskedCrossEntropy', logits, eff, R, V, out,
    (l) => { let s = 0; for (let r = 0; r < R; r++) s += l[r]! * M[r]!; O[0] = s / div; },
    (g) => { for (let r = 0; r < R; r++) w[r] = (g[0]! * M[r]!) / div; return w; });
}
