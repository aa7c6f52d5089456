/**
 * The Kernels interface: every numerical loop slmkit runs, as named methods on flat typed arrays
 * and integer dimensions. Nothing here knows about tensors or autograd. `backend/reference`
 * implements each one with plain loops (the definition of correctness); faster backends
 * implement the same names and are tested against it.
 *
 * Conventions: row-major, contiguous. Dimension letters: B batch, T time, C channels, V vocab,
 * H heads, D head size, M/N/K matrix sizes. "Accumulate" flags mean `out += result` instead of
 * `out = result`, so backward passes can add into an existing gradient without a temporary.
 */

export interface Kernels {
  /** Backend name, for `slm info` and test titles. */
  readonly name: string;

  /**
   * C (M,N) = op(A) @ op(B) (+ C when accumulate). op(A) is (M,K): A is (M,K), or (K,M) when
   * transA. op(B) is (K,N): B is (K,N), or (N,K) when transB.
   */
  sgemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
    A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void;

  /**
   * Floats packB needs for an op(B) of (K,N) (at least K*N; the layout is the backend's own: the
   * native one holds zero-padded register-width column panels per K block).
   */
  packedBSize(N: number, K: number): number;
  /** Bp (packedBSize(N,K)) = op(B) (K,N) packed for sgemmPackedB; B as in sgemm. */
  packB(transB: boolean, N: number, K: number, B: Float32Array, Bp: Float32Array): void;
  /**
   * sgemm with op(B) given packed by packB, so several products sharing one B (a weight used by
   * every chunk of rows) pack it once.
   */
  sgemmPackedB(transA: boolean, M: number, N: number, K: number, A: Float32Array, Bp: Float32Array,
    C: Float32Array, accumulate: boolean): void;

  /** out (R,C) = x (R,C) + b (C) repeated over R rows (R = 1 for same-shape add). */
  addBroadcast(x: Float32Array, b: Float32Array, out: Float32Array, R: number, C: number): void;
  /** out (R,C) = x (R,C) * b (C) repeated over R rows. */
  mulBroadcast(x: Float32Array, b: Float32Array, out: Float32Array, R: number, C: number): void;
  /** out = x * s + t, elementwise (s, t scalars). */
  scaleShift(x: Float32Array, s: number, t: number, out: Float32Array): void;
  /** out (+)= x: plain accumulate/copy of a gradient. */
  axpy(alpha: number, x: Float32Array, out: Float32Array, accumulate: boolean): void;
  /** out (C) (+)= sum over R rows of x (R,C): the gradient of a broadcast operand. */
  sumRows(x: Float32Array, out: Float32Array, R: number, C: number, accumulate: boolean): void;
  /** out (C) (+)= sum over R rows of x (R,C) * y (R,C). */
  sumRowsProduct(x: Float32Array, y: Float32Array, out: Float32Array, R: number, C: number,
    accumulate: boolean): void;

  /** out (N,C) = table (V,C) rows at ids (N). Ids are checked by the op, not here. */
  embeddingForward(ids: Int32Array, table: Float32Array, out: Float32Array, C: number): void;
  /** gTable (V,C) += gOut (N,C) scattered to rows ids (N). */
  embeddingBackward(ids: Int32Array, gOut: Float32Array, gTable: Float32Array, C: number): void;

  /** out = x * mask * scale, mask is 0/1 per element (inverted dropout). */
  dropoutApply(x: Float32Array, mask: Uint8Array, scale: number, out: Float32Array,
    accumulate: boolean): void;
  /**
   * mask (n) = 1 where the seeded generator's next uniform is >= p, else 0, drawing one number per
   * element in order. state (4) is the xoshiro128** state of tensor/rng.ts, advanced in place, so
   * every backend draws the same mask from the same seed.
   */
  dropoutMask(state: Int32Array, p: number, mask: Uint8Array): void;

  /** y (R,C) = softmax over each row of x (R,C). */
  softmaxForward(x: Float32Array, y: Float32Array, R: number, C: number): void;
  /** gx (R,C) (+)= y * (gy - sum(gy * y)) per row. */
  softmaxBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, R: number, C: number,
    accumulate: boolean): void;
  /** y (R,C) = x - logsumexp(x) per row. */
  logSoftmaxForward(x: Float32Array, y: Float32Array, R: number, C: number): void;
  /** gx (R,C) (+)= gy - exp(y) * sum(gy) per row. */
  logSoftmaxBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, R: number, C: number,
    accumulate: boolean): void;

  /**
   * Fused softmax + cross-entropy forward over rows of logits (R,V) with targets (R):
   * lse (R) = logsumexp(row), loss (R) = lse - logits[target]. Rows whose target is < 0
   * (ignored) get loss 0. Never materialises probabilities.
   */
  crossEntropyForward(logits: Float32Array, targets: Int32Array, loss: Float32Array,
    lse: Float32Array, R: number, V: number): void;
  /**
   * gLogits (R,V) (+)= w[r] * (softmax(row) - onehot(target)), recomputing softmax from lse (R).
   * w (R) is the upstream gradient of each row's loss (mask / count for the masked mean).
   */
  crossEntropyBackward(logits: Float32Array, targets: Int32Array, lse: Float32Array,
    w: Float32Array, gLogits: Float32Array, R: number, V: number, accumulate: boolean): void;
  /**
   * crossEntropyForward then crossEntropyBackward (accumulate off) in one pass, in place: logits
   * (R,V) (+ bias (V) when given, added first) in; w[r] * (softmax(row) - onehot(target)) out
   * (all zeros for rows with target < 0 or w[r] = 0); loss (R) = logsumexp(row) - row[target]
   * (0 for ignored rows). With gBias (V), the output rows' sum (the bias gradient) is added to it
   * in the same pass.
   */
  crossEntropyFused(logits: Float32Array, bias: Float32Array | null, targets: Int32Array, w: Float32Array,
    loss: Float32Array, R: number, V: number, gBias?: Float32Array | null): void;
  /**
   * lse (n) = logsumexp of row rows[j] of table (R,V), for the n = rows.length rows (ids checked
   * by the op): crossEntropyForward's lse for logits that are rows of a table (the Markov chain).
   */
  gatherLogSumExp(table: Float32Array, rows: Int32Array, lse: Float32Array, V: number): void;
  /** out (n,V) = scale[j] * softmax(row rows[j] of table), the softmax recomputed from lse (n). */
  gatherSoftmax(table: Float32Array, rows: Int32Array, lse: Float32Array, scale: Float32Array,
    out: Float32Array, V: number): void;

  /** Layer norm over rows of x (R,C): y = (x - mean) * rstd * gamma + beta; saves mean, rstd (R). */
  layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array,
    mean: Float32Array, rstd: Float32Array, R: number, C: number, eps: number): void;
  /** gx (R,C) (+)= ..., gGamma (C) += ..., gBeta (C) += ... (either may be null to skip). */
  layerNormBackward(x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array,
    gy: Float32Array, gx: Float32Array | null, gGamma: Float32Array | null,
    gBeta: Float32Array | null, R: number, C: number, accumulateX: boolean): void;

  /** y = x * Phi(x), exact erf form (PyTorch's default GELU). */
  geluForward(x: Float32Array, y: Float32Array): void;
  /** gx (+)= gy * (Phi(x) + x * phi(x)). */
  geluBackward(x: Float32Array, gy: Float32Array, gx: Float32Array, accumulate: boolean): void;

  /**
   * Causal multi-head attention. q, k, v, out are (B,T,H,D) flattened ((B,T,C) with C = H*D).
   * keyMask (B,T) is 1 for real tokens, 0 for padding, or null for none. att (B,H,T,T) receives
   * the attention probabilities (saved for backward); a query row with no visible key gets zeros.
   */
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, keyMask: Float32Array | null,
    att: Float32Array, out: Float32Array, B: number, T: number, H: number, D: number,
    scale: number): void;
  /** Gradients of attentionForward; gq, gk, gv (B,T,H,D) are accumulated into. */
  attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array,
    gOut: Float32Array, gq: Float32Array, gk: Float32Array, gv: Float32Array,
    B: number, T: number, H: number, D: number, scale: number): void;
  /**
   * attentionForward over S sequences laid end to end: q, k, v, out (N,H,D), sequence s on rows
   * [offsets[s], offsets[s+1]) (offsets (S+1) int32 from 0, never decreasing), no padding; att
   * holds each sequence's (H,L,L) probabilities in sequence order (H times the sum of L² floats).
   */
  attentionForwardSegments(q: Float32Array, k: Float32Array, v: Float32Array, offsets: Int32Array,
    att: Float32Array, out: Float32Array, H: number, D: number, scale: number): void;
  /** Gradients of attentionForwardSegments; gq, gk, gv (N,H,D) are accumulated into. */
  attentionBackwardSegments(q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array,
    gOut: Float32Array, gq: Float32Array, gk: Float32Array, gv: Float32Array, offsets: Int32Array,
    H: number, D: number, scale: number): void;

  /**
   * One AdamW step in place (PyTorch semantics): p *= 1 - lr*wd; m = b1 m + (1-b1) g;
   * v = b2 v + (1-b2) g^2; p -= lr * (m / bc1) / (sqrt(v / bc2) + eps).
   */
  adamwStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;

  /**
   * adamwStep over a (R,C) parameter whose gradient is row-sparse: `g` (n,C) holds the gradient
   * rows `rows` (n, sorted, distinct); every other row has gradient 0 and is still updated (decay,
   * moments, step), so the result equals adamwStep on the dense gradient.
   */
  adamwStepRows?(p: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, g: Float32Array, C: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void;

  /** Sum of squares of x, in double precision (for global-norm clipping). */
  sumSquares(x: Float32Array): number;

  /**
   * out (n) = mean + std * z for the next n standard normals of the seeded generator whose
   * xoshiro128** state (4) is advanced in place, exactly as tensor/rng.ts draws them (pairs by
   * Box-Muller, see backend/reference/random.ts). When n is odd, the unused second normal of the
   * last pair goes to spare[0]; otherwise spare[0] = NaN. Identical numbers on every backend.
   */
  fillNormal(state: Int32Array, out: Float32Array, mean: number, std: number, spare: Float64Array): void;

  /** y = tanh(x) (in place allowed). */
  tanhForward(x: Float32Array, y: Float32Array): void;
  /** gx (+)= gy * (1 - y^2), from the output y (gx may be gy). */
  tanhBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, accumulate: boolean): void;
  /** y = max(x, 0). */
  reluForward(x: Float32Array, y: Float32Array): void;
  /** gx (+)= gy where y > 0, else 0. */
  reluBackward(y: Float32Array, gy: Float32Array, gx: Float32Array, accumulate: boolean): void;

  /**
   * LSTM step (gates i,f,g,o): gates (n,4H) pre-activations in, activations out; c = f*cPrev + i*g,
   * h = o*tanh(c), both (n,H); cPrev null: zero.
   */
  lstmCellForward(gates: Float32Array, cPrev: Float32Array | null, c: Float32Array, h: Float32Array,
    n: number, H: number): void;
  /** Its backward: dGates (n,4H) = dL/dpre; dc (n,H): dL/dc in, dL/dcPrev out. */
  lstmCellBackward(gates: Float32Array, cPrev: Float32Array | null, c: Float32Array, dh: Float32Array,
    dc: Float32Array, dGates: Float32Array, n: number, H: number): void;
  /**
   * GRU step (r,z,n): gx (n,3H) = x W_ih^T + b_ih in, activations out; gh (n,3H) = hPrev W_hh^T or
   * null (zero state); hn = gh_n + b_hn; n = tanh(gx_n + r*hn); h = (1-z)*n + z*hPrev.
   */
  gruCellForward(gx: Float32Array, gh: Float32Array | null, bhh: Float32Array, hPrev: Float32Array | null,
    hn: Float32Array, h: Float32Array, n: number, H: number): void;
  /** Its backward: dGx, dGh (n,3H) = dL/dgx, dL/d(gh + b_hh); dhPrev (n,H) += dh*z unless null. */
  gruCellBackward(gates: Float32Array, hn: Float32Array, hPrev: Float32Array | null, dh: Float32Array,
    dGx: Float32Array, dGh: Float32Array, dhPrev: Float32Array | null, n: number, H: number): void;

  /**
   * Causal dilated conv: y[b,t] (Cout) = bias + sum_j w[:,:,j] @ x[b, t-(K-1-j)*dilation] (zero
   * before 0). x (B,T,Cin), w (Cout,Cin,K), y (B,T,Cout); rows t >= lengths[b] (null: T) are 0.
   */
  causalConv1dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, lengths: Int32Array | null,
    y: Float32Array, B: number, T: number, Cin: number, Cout: number, K: number, dilation: number): void;
  /** Its backward (gy past lengths ignored): gx (+)= by accumulateX, gw +=, gBias +=; each may be null. */
  causalConv1dBackward(x: Float32Array, w: Float32Array, lengths: Int32Array | null, gy: Float32Array,
    gx: Float32Array | null, gw: Float32Array | null, gBias: Float32Array | null, B: number, T: number,
    Cin: number, Cout: number, K: number, dilation: number, accumulateX: boolean): void;
}
