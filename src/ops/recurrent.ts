/**
 * One layer of PyTorch's nn.RNN (tanh), nn.LSTM or nn.GRU over a packed batch (ops/sequence.ts):
 * x (N,E) holds the real positions time-major, batchSizes[t] rows at step t, longest first, so
 * padding costs nothing. The work is laid out the way fast CPU implementations do it:
 *   forward   Gx (N,G) = x W_ih^T + b in one GEMM for all steps; then per step one small GEMM
 *             h_{t-1} W_hh^T (W_hh packed once) and one fused cell kernel (gate nonlinearities and
 *             state update). G = H (rnn), 4H (lstm: i, f, g, o), 3H (gru: r, z, n).
 *   backward  per step, in reverse: the cell's backward kernel gives the gate gradients dG_t, and
 *             one small GEMM dG_t W_hh adds into dh_{t-1}; after the sweep the weight gradients
 *             are large GEMMs over all steps (dG^T x, dG^T h_{t-1}) and dx = dG W_ih.
 * Biases: rnn and lstm add b_ih + b_hh once into Gx; the GRU keeps b_hh apart, since b_hn sits
 * inside the reset gate's product, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
 * Saved for backward: the gate activations (N,G), the output h (N,H) and the LSTM's cell c (N,H)
 * or the GRU's W_hn h + b_hn (N,H).
 */
import { kernels } from '../backend/index.js';
import { accumulateGrad, needsGrad, record } from '../tensor/autograd.js';
import { formatShape, GradError, ShapeError } from '../tensor/errors.js';
import { releaseBuffer, takeBuffer } from '../tensor/pool.js';
import { Tensor } from '../tensor/tensor.js';

export type RecurrentMode = 'rnn' | 'lstm' | 'gru';

/** Gate blocks per mode: weights are (gates * H, ·). */
export const GATES: Readonly<Record<RecurrentMode, number>> = { rnn: 1, lstm: 4, gru: 3 };

/**
 * A state carried across calls, for incremental decoding (no gradients): h (rows,H) and, for the
 * LSTM, c (rows,H), rows = batchSizes[0], in packed order. Read as the state before step 0 and
 * overwritten with each row's state after its last step.
 */
export interface RecurrentState {
  h: Float32Array;
  c: Float32Array | null;
}

/** The layer's weights, named as PyTorch's (per layer l: weight_ih_l{l}, ...). */
export interface RecurrentWeights {
  /** (G,E) */ wIh: Tensor;
  /** (G,H) */ wHh: Tensor;
  /** (G) */ bIh: Tensor;
  /** (G) */ bHh: Tensor;
}

function checkShapes(mode: RecurrentMode, x: Tensor, batchSizes: Int32Array, w: RecurrentWeights): { E: number; H: number } {
  const G = w.wIh.shape[0]!;
  const H = G / GATES[mode];
  const what = `${mode}: input ${formatShape(x.shape)}, weight_ih ${formatShape(w.wIh.shape)}, weight_hh ${formatShape(w.wHh.shape)}`;
  if (x.ndim !== 2 || w.wIh.ndim !== 2 || w.wHh.ndim !== 2 || !Number.isInteger(H) || H < 1) {
    throw new ShapeError(`${what} do not fit`, `x is (N, E), weight_ih (${GATES[mode]}*H, E) and weight_hh (${GATES[mode]}*H, H)`);
  }
  const E = x.shape[1]!;
  if (w.wIh.shape[1] !== E || w.wHh.shape[0] !== G || w.wHh.shape[1] !== H) {
    throw new ShapeError(`${what} do not fit`, `x is (N, E), weight_ih (${GATES[mode]}*H, E) and weight_hh (${GATES[mode]}*H, H)`);
  }
  if (w.bIh.size !== G || w.bHh.size !== G) {
    throw new ShapeError(`${mode}: biases ${formatShape(w.bIh.shape)} and ${formatShape(w.bHh.shape)} must both have ${G} elements`);
  }
  let n = 0;
  for (let t = 0; t < batchSizes.length; t++) {
    const s = batchSizes[t]!;
    if (!(s >= 1) || (t > 0 && s > batchSizes[t - 1]!)) {
      throw new ShapeError(`${mode}: batchSizes must be positive and non-increasing, got ${s} at step ${t}`, 'build them with planPacking');
    }
    n += s;
  }
  if (n !== x.shape[0]) throw new ShapeError(`${mode}: batchSizes add up to ${n} rows but the input has ${x.shape[0]}`);
  return { E, H };
}

/**
 * x (N,E) packed → h (N,H) packed: one recurrent layer from a zero state (or `state`, which then
 * also receives the final state; only without gradients).
 */
export function recurrent(mode: RecurrentMode, x: Tensor, batchSizes: Int32Array, w: RecurrentWeights,
  state?: RecurrentState): Tensor {
  const { E, H } = checkShapes(mode, x, batchSizes, w);
  const S = batchSizes.length;
  const N = x.shape[0]!;
  const G = GATES[mode] * H;
  const rows0 = S > 0 ? batchSizes[0]! : 0;
  if (state) {
    if (needsGrad(x, w.wIh, w.wHh, w.bIh, w.bHh)) throw new GradError(`${mode}: a carried state is for decoding only`, 'run it inside noGrad()');
    if (state.h.length !== rows0 * H || (mode === 'lstm') !== (state.c !== null) || (state.c && state.c.length !== rows0 * H)) {
      throw new ShapeError(`${mode}: the state must hold h${mode === 'lstm' ? ' and c' : ''} of ${rows0} rows of ${H}`);
    }
  }
  const off = new Int32Array(S + 1);
  for (let t = 0; t < S; t++) off[t + 1] = off[t]! + batchSizes[t]!;
  const k = kernels();
  const X = x.f32(`${mode} input`);
  const Wih = w.wIh.f32('weight_ih');
  const Whh = w.wHh.f32('weight_hh');
  const Bhh = w.bHh.f32('bias_hh');
  const out = new Tensor(new Float32Array(N * H), [N, H]);
  const Hs = out.f32();
  // Gx (N,G) = x W_ih^T + b_ih (+ b_hh except for the GRU); the RNN's is its output buffer.
  const pre = mode === 'rnn' ? Hs : takeBuffer(N * G);
  k.sgemm(false, true, N, G, E, X, Wih, pre, false);
  const bias = Float32Array.from(w.bIh.f32('bias_ih'));
  if (mode !== 'gru') k.addBroadcast(bias, Bhh, bias, 1, G);
  k.addBroadcast(pre, bias, pre, N, G);
  const cs = mode === 'lstm' ? takeBuffer(N * H) : null; // (N,H) LSTM cell states
  const hn = mode === 'gru' ? takeBuffer(N * H) : null; // (N,H) GRU W_hn h + b_hn
  const gh = mode === 'gru' ? takeBuffer(rows0 * G) : null; // (rows,G) GRU h W_hh^T of one step
  const WhhT = takeBuffer(k.packedBSize(G, H));
  k.packB(true, G, H, Whh, WhhT); // op(B) = W_hh^T (H,G), packed once for every step
  const rowsOf = (buf: Float32Array, first: number, n: number, width: number) => buf.subarray(first * width, (first + n) * width);
  for (let t = 0; t < S; t++) {
    const n = batchSizes[t]!;
    const o = off[t]!;
    const p = t > 0 ? off[t - 1]! : -1;
    const hPrev = t > 0 ? rowsOf(Hs, p, n, H) : state ? state.h.subarray(0, n * H) : null; // (n,H)
    const preT = rowsOf(pre, o, n, G); // (n,G)
    const hT = rowsOf(Hs, o, n, H);
    if (mode === 'gru') {
      const ghT = hPrev ? gh!.subarray(0, n * G) : null;
      if (ghT) k.sgemmPackedB(false, n, G, H, hPrev!, WhhT, ghT, false);
      k.gruCellForward(preT, ghT, Bhh, hPrev, rowsOf(hn!, o, n, H), hT, n, H);
      continue;
    }
    if (hPrev) k.sgemmPackedB(false, n, G, H, hPrev, WhhT, preT, true); // Gx_t += h_{t-1} W_hh^T
    if (mode === 'rnn') k.tanhForward(preT, hT); // the same rows: h_t in place
    else {
      const cPrev = t > 0 ? rowsOf(cs!, p, n, H) : state?.c ? state.c.subarray(0, n * H) : null;
      k.lstmCellForward(preT, cPrev, rowsOf(cs!, o, n, H), hT, n, H);
    }
  }
  releaseBuffer(WhhT);
  if (gh) releaseBuffer(gh);
  if (state) {
    // Row j's last step is the last t with batchSizes[t] > j.
    for (let j = 0, t = S; j < rows0; j++) {
      while (t > 0 && batchSizes[t - 1]! <= j) t--;
      const last = off[t - 1]! + j;
      state.h.set(rowsOf(Hs, last, 1, H), j * H);
      if (state.c) state.c.set(rowsOf(cs!, last, 1, H), j * H);
    }
  }
  const saved = [mode === 'rnn' ? null : pre, cs, hn].filter((b): b is Float32Array => b !== null);
  return record(out, {
    op: mode,
    parents: [x, w.wIh, w.wHh, w.bIh, w.bHh],
    saved,
    backward: (g) => {
      const dH = takeBuffer(N * H); // dL/dh (N,H): the output's gradient, plus the recurrent paths
      dH.set(g);
      // The RNN's gate gradient overwrites dH in place; the others have their own (N,G).
      const dG = mode === 'rnn' ? dH : takeBuffer(N * G);
      const dGh = mode === 'gru' ? takeBuffer(N * G) : dG; // gradient of h W_hh^T + b_hh
      const dc = mode === 'lstm' ? new Float32Array(rows0 * H) : null;
      const WhhP = takeBuffer(k.packedBSize(H, G));
      k.packB(false, H, G, Whh, WhhP); // op(B) = W_hh (G,H)
      for (let t = S - 1; t >= 0; t--) {
        const n = batchSizes[t]!;
        const o = off[t]!;
        const p = t > 0 ? off[t - 1]! : -1;
        const dHt = rowsOf(dH, o, n, H);
        const dHPrev = t > 0 ? rowsOf(dH, p, n, H) : null;
        if (mode === 'rnn') k.tanhBackward(rowsOf(Hs, o, n, H), dHt, dHt, false);
        else if (mode === 'lstm') {
          const cPrev = t > 0 ? rowsOf(cs!, p, n, H) : null;
          k.lstmCellBackward(rowsOf(pre, o, n, G), cPrev, rowsOf(cs!, o, n, H), dHt, dc!.subarray(0, n * H), rowsOf(dG, o, n, G), n, H);
        } else {
          const hPrev = t > 0 ? rowsOf(Hs, p, n, H) : null;
          k.gruCellBackward(rowsOf(pre, o, n, G), rowsOf(hn!, o, n, H), hPrev, dHt, rowsOf(dG, o, n, G), rowsOf(dGh, o, n, G), dHPrev, n, H);
        }
        if (dHPrev) k.sgemmPackedB(false, n, H, G, rowsOf(dGh, o, n, G), WhhP, dHPrev, true); // dh_{t-1} += dG_t W_hh
      }
      releaseBuffer(WhhP);
      accumulateGrad(x, (gx, acc) => k.sgemm(false, false, N, E, G, dG, Wih, gx, acc)); // (N,E) = dG W_ih
      accumulateGrad(w.wIh, (gw, acc) => k.sgemm(true, false, G, E, N, dG, X, gw, acc)); // (G,E) = dG^T x
      accumulateGrad(w.bIh, (gb, acc) => k.sumRows(dG, gb, N, G, acc));
      accumulateGrad(w.bHh, (gb, acc) => k.sumRows(dGh, gb, N, G, acc));
      accumulateGrad(w.wHh, (gw, acc) => {
        // (G,H) = sum over steps t >= 1 of dGh_t^T h_{t-1}: the h_{t-1} rows, gathered to line up.
        const M = N - rows0;
        const hp = takeBuffer(M * H);
        for (let t = 1; t < S; t++) hp.set(rowsOf(Hs, off[t - 1]!, batchSizes[t]!, H), (off[t]! - rows0) * H);
        k.sgemm(true, false, G, H, M, dGh.subarray(rows0 * G), hp, gw, acc);
        releaseBuffer(hp);
      });
      releaseBuffer(dH);
      if (dG !== dH) releaseBuffer(dG);
      if (dGh !== dG) releaseBuffer(dGh);
    },
  });
}

/** PyTorch's nn.RNN(nonlinearity='tanh') layer: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh). */
export function rnnTanh(x: Tensor, batchSizes: Int32Array, w: RecurrentWeights, state?: RecurrentState): Tensor {
  return recurrent('rnn', x, batchSizes, w, state);
}

/** PyTorch's nn.LSTM layer (gates i, f, g, o). */
export function lstm(x: Tensor, batchSizes: Int32Array, w: RecurrentWeights, state?: RecurrentState): Tensor {
  return recurrent('lstm', x, batchSizes, w, state);
}

/** PyTorch's nn.GRU layer (gates r, z, n; b_hn inside the reset product). */
export function gru(x: Tensor, batchSizes: Int32Array, w: RecurrentWeights, state?: RecurrentState): Tensor {
  return recurrent('gru', x, batchSizes, w, state);
}
