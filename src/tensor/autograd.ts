/**
 * The autograd tape. Ops record a GradNode on their output; `runBackward` walks the graph in
 * reverse topological order, each node adding into its parents' gradients. Once a node has run it
 * is freed: its saved buffers and intermediate gradients go back to the pool, so activations are
 * released after every step and memory stays flat over a training run.
 */
import { formatShape, GradError, ShapeError } from './errors.js';
import { releaseBuffer, takeBuffer } from './pool.js';
import { densifyRowGrad, type GradNode, type Tensor } from './tensor.js';
import { allocF32 } from './alloc.js';

let gradEnabled = true;
let liveNodes = 0;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the graph (like `with torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Graph nodes recorded and not yet freed by a backward pass (for leak tests). */
export function liveGraphNodes(): number {
  return liveNodes;
}

/** True when an op over these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Records `node` as the producer of `out` when any parent needs a gradient; returns `out`.
 * Ops call this after computing the forward result.
 */
export function record(out: Tensor, node: GradNode): Tensor {
  if (!needsGrad(...node.parents)) {
    if (node.saved) for (const b of node.saved) releaseBuffer(b);
    return out;
  }
  out.requiresGrad = true;
  out.node = node;
  liveNodes++;
  return out;
}

/**
 * Gives `write` the gradient buffer of `t` to add into. `accumulate` is false when the buffer is
 * fresh (its contents undefined), so the op must overwrite every element or fill it first.
 * Does nothing when `t` does not need a gradient.
 */
export function accumulateGrad(t: Tensor, write: (g: Float32Array, accumulate: boolean) => void): void {
  if (!t.requiresGrad) return;
  if (t.rowGrad) densifyRowGrad(t);
  if (t.gradLive && t.gradData) {
    write(t.gradData, true);
    return;
  }
  if (!t.gradData || t.gradData.length !== t.size) {
    t.gradData = t.isLeaf ? allocF32(t.size) : takeBuffer(t.size);
  }
  t.gradLive = true;
  write(t.gradData, false);
}

/**
 * Passes `g` (owned by the caller, about to be dropped) to `t` as its gradient without a copy when
 * `t` has none yet; otherwise adds it in. Used by views (reshape) whose gradient is the same data.
 */
export function passGrad(t: Tensor, g: Float32Array, giveAway: () => void): void {
  if (!t.requiresGrad) return;
  if (!t.gradLive && !t.isLeaf && g.length === t.size) {
    if (t.gradData && t.gradData !== g) releaseBuffer(t.gradData);
    t.gradData = g;
    t.gradLive = true;
    giveAway();
    return;
  }
  accumulateGrad(t, (dst, acc) => {
    if (acc) for (let i = 0; i < g.length; i++) dst[i]! += g[i]!;
    else dst.set(g);
  });
}

/** Per tensor, the buffer its row-sparse gradient values are written into, reused every step. */
const rowGradBuffers = new WeakMap<Tensor, Float32Array>();

/**
 * `n` rows of `t`'s reusable row-gradient buffer. It grows by at least an eighth when a batch needs
 * more rows than any before (so a few batches settle it), and never beyond `t`'s own rows.
 */
function rowGradBuffer(t: Tensor, n: number, C: number): Float32Array {
  let buf = rowGradBuffers.get(t);
  if (!buf || buf.length < n * C) {
    const had = buf ? buf.length / C : 0;
    const rows = Math.min(t.size / C, Math.ceil(Math.max(n, had * 1.125) / 64) * 64);
    rowGradBuffers.delete(t); // let the old one go before the new one is allocated
    buf = new Float32Array(rows * C);
    rowGradBuffers.set(t, buf);
  }
  return buf.subarray(0, n * C);
}

/**
 * Adds a row-sparse contribution to the gradient of the 2-D tensor `t`: `write(values)` must fill
 * values (rows.length, C) with the gradient rows for `rows` (sorted, distinct). When `t.sparseGrad`
 * is set and `t` has no gradient yet, `write` fills `t`'s reusable buffer and that becomes
 * `t.rowGrad` as it is, with no copy (the Markov table's ~4,500 rows of 29k floats per batch are
 * 0.5 GB); a second contribution before the gradient is cleared is merged into a new buffer; a
 * dense gradient (no `sparseGrad`, or already live) gets the rows added in.
 */
export function accumulateRowGrad(t: Tensor, rows: Int32Array, write: (values: Float32Array) => void): void {
  if (!t.requiresGrad) return;
  const C = t.shape[t.ndim - 1]!;
  const n = rows.length;
  if (t.sparseGrad && !t.gradLive && !t.rowGrad) {
    const values = rowGradBuffer(t, n, C);
    write(values);
    t.rowGrad = { rows: Int32Array.from(rows), values };
    return;
  }
  const add = takeBuffer(n * C);
  write(add);
  if (!t.sparseGrad || t.gradLive) {
    accumulateGrad(t, (dst, acc) => {
      if (!acc) dst.fill(0);
      for (let j = 0; j < n; j++) {
        const o = rows[j]! * C;
        for (let c = 0; c < C; c++) dst[o + c]! += add[j * C + c]!;
      }
    });
  } else {
    // Merge two sorted row lists; the old values may be the reusable buffer, so write elsewhere.
    const old = t.rowGrad!;
    const union: number[] = [];
    for (let a = 0, b = 0; a < old.rows.length || b < n;) {
      const ra = a < old.rows.length ? old.rows[a]! : Infinity;
      const rb = b < n ? rows[b]! : Infinity;
      union.push(Math.min(ra, rb));
      if (ra <= rb) a++;
      if (rb <= ra) b++;
    }
    const merged = new Float32Array(union.length * C);
    for (let a = 0, b = 0, u = 0; u < union.length; u++) {
      const dst = merged.subarray(u * C, (u + 1) * C);
      if (a < old.rows.length && old.rows[a] === union[u]) {
        dst.set(old.values.subarray(a * C, (a + 1) * C));
        a++;
      }
      if (b < n && rows[b] === union[u]) {
        for (let c = 0; c < C; c++) dst[c]! += add[b * C + c]!;
        b++;
      }
    }
    t.rowGrad = { rows: Int32Array.from(union), values: merged };
  }
  releaseBuffer(add);
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative post-order DFS: deep graphs (many layers, long unrolled loops) must not overflow.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const parents = t.node ? t.node.parents : [];
    if (i < parents.length) {
      top[1] = i + 1;
      const p = parents[i]!;
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

export function runBackward(root: Tensor, gradient?: Tensor): void {
  if (root.freed) {
    throw new GradError('backward through a graph that was already freed',
      'backward frees the graph after one pass; run the forward again');
  }
  if (!root.requiresGrad) {
    throw new GradError(`backward on ${root.toString()} that does not require grad`,
      'set requiresGrad on the parameters or inputs before the forward pass');
  }
  if (gradient) {
    if (gradient.size !== root.size) {
      throw new ShapeError(`backward gradient of shape ${formatShape(gradient.shape)} does not match output of shape ${formatShape(root.shape)}`);
    }
  } else if (root.size !== 1) {
    throw new GradError(`backward on a non-scalar ${root.toString()} needs a gradient argument`,
      'reduce to a scalar loss first (mean or sum), or pass the output gradient');
  }
  const order = topoOrder(root);
  // A tensor an earlier backward already freed has lost its node: its inputs would silently get
  // no gradient from this pass. PyTorch refuses too ("backward through the graph a second time").
  for (const t of order) {
    if (t.freed) {
      throw new GradError(`backward reaches ${t.toString()}, whose part of the graph an earlier backward already freed`,
        'run the forward again, or detach() tensors reused across steps');
    }
  }
  const seed = gradient ? gradient.f32('gradient') : null;
  accumulateGrad(root, (g, acc) => {
    for (let i = 0; i < g.length; i++) g[i] = (acc ? g[i]! : 0) + (seed ? seed[i]! : 1);
  });

  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = t.node;
    if (!node) continue;
    if (t.gradLive && t.gradData) node.backward(t.gradData);
    // Free the node: saved activations and this intermediate gradient are no longer needed.
    if (node.saved) for (const b of node.saved) releaseBuffer(b);
    t.node = null;
    t.freed = true;
    liveNodes--;
    if (!t.retainsGrad) {
      if (t.gradData) releaseBuffer(t.gradData);
      t.gradData = null;
      t.gradLive = false;
    }
  }
}
