// Causal multi-head attention, forward and backward, parallelised over (B,H) pairs: every (b,h)
// reads and writes only its own head's slice of q, k, v, out, gq, gk, gv and its own (T,T) block
// of att, so the tasks never race. q, k, v, out are (B,T,H,D); att is (B,H,T,T). Query i sees
// key j when j <= i and both are real tokens (keyMask 1). The inner loops are two register-
// blocked shapes: dot products of one vector against all rows (through a transposed (D,T) copy
// of the head's keys or values) and weighted sums of rows, so no sum round-trips through memory.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {

namespace {

// dst (D,T) = the head slice of x (B,T,H,D) for one (b,h), transposed.
void transposeHead(const float* x, float* dst, int64_t T, int64_t C, int64_t D) {
  for (int64_t j = 0; j < T; j++)
    for (int64_t d = 0; d < D; d++) dst[d * T + j] = x[j * C + d];
}

// s[j] = sum_d a[d] * xt[d*T + j] for j < n, in float; blocks of j stay in registers over d.
void dotsAgainst(const float* a, const float* xt, float* s, int64_t n, int64_t T, int64_t D) {
  int64_t j0 = 0;
  for (; j0 + 4 * VW <= n; j0 += 4 * VW) {
    vf c0 = vzero(), c1 = vzero(), c2 = vzero(), c3 = vzero();
    for (int64_t d = 0; d < D; d++) {
      const vf ad = vset1(a[d]);
      const float* xr = xt + d * T + j0;
      c0 = vfma(ad, vload(xr), c0);
      c1 = vfma(ad, vload(xr + VW), c1);
      c2 = vfma(ad, vload(xr + 2 * VW), c2);
      c3 = vfma(ad, vload(xr + 3 * VW), c3);
    }
    vstore(s + j0, c0), vstore(s + j0 + VW, c1), vstore(s + j0 + 2 * VW, c2), vstore(s + j0 + 3 * VW, c3);
  }
  for (; j0 + VW <= n; j0 += VW) {
    vf c = vzero();
    for (int64_t d = 0; d < D; d++) c = vfma(vset1(a[d]), vload(xt + d * T + j0), c);
    vstore(s + j0, c);
  }
  for (; j0 < n; j0++) {
    float c = 0.0f;
    for (int64_t d = 0; d < D; d++) c = std::fma(a[d], xt[d * T + j0], c);
    s[j0] = c;
  }
}

// out[d] (+)= sum_j w[j * ws] * rows[j * stride + d] over j < n with w != 0, for d < D; blocks of
// d stay in registers over j.
void weightedSum(const float* w, int64_t ws, const float* rows, int64_t stride, int64_t n, int64_t D, float* out,
                 bool add) {
  int64_t d0 = 0;
  for (; d0 + 4 * VW <= D; d0 += 4 * VW) {
    vf c0 = vzero(), c1 = vzero(), c2 = vzero(), c3 = vzero();
    for (int64_t j = 0; j < n; j++) {
      if (w[j * ws] == 0.0f) continue;
      const vf wj = vset1(w[j * ws]);
      const float* r = rows + j * stride + d0;
      c0 = vfma(wj, vload(r), c0);
      c1 = vfma(wj, vload(r + VW), c1);
      c2 = vfma(wj, vload(r + 2 * VW), c2);
      c3 = vfma(wj, vload(r + 3 * VW), c3);
    }
    float* o = out + d0;
    if (add) c0 = vadd(c0, vload(o)), c1 = vadd(c1, vload(o + VW)), c2 = vadd(c2, vload(o + 2 * VW)), c3 = vadd(c3, vload(o + 3 * VW));
    vstore(o, c0), vstore(o + VW, c1), vstore(o + 2 * VW, c2), vstore(o + 3 * VW, c3);
  }
  for (; d0 + VW <= D; d0 += VW) {
    vf c = vzero();
    for (int64_t j = 0; j < n; j++)
      if (w[j * ws] != 0.0f) c = vfma(vset1(w[j * ws]), vload(rows + j * stride + d0), c);
    vstore(out + d0, add ? vadd(c, vload(out + d0)) : c);
  }
  for (; d0 < D; d0++) {
    float c = 0.0f;
    for (int64_t j = 0; j < n; j++)
      if (w[j * ws] != 0.0f) c = std::fma(w[j * ws], rows[j * stride + d0], c);
    out[d0] = add ? out[d0] + c : c;
  }
}

}  // namespace

void attentionForward(const float* q, const float* k, const float* v, const float* keyMask, float* att, float* out,
                      int64_t B, int64_t T, int64_t H, int64_t D, float scale) {
  const int64_t C = H * D;
  parallelTasks(B * H, [&](int64_t bh) {
    const int64_t b = bh / H, h = bh % H;
    const float* mask = keyMask ? keyMask + b * T : nullptr;
    std::vector<float> kt(size_t(std::max<int64_t>(D * T, 1)));
    transposeHead(k + b * T * C + h * D, kt.data(), T, C, D);
    for (int64_t i = 0; i < T; i++) {
      float* row = att + (bh * T + i) * T;  // att[b,h,i,:]
      float* o = out + (b * T + i) * C + h * D;
      std::memset(row, 0, sizeof(float) * T);
      std::memset(o, 0, sizeof(float) * D);
      if (mask && mask[i] == 0.0f) continue;
      const float* qi = q + (b * T + i) * C + h * D;
      dotsAgainst(qi, kt.data(), row, i + 1, T, D);
      float max = -INFINITY;
      for (int64_t j = 0; j <= i; j++) {
        if (mask && mask[j] == 0.0f) {
          row[j] = 0.0f;
          continue;
        }
        const float sf = row[j] * scale;
        row[j] = sf;
        if (sf > max) max = sf;
      }
      if (max == -INFINITY) continue;
      // exp over the whole prefix [0, i]; masked entries are put back to 0 below.
      expShifted(row, max, row, i + 1);
      double sum = 0.0;
      for (int64_t j = 0; j <= i; j++) {
        if (mask && mask[j] == 0.0f) {
          row[j] = 0.0f;
          continue;
        }
        sum += double(row[j]);
      }
      const double inv = 1.0 / sum;
      for (int64_t j = 0; j <= i; j++) row[j] = float(double(row[j]) * inv);
      weightedSum(row, 1, v + b * T * C + h * D, C, i + 1, D, o, false);  // out_i = sum_j p_ij v_j
    }
  });
}

// Gradients of attentionForward, accumulated into gq, gk, gv (B,T,H,D). Per (b,h): first, row by
// row, gs_ij = att_ij (gOut_i . v_j - sum_j' att_ij' gOut_i . v_j') scale (kept in a (T,T)
// scratch) and gq_i += sum_j gs_ij k_j; then, column by column, gv_j += sum_i att_ij gOut_i and
// gk_j += sum_i gs_ij q_i, so every sum accumulates in registers.
void attentionBackward(const float* q, const float* k, const float* v, const float* att, const float* gOut,
                       float* gq, float* gk, float* gv, int64_t B, int64_t T, int64_t H, int64_t D, float scale) {
  const int64_t C = H * D;
  parallelTasks(B * H, [&](int64_t bh) {
    const int64_t b = bh / H, h = bh % H;
    const int64_t head = b * T * C + h * D;  // offset of (b, t=0, h, d=0)
    const float* a = att + bh * T * T;       // (T,T) for this head
    std::vector<float> vt(size_t(std::max<int64_t>(D * T, 1))), gs(size_t(std::max<int64_t>(T * T, 1)));
    transposeHead(v + head, vt.data(), T, C, D);
    for (int64_t i = 0; i < T; i++) {
      const float* row = a + i * T;
      float* gsr = gs.data() + i * T;
      dotsAgainst(gOut + head + i * C, vt.data(), gsr, i + 1, T, D);  // gAtt_ij = gOut_i . v_j
      double dot = 0.0;
      for (int64_t j = 0; j <= i; j++)
        if (row[j] != 0.0f) dot += double(row[j]) * double(gsr[j]);
      for (int64_t j = 0; j <= i; j++)
        gsr[j] = row[j] == 0.0f ? 0.0f : float(double(row[j]) * (double(gsr[j]) - dot) * double(scale));
      weightedSum(gsr, 1, k + head, C, i + 1, D, gq + head + i * C, true);
    }
    for (int64_t j = 0; j < T; j++) {
      weightedSum(a + j * T + j, T, gOut + head + j * C, C, T - j, D, gv + head + j * C, true);
      weightedSum(gs.data() + j * T + j, T, q + head + j * C, C, T - j, D, gk + head + j * C, true);
    }
  });
}

}  // namespace slm
