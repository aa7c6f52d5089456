/**
 * Reference softmax family: softmax, log-softmax and the fused softmax + cross-entropy. All
 * subtract the row maximum first so large logits do not overflow; row sums are in double.
 */

export function softmaxForward(x: Float32Array, y: Float32Array, R: number, C: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (x[o + c]! > max) max = x[o + c]!;
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(x[o + c]! - max);
      y[o + c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < C; c++) y[o + c]! *= inv;
  }
}

export function softmaxBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, R: number, C: number,
  accumulate: boolean): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += gy[o + c]! * y[o + c]!;
    for (let c = 0; c < C; c++) {
      const g = y[o + c]! * (gy[o + c]! - dot);
      gx[o + c] = accumulate ? gx[o + c]! + g : g;
    }
  }
}

/** logsumexp of one row, max-shifted. */
function rowLogSumExp(x: Float32Array, o: number, C: number): number {
  let max = -Infinity;
  for (let c = 0; c < C; c++) if (x[o + c]! > max) max = x[o + c]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let c = 0; c < C; c++) sum += Math.exp(x[o + c]! - max);
  return max + Math.log(sum);
}

export function logSoftmaxForward(x: Float32Array, y: Float32Array, R: number, C: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    const lse = rowLogSumExp(x, o, C);
    for (let c = 0; c < C; c++) y[o + c] = x[o + c]! - lse;
  }
}

export function logSoftmaxBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, R: number, C: number,
  accumulate: boolean): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += gy[o + c]!;
    for (let c = 0; c < C; c++) {
      const g = gy[o + c]! - Math.exp(y[o + c]!) * sum;
      gx[o + c] = accumulate ? gx[o + c]! + g : g;
    }
  }
}

export function crossEntropyForward(logits: Float32Array, targets: Int32Array, loss: Float32Array,
  lse: Float32Array, R: number, V: number): void {
  for (let r = 0; r < R; r++) {
    const t = targets[r]!;
    if (t < 0) {
      loss[r] = 0;
      lse[r] = 0;
      continue;
    }
    const l = rowLogSumExp(logits, r * V, V);
    lse[r] = l;
    loss[r] = l - logits[r * V + t]!;
  }
}

export function crossEntropyBackward(logits: Float32Array, targets: Int32Array, lse: Float32Array,
  w: Float32Array, gLogits: Float32Array, R: number, V: number, accumulate: boolean): void {
  for (let r = 0; r < R; r++) {
    const o = r * V;
    const t = targets[r]!;
    const wr = w[r]!;
    if (t < 0 || wr === 0) {
      if (!accumulate) gLogits.fill(0, o, o + V);
      continue;
    }
    const l = lse[r]!;
    for (let c = 0; c < V; c++) {
      const g = wr * Math.exp(logits[o + c]! - l);
      gLogits[o + c] = accumulate ? gLogits[o + c]! + g : g;
    }
    gLogits[o + t]! -= wr;
  }
}

export function crossEntropyFused(logits: Float32Array, bias: Float32Array | null, targets: Int32Array,
  w: Float32Array, loss: Float32Array, R: number, V: number, gBias: Float32Array | null = null): void {
  fusedRows(logits, bias, targets, w, loss, R, V);
  if (gBias) {
    for (let r = 0; r < R; r++) for (let c = 0, o = r * V; c < V; c++) gBias[c]! += logits[o + c]!;
  }
}

function fusedRows(logits: Float32Array, bias: Float32Array | null, targets: Int32Array,
  w: Float32Array, loss: Float32Array, R: number, V: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * V;
    const t = targets[r]!;
    if (t < 0) {
      loss[r] = 0;
      logits.fill(0, o, o + V);
      continue;
    }
    if (bias) for (let c = 0; c < V; c++) logits[o + c] = logits[o + c]! + bias[c]!;
    const l = rowLogSumExp(logits, o, V);
    loss[r] = l - logits[o + t]!;
    const wr = w[r]!;
    if (wr === 0) {
      logits.fill(0, o, o + V);
      continue;
    }
    const lf = Math.fround(l); // as crossEntropyBackward reads it from a float32 lse
    for (let c = 0; c < V; c++) logits[o + c] = wr * Math.exp(logits[o + c]! - lf);
    logits[o + t]! -= wr;
  }
}

export function gatherLogSumExp(table: Float32Array, rows: Int32Array, lse: Float32Array, V: number): void {
  for (let j = 0; j < rows.length; j++) lse[j] = rowLogSumExp(table, rows[j]! * V, V);
}

export function gatherSoftmax(table: Float32Array, rows: Int32Array, lse: Float32Array, scale: Float32Array,
  out: Float32Array, V: number): void {
  for (let j = 0; j < rows.length; j++) {
    const o = rows[j]! * V;
    const l = lse[j]!;
    const s = scale[j]!;
    for (let c = 0; c < V; c++) out[j * V + c] = s * Math.exp(table[o + c]! - l);
  }
}
