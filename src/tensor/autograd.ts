/**
 * The autograd tape. Ops record a GradNode on their output; `runBackward` walks the graph in
 * reverse topological order, each node adding into its parents' gradients. Once a node has run it
 * is freed: its saved buffers and intermediate gradients go back to the pool, so activations are
 * released after every step and memory stays flat over a training run.
 */
import { formatShape, GradError, ShapeError } from './errors.js';
import { releaseBuffer, takeBuffer } from './pool.js';
import { densifyRowGrad, type GradNode, type Tensor } from './tensor.js';

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
    t.gradData = t.isLeaf ? new Float32Array(t.size) : takeBuffer(t.size);
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

/**
 * Adds a row-sparse contribution: `rows` maps a row index to its gradient row (length C). Kept
 * row-sparse when `t.sparseGrad` is set and no dense gradient is live; otherwise added densely.
 */
export function accumulateRowGrad(t: Tensor, rows: ReadonlyMap<number, Float32Array>, scale: number): void {
  if (!t.requiresGrad) return;
  const C = t.shape[t.ndim - 1]!;
  if (!t.sparseGrad || t.gradLive) {
    accumulateGrad(t, (dst, acc) => {
      if (!acc) dst.fill(0);
      for (const [r, g] of rows) {
        const o = r * C;
        for (let c = 0; c < C; c++) dst[o + c]! += scale * g[c]!;
      }
    });
    return;
  }
  const merged = new Map<number, Float32Array>();
  if (t.rowGrad) t.rowGrad.rows.forEach((r, i) => merged.set(r, t.rowGrad!.values.slice(i * C, (i + 1) * C)));
  for (const [r, g] of rows) {
    const cur = merged.get(r);
    if (cur) for (let c = 0; c < C; c++) cur[c]! += scale * g[c]!;
    else merged.set(r, scale === 1 ? g : g.map((x) => x * scale));
  }
  const sorted = Int32Array.from(merged.keys()).sort();
  const values = new Float32Array(sorted.length * C);
  sorted.forEach((r, i) => values.set(merged.get(r)!, i * C));
  t.rowGrad = { rows: sorted, values };
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
