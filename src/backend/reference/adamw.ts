/** Reference AdamW update, in place, with PyTorch's operation order (decay, moments, step). */

export function adamwStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number,
  beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void {
  const decay = 1 - lr * weightDecay;
  const stepSize = lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * gi;
    const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom
    p[i] = p[i]! * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/** AdamW on a row-sparse gradient: rows not listed see g = 0 but are updated all the same. */
export function adamwStepRows(p: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, g: Float32Array, C: number,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void {
  const decay = 1 - lr * weightDecay;
  const stepSize = lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  const R = p.length / C;
  let j = 0;
  for (let r = 0; r < R; r++) {
    const o = r * C;
    const hasRow = j < rows.length && rows[j] === r;
    const go = j * C;
    for (let c = 0; c < C; c++) {
      const gi = hasRow ? g[go + c]! : 0;
      const mi = beta1 * m[o + c]! + (1 - beta1) * gi;
      const vi = beta2 * v[o + c]! + (1 - beta2) * gi * gi;
      m[o + c] = mi;
      v[o + c] = vi;
      p[o + c] = p[o + c]! * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
    if (hasRow) j++;
  }
}
