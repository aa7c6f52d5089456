/**
 * Reference LSTM and GRU cells: one time step's gate nonlinearities and state update for n rows,
 * after the ops have done the matrix products (x W_ih^T for every step at once, h W_hh^T per step).
 * Equations and gate orders are PyTorch's (nn.LSTM: i, f, g, o; nn.GRU: r, z, n, with b_hn inside
 * the reset product). Activations are stored as float32 and the backward reads those stored
 * values, so forward and backward agree on what was computed.
 */

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function lstmCellForward(gates: Float32Array, cPrev: Float32Array | null, c: Float32Array, h: Float32Array,
  n: number, H: number): void {
  const G = 4 * H;
  for (let r = 0; r < n; r++) {
    const o0 = r * G;
    for (let j = 0; j < H; j++) {
      const ig = (gates[o0 + j] = sigmoid(gates[o0 + j]!));
      const fg = (gates[o0 + H + j] = sigmoid(gates[o0 + H + j]!));
      const gg = (gates[o0 + 2 * H + j] = Math.tanh(gates[o0 + 2 * H + j]!));
      const og = (gates[o0 + 3 * H + j] = sigmoid(gates[o0 + 3 * H + j]!));
      const cp = cPrev ? cPrev[r * H + j]! : 0;
      const ct = (c[r * H + j] = fg * cp + ig * gg);
      h[r * H + j] = og * Math.tanh(ct);
    }
  }
}

export function lstmCellBackward(gates: Float32Array, cPrev: Float32Array | null, c: Float32Array, dh: Float32Array,
  dc: Float32Array, dGates: Float32Array, n: number, H: number): void {
  const G = 4 * H;
  for (let r = 0; r < n; r++) {
    const o0 = r * G;
    for (let j = 0; j < H; j++) {
      const ig = gates[o0 + j]!;
      const fg = gates[o0 + H + j]!;
      const gg = gates[o0 + 2 * H + j]!;
      const og = gates[o0 + 3 * H + j]!;
      const tc = Math.tanh(c[r * H + j]!);
      const cp = cPrev ? cPrev[r * H + j]! : 0;
      const d = dh[r * H + j]!;
      const dct = dc[r * H + j]! + d * og * (1 - tc * tc); // dL/dc_t, through h and from later steps
      dGates[o0 + j] = dct * gg * ig * (1 - ig);
      dGates[o0 + H + j] = dct * cp * fg * (1 - fg);
      dGates[o0 + 2 * H + j] = dct * ig * (1 - gg * gg);
      dGates[o0 + 3 * H + j] = d * tc * og * (1 - og);
      dc[r * H + j] = dct * fg;
    }
  }
}

export function gruCellForward(gx: Float32Array, gh: Float32Array | null, bhh: Float32Array, hPrev: Float32Array | null,
  hn: Float32Array, h: Float32Array, n: number, H: number): void {
  const G = 3 * H;
  for (let r = 0; r < n; r++) {
    const o0 = r * G;
    for (let j = 0; j < H; j++) {
      const ghr = gh ? gh[o0 + j]! : 0;
      const ghz = gh ? gh[o0 + H + j]! : 0;
      const ghn = gh ? gh[o0 + 2 * H + j]! : 0;
      const rg = (gx[o0 + j] = sigmoid(gx[o0 + j]! + ghr + bhh[j]!));
      const zg = (gx[o0 + H + j] = sigmoid(gx[o0 + H + j]! + ghz + bhh[H + j]!));
      const hnj = (hn[r * H + j] = ghn + bhh[2 * H + j]!);
      const ng = (gx[o0 + 2 * H + j] = Math.tanh(gx[o0 + 2 * H + j]! + rg * hnj));
      const hp = hPrev ? hPrev[r * H + j]! : 0;
      h[r * H + j] = (1 - zg) * ng + zg * hp;
    }
  }
}

export function gruCellBackward(gates: Float32Array, hn: Float32Array, hPrev: Float32Array | null, dh: Float32Array,
  dGx: Float32Array, dGh: Float32Array, dhPrev: Float32Array | null, n: number, H: number): void {
  const G = 3 * H;
  for (let r = 0; r < n; r++) {
    const o0 = r * G;
    for (let j = 0; j < H; j++) {
      const rg = gates[o0 + j]!;
      const zg = gates[o0 + H + j]!;
      const ng = gates[o0 + 2 * H + j]!;
      const hp = hPrev ? hPrev[r * H + j]! : 0;
      const d = dh[r * H + j]!;
      const dn = d * (1 - zg) * (1 - ng * ng); // dL/d(n's pre-activation)
      const dr = dn * hn[r * H + j]! * rg * (1 - rg);
      const dz = d * (hp - ng) * zg * (1 - zg);
      dGx[o0 + j] = dr;
      dGx[o0 + H + j] = dz;
      dGx[o0 + 2 * H + j] = dn;
      dGh[o0 + j] = dr;
      dGh[o0 + H + j] = dz;
      dGh[o0 + 2 * H + j] = dn * rg;
      if (dhPrev) dhPrev[r * H + j]! += d * zg;
    }
  }
}
