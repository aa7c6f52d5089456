/**
 * Causal dilated 1-D convolution over (B,T,C) sequences (WaveNet's, as nn.Conv1d(Cin, Cout, K,
 * dilation=d) applied to the input left-padded with (K-1)*d zeros). The weight keeps PyTorch's
 * (Cout,Cin,K) layout so a state dict loads unchanged; activations stay channels-last, so each tap
 * is a plain matrix product over time rows and no im2col copy is made. With per-row lengths
 * (right padding), rows past a sequence's end are neither computed nor differentiated: their
 * output is 0.
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, record } from '../tensor/autograd.js';
import { formatShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * x (B,T,Cin), w (Cout,Cin,K), b (Cout) or null → (B,T,Cout). lengths (B) or null: real rows per
 * sequence (see ops/sequence.ts sequenceLengths); later rows of the output are 0.
 */
export function causalConv1d(x: Tensor, w: Tensor, b: Tensor | null, dilation = 1, lengths: Int32Array | null = null): Tensor {
  if (x.ndim !== 3 || w.ndim !== 3 || x.shape[2] !== w.shape[1]) {
    throw new ShapeError(`causalConv1d: input ${formatShape(x.shape)} does not fit weight ${formatShape(w.shape)}`,
      'the input is (B, T, Cin) and the weight (Cout, Cin, K), as nn.Conv1d\'s');
  }
  const [B, T, Cin] = x.shape as [number, number, number];
  const [Cout, , K] = w.shape as [number, number, number];
  if (K < 1) throw new ShapeError(`causalConv1d: weight ${formatShape(w.shape)} has no taps`);
  if (!(Number.isInteger(dilation) && dilation >= 1)) throw new ShapeError(`causalConv1d: dilation must be a positive integer, got ${dilation}`);
  if (b && (b.ndim !== 1 || b.size !== Cout)) throw new ShapeError(`causalConv1d: bias ${formatShape(b.shape)} does not fit ${Cout} output channels`);
  if (lengths) {
    if (lengths.length !== B) throw new ShapeError(`causalConv1d: ${lengths.length} lengths for a batch of ${B}`);
    for (let i = 0; i < B; i++) {
      if (!(lengths[i]! >= 0 && lengths[i]! <= T)) throw new ShapeError(`causalConv1d: length ${lengths[i]} of row ${i} is outside [0, ${T}]`);
    }
  }
  const X = x.f32('causalConv1d input');
  const W = w.f32('causalConv1d weight');
  const k = kernels();
  const out = new Tensor(new Float32Array(B * T * Cout), [B, T, Cout]);
  k.causalConv1dForward(X, W, b ? b.f32('causalConv1d bias') : null, lengths, out.f32(), B, T, Cin, Cout, K, dilation);
  return record(out, {
    op: 'causalConv1d',
    parents: b ? [x, w, b] : [x, w],
    backward: (g) => {
      // Weight and bias gradients are sums, accumulated by the kernel: fresh buffers start at zero.
      let gW: Float32Array | null = null;
      let gB: Float32Array | null = null;
      accumulateGrad(w, (buf, acc) => { if (!acc) buf.fill(0); gW = buf; });
      if (b) accumulateGrad(b, (buf, acc) => { if (!acc) buf.fill(0); gB = buf; });
      let done = false;
      accumulateGrad(x, (gx, acc) => {
        k.causalConv1dBackward(X, W, lengths, g, gx, gW, gB, B, T, Cin, Cout, K, dilation, acc);
        done = true;
      });
      if (!done && (gW || gB)) k.causalConv1dBackward(X, W, lengths, g, null, gW, gB, B, T, Cin, Cout, K, dilation, false);
    },
  });
}
