/**
 * Reference tanh and ReLU. Both backward passes read the saved output instead of the input
 * (tanh' = 1 - y^2; relu' = [y > 0]), so an op may overwrite its input with the result.
 */

export function tanhForward(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
}

export function tanhBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, accumulate: boolean): void {
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const g = gy[i]! * (1 - yi * yi);
    gx[i] = accumulate ? gx[i]! + g : g;
  }
}

export function reluForward(x: Float32Array, y: Float32Array): void {
  // x > 0 ? x : 0 also maps NaN to 0; PyTorch keeps NaN, and so does this.
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v > 0 || Number.isNaN(v) ? v : 0;
  }
}

export function reluBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, accumulate: boolean): void {
  for (let i = 0; i < y.length; i++) {
    const g = y[i]! > 0 ? gy[i]! : 0;
    gx[i] = accumulate ? gx[i]! + g : g;
  }
}
