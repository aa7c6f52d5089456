/**
 * Reference causal multi-head attention. q, k, v, out are (B,T,H,D); att is (B,H,T,T).
 * Query i sees key j when j <= i and both positions are real (keyMask 1): padding neither attends
 * nor is attended to. A query row that sees nothing (a padded position) gets zero output.
 */

export function attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, keyMask: Float32Array | null,
  att: Float32Array, out: Float32Array, B: number, T: number, H: number, D: number, scale: number): void {
  const C = H * D;
  att.fill(0, 0, B * H * T * T);
  out.fill(0, 0, B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const row = ((b * H + h) * T + i) * T;
        if (keyMask && keyMask[b * T + i] === 0) continue;
        const qo = (b * T + i) * C + h * D;
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          if (keyMask && keyMask[b * T + j] === 0) continue;
          const ko = (b * T + j) * C + h * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qo + d]! * k[ko + d]!;
          s *= scale;
          att[row + j] = s;
          if (s > max) max = s;
        }
        if (max === -Infinity) continue;
        let sum = 0;
        for (let j = 0; j <= i; j++) {
          if (keyMask && keyMask[b * T + j] === 0) continue;
          const e = Math.exp(att[row + j]! - max);
          att[row + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j <= i; j++) {
          const p = att[row + j]! * inv;
          att[row + j] = p;
          if (p === 0) continue;
          const vo = (b * T + j) * C + h * D;
          for (let d = 0; d < D; d++) out[qo + d]! += p * v[vo + d]!;
        }
      }
    }
  }
}

export function attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array,
  gOut: Float32Array, gq: Float32Array, gk: Float32Array, gv: Float32Array,
  B: number, T: number, H: number, D: number, scale: number): void {
  const C = H * D;
  const gAtt = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const row = ((b * H + h) * T + i) * T;
        const qo = (b * T + i) * C + h * D;
        // gAtt_j = gOut_i . v_j ; gv_j += att_ij gOut_i
        let dot = 0;
        for (let j = 0; j <= i; j++) {
          const p = att[row + j]!;
          if (p === 0) {
            gAtt[j] = 0;
            continue;
          }
          const vo = (b * T + j) * C + h * D;
          let s = 0;
          for (let d = 0; d < D; d++) {
            s += gOut[qo + d]! * v[vo + d]!;
            gv[vo + d]! += p * gOut[qo + d]!;
          }
          gAtt[j] = s;
          dot += p * s;
        }
        // scores gradient: att * (gAtt - dot), then through s = scale * q.k
        for (let j = 0; j <= i; j++) {
          const p = att[row + j]!;
          if (p === 0) continue;
          const gs = p * (gAtt[j]! - dot) * scale;
          const ko = (b * T + j) * C + h * D;
          for (let d = 0; d < D; d++) {
            gq[qo + d]! += gs * k[ko + d]!;
            gk[ko + d]! += gs * q[qo + d]!;
          }
        }
      }
    }
  }
}

/** Calls f with each non-empty sequence's row range (floats) and its (H,L,L) block of att. */
function eachSegment(offsets: Int32Array, C: number, H: number, att: Float32Array,
  f: (r0: number, r1: number, a: Float32Array, L: number) => void): void {
  for (let s = 0, a0 = 0; s + 1 < offsets.length; s++) {
    const r0 = offsets[s]!, L = offsets[s + 1]! - r0;
    if (L > 0) f(r0 * C, (r0 + L) * C, att.subarray(a0, a0 + H * L * L), L);
    a0 += H * L * L;
  }
}

/** attentionForward over sequences laid end to end (see Kernels.attentionForwardSegments). */
export function attentionForwardSegments(q: Float32Array, k: Float32Array, v: Float32Array, offsets: Int32Array,
  att: Float32Array, out: Float32Array, H: number, D: number, scale: number): void {
  eachSegment(offsets, H * D, H, att, (r0, r1, a, L) => attentionForward(q.subarray(r0, r1), k.subarray(r0, r1),
    v.subarray(r0, r1), null, a, out.subarray(r0, r1), 1, L, H, D, scale));
}

/** Gradients of attentionForwardSegments, accumulated into gq, gk, gv. */
export function attentionBackwardSegments(q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array,
  gOut: Float32Array, gq: Float32Array, gk: Float32Array, gv: Float32Array, offsets: Int32Array,
  H: number, D: number, scale: number): void {
  eachSegment(offsets, H * D, H, att, (r0, r1, a, L) => attentionBackward(q.subarray(r0, r1), k.subarray(r0, r1),
    v.subarray(r0, r1), a, gOut.subarray(r0, r1), gq.subarray(r0, r1), gk.subarray(r0, r1), gv.subarray(r0, r1),
    1, L, H, D, scale));
}
