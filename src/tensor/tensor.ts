/**
 * Tensor: a shape, a dtype and a contiguous typed array (float32 or int32), plus what autograd
 * needs: `requiresGrad`, a gradient buffer, and the node that produced it. Views are cheap where
 * they are simple (reshape and leading-dimension slices share the data); everything else copies.
 */
import { DTypeError, formatShape, GradError, ShapeError } from './errors.js';
import type { Rng } from './rng.js';
import { defaultRng } from './rng.js';
import { runBackward } from './autograd.js';
import { allocF32 } from './alloc.js';

export type DType = 'float32' | 'int32';
export type Shape = readonly number[];

/** How an op's output finds its way back to its inputs' gradients. */
export interface GradNode {
  /** Op name, for error messages and graph dumps. */
  readonly op: string;
  /** Inputs that may need a gradient. */
  readonly parents: readonly Tensor[];
  /** Adds this op's contribution to the parents' gradients, given the output's gradient. */
  backward(gOut: Float32Array): void;
  /** Buffers saved for backward that can go back to the pool once backward has run. */
  saved?: Float32Array[];
}

/** A row-sparse gradient: `values` (rows.length, C) for the sorted, distinct `rows`. */
export interface RowGrad {
  rows: Int32Array;
  values: Float32Array;
}

/**
 * A parameter's current gradient, as optimizers and clipping read it (Tensor.gradient()): none yet,
 * a dense buffer the size of the tensor, or rows of a 2-D tensor (rows sorted and distinct, values
 * (rows.length, width); every other row is zero). Reading it never converts one kind into another.
 */
export type Gradient =
  | { kind: 'none' }
  | { kind: 'dense'; values: Float32Array }
  | { kind: 'rows'; rows: Int32Array; values: Float32Array; width: number };

/**
 * Folds a row-sparse gradient into the dense gradient buffer. Autograd calls it when a dense
 * contribution must be added to a row-sparse gradient; reading a gradient never does.
 */
export function densifyRowGrad(t: Tensor): void {
  const rg = t.rowGrad;
  if (!rg) return;
  t.rowGrad = null;
  const C = t.shape[t.ndim - 1]!;
  if (!t.gradData || t.gradData.length !== t.size) t.gradData = allocF32(t.size);
  if (!t.gradLive) t.gradData.fill(0);
  t.gradLive = true;
  rg.rows.forEach((r, i) => {
    const dst = t.gradData!.subarray(r * C, (r + 1) * C);
    const src = rg.values.subarray(i * C, (i + 1) * C);
    for (let c = 0; c < C; c++) dst[c]! += src[c]!;
  });
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid dimension ${d} in shape ${formatShape(shape)}`);
    n *= d;
  }
  return n;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: Float32Array | Int32Array;
  requiresGrad: boolean;
  /** Optional name, shown in summaries and errors (parameters get theirs from the module tree). */
  name: string | undefined;
  /** @internal gradient storage; may hold a stale buffer kept for reuse when `gradLive` is false. */
  gradData: Float32Array | null = null;
  /** @internal whether gradData holds the current gradient. */
  gradLive = false;
  /**
   * @internal a row-sparse gradient (2-D tensors only): zero except the listed rows. Ops that touch
   * few rows of a huge table (the Markov chain's V × V) produce it when `sparseGrad` is set, and
   * AdamW applies it without a dense V × V gradient buffer. Exclusive with a live dense gradient.
   */
  rowGrad: RowGrad | null = null;
  /** Let ops store this parameter's gradient row-sparse (see rowGrad). */
  sparseGrad = false;
  /** @internal the op that produced this tensor (null for leaves and after backward). */
  node: GradNode | null = null;
  /** @internal true once backward has run through this tensor and freed its node. */
  freed = false;
  /** Keep this non-leaf tensor's gradient after backward (like torch's retain_grad). */
  retainsGrad = false;

  constructor(data: Float32Array | Int32Array, shape: Shape, requiresGrad = false) {
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new ShapeError(`tensor data has ${data.length} elements but shape ${formatShape(shape)} needs ${n}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
    if (requiresGrad && this.dtype !== 'float32') {
      throw new DTypeError('only float32 tensors can require gradients', 'int32 tensors hold ids and masks');
    }
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True for tensors created by the user (parameters, inputs), false for op results. */
  get isLeaf(): boolean {
    return this.node === null && !this.freed;
  }

  /** The float32 data, or a DTypeError naming `what` when this is an int32 tensor. */
  f32(what = 'tensor'): Float32Array {
    if (!(this.data instanceof Float32Array)) {
      throw new DTypeError(`${what} must be float32, got int32 of shape ${formatShape(this.shape)}`);
    }
    return this.data;
  }

  /** The int32 data, or a DTypeError naming `what` when this is a float32 tensor. */
  i32(what = 'tensor'): Int32Array {
    if (!(this.data instanceof Int32Array)) {
      throw new DTypeError(`${what} must be int32, got float32 of shape ${formatShape(this.shape)}`,
        'ids, targets and masks are int32 tensors (Tensor.int)');
    }
    return this.data;
  }

  /**
   * The gradient accumulated by backward, or null (like torch's .grad). A dense gradient shares
   * memory with the tensor's buffer; a row-sparse one (the Markov table's) is returned as a new
   * dense copy — V × V floats — and stays row-sparse: use gradient() to read it without the copy.
   */
  get grad(): Tensor | null {
    const g = this.gradient();
    switch (g.kind) {
      case 'none':
        return null;
      case 'dense':
        return new Tensor(g.values, this.shape);
      case 'rows': {
        const out = new Float32Array(this.size);
        g.rows.forEach((r, i) => out.set(g.values.subarray(i * g.width, (i + 1) * g.width), r * g.width));
        return new Tensor(out, this.shape);
      }
      default:
        return g satisfies never;
    }
  }

  /** The current gradient as it is stored (see Gradient), without copying or converting it. */
  gradient(): Gradient {
    if (this.rowGrad) return { kind: 'rows', rows: this.rowGrad.rows, values: this.rowGrad.values, width: this.shape[this.ndim - 1]! };
    if (this.gradLive && this.gradData) return { kind: 'dense', values: this.gradData };
    return { kind: 'none' };
  }

  /** Assigning null clears the gradient but keeps its buffer for reuse; a tensor replaces it. */
  set grad(g: Tensor | null) {
    this.rowGrad = null;
    if (g === null) {
      this.gradLive = false;
      return;
    }
    if (g.size !== this.size) {
      throw new ShapeError(`grad of shape ${formatShape(g.shape)} does not fit tensor of shape ${formatShape(this.shape)}`);
    }
    this.gradData = Float32Array.from(g.f32('grad'));
    this.gradLive = true;
  }

  /** Number of elements as a plain number, for a 1-element tensor (like torch's .item()). */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs a tensor with one element, got shape ${formatShape(this.shape)}`);
    return this.data[0]!;
  }

  /** A plain nested array copy of the data. */
  toArray(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A tensor sharing the data but cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy of the data, cut off from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Marks this tensor as needing a gradient (leaves only), returning it. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new GradError('requiresGrad_ can only be set on leaf tensors');
    if (flag && this.dtype !== 'float32') throw new DTypeError('only float32 tensors can require gradients');
    this.requiresGrad = flag;
    return this;
  }

  /** Runs backward from this tensor (a scalar unless `gradient` is given), like torch. */
  backward(gradient?: Tensor): void {
    runBackward(this, gradient);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- constructors -------------------------------------------------------------------------

  /** float32 tensor from a flat or nested array of numbers. */
  static from(values: ArrayLike<number> | unknown[], shape?: Shape, requiresGrad = false): Tensor {
    const { flat, inferred } = flatten(values);
    return new Tensor(Float32Array.from(flat), shape ?? inferred, requiresGrad);
  }

  /** int32 tensor (ids, targets, masks) from a flat or nested array. */
  static int(values: ArrayLike<number> | unknown[], shape?: Shape): Tensor {
    const { flat, inferred } = flatten(values);
    for (const v of flat) {
      if (!Number.isInteger(v)) throw new DTypeError(`Tensor.int needs integers, got ${v}`);
    }
    return new Tensor(Int32Array.from(flat), shape ?? inferred);
  }

  static zeros(shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(allocF32(shapeSize(shape)), shape, requiresGrad);
  }

  static ones(shape: Shape, requiresGrad = false): Tensor {
    return Tensor.full(shape, 1, requiresGrad);
  }

  static full(shape: Shape, value: number, requiresGrad = false): Tensor {
    return new Tensor(allocF32(shapeSize(shape)).fill(value), shape, requiresGrad);
  }

  /** N(0, 1) samples from `rng` (the default generator when omitted), like torch.randn. */
  static randn(shape: Shape, rng: Rng = defaultRng(), requiresGrad = false): Tensor {
    const data = allocF32(shapeSize(shape));
    return new Tensor(initSkipped ? data : rng.fillNormal(data), shape, requiresGrad);
  }

  /** U(low, high) samples, like torch.rand scaled. */
  static rand(shape: Shape, rng: Rng = defaultRng(), low = 0, high = 1, requiresGrad = false): Tensor {
    const data = allocF32(shapeSize(shape));
    return new Tensor(initSkipped ? data : rng.fillUniform(data, low, high), shape, requiresGrad);
  }
}

let initSkipped = false;

/**
 * Runs `fn` with random initialisation turned off: Tensor.randn and Tensor.rand return zeros, and
 * models skip the rest of their initialisation (randomInitSkipped). For building a model whose
 * weights are about to be loaded from a checkpoint (the Markov table's 840M normals take several
 * seconds to draw, even with the native kernel, and its −10 shift another ten on a busy machine).
 */
/** True inside withoutRandomInit: a constructor's own initial values would be overwritten anyway. */
export function randomInitSkipped(): boolean {
  return initSkipped;
}

export function withoutRandomInit<T>(fn: () => T): T {
  const prev = initSkipped;
  initSkipped = true;
  try {
    return fn();
  } finally {
    initSkipped = prev;
  }
}

function flatten(values: ArrayLike<number> | unknown[]): { flat: number[]; inferred: number[] } {
  const inferred: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe) || ArrayBuffer.isView(probe)) {
    const arr = probe as ArrayLike<unknown>;
    inferred.push(arr.length);
    probe = arr.length > 0 ? arr[0] : undefined;
  }
  const flat: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === inferred.length) {
      if (typeof v !== 'number') throw new ShapeError(`expected a number at depth ${depth}, got ${typeof v}`);
      flat.push(v);
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || arr.length !== inferred[depth]) {
      throw new ShapeError(`ragged nested array: expected length ${inferred[depth]} at depth ${depth}`);
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], depth + 1);
  };
  walk(values, 0);
  return { flat, inferred };
}
