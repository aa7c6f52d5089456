/**
 * Reference causal dilated 1-D convolution, channels last (x (B,T,Cin), y (B,T,Cout)) with
 * PyTorch's weight layout (Cout,Cin,K): tap j looks (K-1-j)*dilation steps back, so tap K-1 is the
 * current position and positions before t = 0 read zeros (the left padding). Rows at or past a
 * sequence's length are padding: their outputs are 0 and their output gradients are ignored, so a
 * real position's result never depends on them (they are all later in time anyway).
 */

function lengthOf(lengths: Int32Array | null, b: number, T: number): number {
  return lengths ? lengths[b]! : T;
}

export function causalConv1dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, lengths: Int32Array | null,
  y: Float32Array, B: number, T: number, Cin: number, Cout: number, K: number, dilation: number): void {
  for (let b = 0; b < B; b++) {
    const len = lengthOf(lengths, b, T);
    for (let t = 0; t < T; t++) {
      const yo = (b * T + t) * Cout;
      for (let co = 0; co < Cout; co++) {
        if (t >= len) {
          y[yo + co] = 0;
          continue;
        }
        let s = bias ? bias[co]! : 0;
        for (let j = 0; j < K; j++) {
          const src = t - (K - 1 - j) * dilation;
          if (src < 0) continue;
          const xo = (b * T + src) * Cin;
          for (let ci = 0; ci < Cin; ci++) s += w[(co * Cin + ci) * K + j]! * x[xo + ci]!;
        }
        y[yo + co] = s;
      }
    }
  }
}

export function causalConv1dBackward(x: Float32Array, w: Float32Array, lengths: Int32Array | null, gy: Float32Array,
  gx: Float32Array | null, gw: Float32Array | null, gBias: Float32Array | null, B: number, T: number, Cin: number,
  Cout: number, K: number, dilation: number, accumulateX: boolean): void {
  if (gx && !accumulateX) gx.fill(0, 0, B * T * Cin);
  for (let b = 0; b < B; b++) {
    const len = lengthOf(lengths, b, T);
    for (let t = 0; t < len; t++) {
      const go = (b * T + t) * Cout;
      for (let co = 0; co < Cout; co++) {
        const g = gy[go + co]!;
        if (gBias) gBias[co]! += g;
        for (let j = 0; j < K; j++) {
          const src = t - (K - 1 - j) * dilation;
          if (src < 0) continue;
          const xo = (b * T + src) * Cin;
          for (let ci = 0; ci < Cin; ci++) {
            const wi = (co * Cin + ci) * K + j;
            if (gx) gx[xo + ci]! += g * w[wi]!;
            if (gw) gw[wi]! += g * x[xo + ci]!;
          }
        }
      }
    }
  }
}
