/**
 * Reference layer norm over the last dimension (biased variance, as PyTorch). Backward uses the
 * saved mean and rstd: gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)),
 * with gxhat = gy * gamma.
 */

export function layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array,
  mean: Float32Array, rstd: Float32Array, R: number, C: number, eps: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[o + c]!;
    const mu = s / C;
    let ss = 0;
    for (let c = 0; c < C; c++) {
      const d = x[o + c]! - mu;
      ss += d * d;
    }
    const rs = 1 / Math.sqrt(ss / C + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let c = 0; c < C; c++) y[o + c] = (x[o + c]! - mu) * rs * gamma[c]! + beta[c]!;
  }
}

export function layerNormBackward(x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array,
  gy: Float32Array, gx: Float32Array | null, gGamma: Float32Array | null, gBeta: Float32Array | null,
  R: number, C: number, accumulateX: boolean): void {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    const mu = mean[r]!;
    const rs = rstd[r]!;
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < C; c++) {
      const xhat = (x[o + c]! - mu) * rs;
      const g = gy[o + c]!;
      if (gGamma) gGamma[c]! += g * xhat;
      if (gBeta) gBeta[c]! += g;
      const gh = g * gamma[c]!;
      sumG += gh;
      sumGX += gh * xhat;
    }
    if (!gx) continue;
    const mG = sumG / C;
    const mGX = sumGX / C;
    for (let c = 0; c < C; c++) {
      const xhat = (x[o + c]! - mu) * rs;
      const v = rs * (gy[o + c]! * gamma[c]! - mG - xhat * mGX);
      gx[o + c] = accumulateX ? gx[o + c]! + v : v;
    }
  }
}
