// Causal multi-head attention, forward and backward, parallelised over (B,H) pairs: every (b,h)
// reads and writes only its own head's slice of q, k, v, out, gq, gk, gv and its own (T,T) block
// of att, so the tasks never race. q, k, v, out are (B,T,H,D); att is (B,H,T,T). Query i sees
// key j when j <= i and both are real tokens (keyMask 1).
//
// Only the causal half is computed: rows are taken in blocks of R queries, and block i0 needs
// keys [0, i0 + R) only. Rows after a sequence's last real token (right padding) are skipped
// outright; other padded rows and keys are handled by the mask. Two register-blocked shapes do
// all the arithmetic, with the head's operands first copied into small padded per-thread copies:
// - dotsBlock: scores of a few rows against a (D,Tp) transposed copy (q k^T, gOut v^T);
// - rowsBlock: weighted sums of (T,Dp) rows by a block of weights read with any two strides,
//   so the same code serves P v and dS k (weights by row) and P^T gOut and dS^T q (by column);
//   the R×R triangle on the block's diagonal is taken with a guard, so weights above the
//   diagonal are never read.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {

namespace {

constexpr int64_t R = 8;                  // rows per block (queries, or keys in the transposed sums)
constexpr int NV = VW >= 16 ? 2 : 1;      // vectors of the head dimension per rowsBlock pass
constexpr int NC = VW >= 16 ? 4 : 2;      // vectors of keys per dotsBlock pass
constexpr int DR = 4;                     // rows per dotsBlock pass

int64_t roundUp(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// Per-thread scratch, grown on demand and reused by later calls.
struct Scratch {
  std::vector<float> a, b, c, d, e;
};
thread_local Scratch tls;
float* grow(std::vector<float>& v, int64_t n) {
  if (int64_t(v.size()) < n) v.resize(size_t(n));
  return v.data();
}

// dst (n, Dp) = rows [0, n) of a head slice x (stride C), columns [D, Dp) zero.
void copyRows(const float* x, float* dst, int64_t n, int64_t C, int64_t D, int64_t Dp) {
  for (int64_t t = 0; t < n; t++) {
    std::memcpy(dst + t * Dp, x + t * C, sizeof(float) * size_t(D));
    for (int64_t d = D; d < Dp; d++) dst[t * Dp + d] = 0.0f;
  }
}

// dst (D, Tp) = rows [0, n) of a head slice x (stride C), transposed; columns [n, Tp) zero.
void transposeRows(const float* x, float* dst, int64_t n, int64_t Tp, int64_t C, int64_t D) {
  for (int64_t j = 0; j < n; j++)
    for (int64_t d = 0; d < D; d++) dst[d * Tp + j] = x[j * C + d];
  for (int64_t d = 0; d < D; d++)
    for (int64_t j = n; j < Tp; j++) dst[d * Tp + j] = 0.0f;
}

// s[r*ss + j] = sum_d a[r*as + d] * bt[d*Tp + j] for r < NRr, j < W (W a multiple of VW).
template <int NRr>
void dotsRows(const float* a, int64_t as, const float* bt, int64_t Tp, int64_t D, int64_t W, float* s, int64_t ss) {
  int64_t j0 = 0;
  for (; j0 + NC * VW <= W; j0 += NC * VW) {
    vf acc[NRr][NC];
    for (int r = 0; r < NRr; r++)
      for (int c = 0; c < NC; c++) acc[r][c] = vzero();
    for (int64_t d = 0; d < D; d++) {
      const float* br = bt + d * Tp + j0;
      vf bv[NC];
      for (int c = 0; c < NC; c++) bv[c] = vload(br + c * VW);
      for (int r = 0; r < NRr; r++) {
        const vf ar = vset1(a[r * as + d]);
        for (int c = 0; c < NC; c++) acc[r][c] = vfma(ar, bv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < NRr; r++)
      for (int c = 0; c < NC; c++) vstore(s + r * ss + j0 + c * VW, acc[r][c]);
  }
  for (; j0 < W; j0 += VW) {
    vf acc[NRr];
    for (int r = 0; r < NRr; r++) acc[r] = vzero();
    for (int64_t d = 0; d < D; d++) {
      const vf bv = vload(bt + d * Tp + j0);
      for (int r = 0; r < NRr; r++) acc[r] = vfma(vset1(a[r * as + d]), bv, acc[r]);
    }
    for (int r = 0; r < NRr; r++) vstore(s + r * ss + j0, acc[r]);
  }
}

// dotsRows over nr <= R rows, in passes of DR.
void dotsBlock(const float* a, int64_t as, const float* bt, int64_t Tp, int64_t D, int64_t W, float* s, int64_t ss,
               int64_t nr) {
  int64_t r = 0;
  for (; r + DR <= nr; r += DR) dotsRows<DR>(a + r * as, as, bt, Tp, D, W, s + r * ss, ss);
  switch (nr - r) {
    case 3: dotsRows<3>(a + r * as, as, bt, Tp, D, W, s + r * ss, ss); break;
    case 2: dotsRows<2>(a + r * as, as, bt, Tp, D, W, s + r * ss, ss); break;
    case 1: dotsRows<1>(a + r * as, as, bt, Tp, D, W, s + r * ss, ss); break;
    default: break;
  }
}

// Where a rowsBlock takes its weights: w[r*wr + t*wt] for output row r and source row t. Every r
// takes the rows [full0, full1); the band [band, band + NRr) is the diagonal triangle: with
// `causal`, output row r takes t <= band + r (query rows i0 + r); otherwise t >= band + r (key
// rows j0 + r, which only later queries see).
struct Weights {
  const float* w;
  int64_t wr, wt;
  int64_t full0, full1, band;
  bool causal;
};

// out[r*os + d] (+)= sum_t w(r,t) * x[t*Dp + d] for r < NRr, d in [d0, d0 + NVv*VW) ∩ [0, D).
template <int NRr, int NVv>
void rowsPass(const Weights& g, const float* x, int64_t Dp, int64_t d0, int64_t D, float* out, int64_t os, bool add) {
  vf acc[NRr][NVv];
  for (int r = 0; r < NRr; r++)
    for (int c = 0; c < NVv; c++) acc[r][c] = vzero();
  for (int64_t t = g.full0; t < g.full1; t++) {
    const float* xr = x + t * Dp + d0;
    vf xv[NVv];
    for (int c = 0; c < NVv; c++) xv[c] = vload(xr + c * VW);
    const float* wt = g.w + t * g.wt;
    for (int r = 0; r < NRr; r++) {
      const vf wv = vset1(wt[r * g.wr]);
      for (int c = 0; c < NVv; c++) acc[r][c] = vfma(wv, xv[c], acc[r][c]);
    }
  }
  for (int64_t u = 0; u < NRr; u++) {
    const int64_t t = g.band + u;
    const float* xr = x + t * Dp + d0;
    vf xv[NVv];
    for (int c = 0; c < NVv; c++) xv[c] = vload(xr + c * VW);
    const float* wt = g.w + t * g.wt;
    for (int r = 0; r < NRr; r++) {
      if (g.causal ? u > r : u < r) continue;
      const vf wv = vset1(wt[r * g.wr]);
      for (int c = 0; c < NVv; c++) acc[r][c] = vfma(wv, xv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < NRr; r++) {
    float* o = out + r * os;
    for (int c = 0; c < NVv; c++) {
      const int64_t d = d0 + c * VW;
      if (d + VW <= D) {
        vstore(o + d, add ? vadd(acc[r][c], vload(o + d)) : acc[r][c]);
      } else if (d < D) {  // the head dimension's tail
        alignas(64) float tmp[VW];
        vstore(tmp, acc[r][c]);
        for (int64_t e = d; e < D; e++) o[e] = add ? o[e] + tmp[e - d] : tmp[e - d];
      }
    }
  }
}

template <int NRr>
void rowsAll(const Weights& g, const float* x, int64_t Dp, int64_t D, float* out, int64_t os, bool add) {
  int64_t d0 = 0;
  for (; d0 + NV * VW <= Dp; d0 += NV * VW) rowsPass<NRr, NV>(g, x, Dp, d0, D, out, os, add);
  for (; d0 < Dp; d0 += VW) rowsPass<NRr, 1>(g, x, Dp, d0, D, out, os, add);
}

// rowsAll for nr <= R output rows (x is (rows, Dp), zero-padded beyond D).
void rowsBlock(const Weights& g, int64_t nr, const float* x, int64_t Dp, int64_t D, float* out, int64_t os, bool add) {
  switch (nr) {
    case 8: rowsAll<8>(g, x, Dp, D, out, os, add); break;
    case 7: rowsAll<7>(g, x, Dp, D, out, os, add); break;
    case 6: rowsAll<6>(g, x, Dp, D, out, os, add); break;
    case 5: rowsAll<5>(g, x, Dp, D, out, os, add); break;
    case 4: rowsAll<4>(g, x, Dp, D, out, os, add); break;
    case 3: rowsAll<3>(g, x, Dp, D, out, os, add); break;
    case 2: rowsAll<2>(g, x, Dp, D, out, os, add); break;
    case 1: rowsAll<1>(g, x, Dp, D, out, os, add); break;
    default: break;
  }
}
static_assert(R == 8, "rowsBlock dispatches up to 8 rows");

// One softmax row: s[0..n) are raw dots; p[0..n) = softmax(s * scale) over real keys (mask 1, or
// all when mask is null), 0 at padded keys and everywhere when no key is real.
void softmaxRow(float* s, float* p, int64_t n, float scale, const float* mask) {
  const vf sc = vset1(scale);
  int64_t j = 0;
  for (; j + VW <= n; j += VW) vstore(s + j, vmul(vload(s + j), sc));
  for (; j < n; j++) s[j] *= scale;
  float max = -INFINITY;
  if (mask) {
    for (j = 0; j < n; j++)
      if (mask[j] != 0.0f && s[j] > max) max = s[j];
  } else {
    max = rowMax(s, n);
  }
  if (max == -INFINITY) {
    std::memset(p, 0, sizeof(float) * size_t(n));
    return;
  }
  expShifted(s, max, p, n);
  // The sum in double, vectorised (a plain loop is one dependent add per key).
  double sum = 0.0;
  if (mask) {
#pragma omp simd reduction(+ : sum)
    for (j = 0; j < n; j++) {
      const float e = mask[j] == 0.0f ? 0.0f : p[j];
      p[j] = e;
      sum += double(e);
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (j = 0; j < n; j++) sum += double(p[j]);
  }
  const double inv = 1.0 / sum;
#pragma omp simd
  for (j = 0; j < n; j++) p[j] = float(double(p[j]) * inv);
}

}  // namespace

namespace {

// One (sequence, head) pair of the forward: the head's slice starts at `head` in rows of stride C,
// the sequence has T positions, mask (T) or null, a its (T,T) block of att.
void forwardHead(const float* q, const float* k, const float* v, const float* mask, float* a, float* out,
                 int64_t head, int64_t T, int64_t C, int64_t D, int64_t Dp, float scale) {
  // Rows after the last real token see nothing: zero, and skipped below.
  int64_t last = T;
  bool dense = true;  // every position before `last` is real
  if (mask) {
    last = 0;
    for (int64_t i = 0; i < T; i++)
      if (mask[i] != 0.0f) last = i + 1;
    for (int64_t i = 0; i < last; i++) dense = dense && mask[i] != 0.0f;
  }
  for (int64_t i = last; i < T; i++) {
    std::memset(a + i * T, 0, sizeof(float) * size_t(T));
    std::memset(out + head + i * C, 0, sizeof(float) * size_t(D));
  }
  if (last == 0) return;
  const int64_t Tp = roundUp(last, VW);
  float* kt = grow(tls.a, D * Tp);      // (D,Tp) keys, transposed
  float* vp = grow(tls.b, last * Dp);  // (last,Dp) values
  float* s = grow(tls.c, R * Tp);      // (R,Tp) a block's raw scores
  transposeRows(k + head, kt, last, Tp, C, D);
  copyRows(v + head, vp, last, C, D, Dp);
  for (int64_t i0 = 0; i0 < last; i0 += R) {
    const int64_t nr = std::min(R, last - i0);
    dotsBlock(q + head + i0 * C, C, kt, Tp, D, roundUp(i0 + nr, VW), s, Tp, nr);
    for (int64_t r = 0; r < nr; r++) {
      const int64_t i = i0 + r;
      float* row = a + i * T;
      std::memset(row + i + 1, 0, sizeof(float) * size_t(T - i - 1));
      if (mask && mask[i] == 0.0f) std::memset(row, 0, sizeof(float) * size_t(i + 1));
      else softmaxRow(s + r * Tp, row, i + 1, scale, dense ? nullptr : mask);
    }
    const Weights g{a + i0 * T, T, 1, 0, i0, i0, true};  // out_i = sum_j p_ij v_j
    rowsBlock(g, nr, vp, Dp, D, out + head + i0 * C, C, false);
    if (!dense)
      for (int64_t r = 0; r < nr; r++)
        if (mask[i0 + r] == 0.0f) std::memset(out + head + (i0 + r) * C, 0, sizeof(float) * size_t(D));
  }
}

// One (sequence, head) pair of the backward, as forwardHead lays it out.
void backwardHead(const float* q, const float* k, const float* v, const float* a, const float* gOut, float* gq,
                  float* gk, float* gv, int64_t head, int64_t T, int64_t C, int64_t D, int64_t Dp, float scale) {
  // Rows of att that are all zero at the end (right padding) contribute nothing.
  int64_t last = T;
  for (; last > 0; last--) {
    const float* row = a + (last - 1) * T;
    bool zero = true;
    for (int64_t j = 0; j < last && zero; j++) zero = row[j] == 0.0f;
    if (!zero) break;
  }
  if (last == 0) return;
  const int64_t Tp = roundUp(last, VW);
  float* vt = grow(tls.a, D * Tp);      // (D,Tp) values, transposed
  float* kp = grow(tls.b, last * Dp);  // (last,Dp) keys
  float* qp = grow(tls.c, last * Dp);  // (last,Dp) queries
  float* gp = grow(tls.d, last * Dp);  // (last,Dp) output gradient
  float* gs = grow(tls.e, last * Tp);  // (last,Tp) score gradient, row i valid on [0, i]
  transposeRows(v + head, vt, last, Tp, C, D);
  copyRows(k + head, kp, last, C, D, Dp);
  copyRows(q + head, qp, last, C, D, Dp);
  copyRows(gOut + head, gp, last, C, D, Dp);
  const vf sc = vset1(scale);
  for (int64_t i0 = 0; i0 < last; i0 += R) {
    const int64_t nr = std::min(R, last - i0);
    dotsBlock(gOut + head + i0 * C, C, vt, Tp, D, roundUp(i0 + nr, VW), gs + i0 * Tp, Tp, nr);
    for (int64_t r = 0; r < nr; r++) {
      const int64_t i = i0 + r, n = i + 1;
      const float* p = a + i * T;
      float* g = gs + i * Tp;
      vf acc = vzero();
      int64_t j = 0;
      for (; j + VW <= n; j += VW) acc = vfma(vload(p + j), vload(g + j), acc);
      double dot = vhsumd(acc);
      for (; j < n; j++) dot += double(p[j]) * double(g[j]);
      const float dotf = float(dot);
      const vf dv = vset1(dotf);
      for (j = 0; j + VW <= n; j += VW) {
        const vf pv = vload(p + j);
        const vf x = vmul(vmul(pv, vsub(vload(g + j), dv)), sc);
        vstore(g + j, x);
      }
      for (; j < n; j++) g[j] = p[j] * (g[j] - dotf) * scale;
      // A zero probability (padding) has a zero gradient, even against an infinite gAtt.
      for (j = 0; j < n; j++)
        if (p[j] == 0.0f) g[j] = 0.0f;
    }
    const Weights w{gs + i0 * Tp, Tp, 1, 0, i0, i0, true};  // gq_i += sum_j gs_ij k_j
    rowsBlock(w, nr, kp, Dp, D, gq + head + i0 * C, C, true);
  }
  for (int64_t j0 = 0; j0 < last; j0 += R) {
    const int64_t nr = std::min(R, last - j0);
    const Weights wp{a + j0, 1, T, j0 + nr, last, j0, false};  // gv_j += sum_i att_ij gOut_i
    rowsBlock(wp, nr, gp, Dp, D, gv + head + j0 * C, C, true);
    const Weights ws{gs + j0, 1, Tp, j0 + nr, last, j0, false};  // gk_j += sum_i gs_ij q_i
    rowsBlock(ws, nr, qp, Dp, D, gk + head + j0 * C, C, true);
  }
}

// Sequence order for the segment kernels: longest first, so that the pool's threads, which take
// tasks in order, end together; and where each sequence's (H,L,L) block of att starts.
void planSegments(const int64_t* offsets, int64_t S, int64_t H, std::vector<int64_t>& order, std::vector<int64_t>& attAt) {
  order.resize(size_t(S));
  attAt.resize(size_t(S));
  int64_t at = 0;
  for (int64_t s = 0; s < S; s++) {
    order[size_t(s)] = s;
    attAt[size_t(s)] = at;
    const int64_t L = offsets[s + 1] - offsets[s];
    at += H * L * L;
  }
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return offsets[x + 1] - offsets[x] > offsets[y + 1] - offsets[y];
  });
}

}  // namespace

void attentionForward(const float* q, const float* k, const float* v, const float* keyMask, float* att, float* out,
                      int64_t B, int64_t T, int64_t H, int64_t D, float scale) {
  const int64_t C = H * D, Dp = roundUp(std::max<int64_t>(D, 1), VW);
  parallelTasks(B * H, [&](int64_t bh) {
    const int64_t b = bh / H, h = bh % H;
    forwardHead(q, k, v, keyMask ? keyMask + b * T : nullptr, att + bh * T * T, out, b * T * C + h * D, T, C, D, Dp, scale);
  });
}

// attentionForward over S sequences laid end to end in (N,C) rows (sequence s on rows
// [offsets[s], offsets[s+1])), no mask: one task per (sequence, head), longest sequences first.
// att holds each sequence's (H,L,L) block in sequence order.
void attentionForwardSegments(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t S,
                              float* att, float* out, int64_t H, int64_t D, float scale) {
  const int64_t C = H * D, Dp = roundUp(std::max<int64_t>(D, 1), VW);
  std::vector<int64_t> order, attAt;
  planSegments(offsets, S, H, order, attAt);
  parallelTasks(S * H, [&](int64_t t) {
    const int64_t s = order[size_t(t / H)], h = t % H, L = offsets[s + 1] - offsets[s];
    if (L > 0) forwardHead(q, k, v, nullptr, att + attAt[size_t(s)] + h * L * L, out, offsets[s] * C + h * D, L, C, D, Dp, scale);
  });
}

// Gradients of attentionForward, accumulated into gq, gk, gv (B,T,H,D). Per (b,h), block by block
// of query rows: gAtt_ij = gOut_i . v_j, then gs_ij = att_ij (gAtt_ij - sum_j' att_ij' gAtt_ij')
// scale (kept in a (T,Tp) scratch), and gq_i += sum_j gs_ij k_j; then, block by block of key rows,
// gv_j += sum_i att_ij gOut_i and gk_j += sum_i gs_ij q_i.
void attentionBackward(const float* q, const float* k, const float* v, const float* att, const float* gOut,
                       float* gq, float* gk, float* gv, int64_t B, int64_t T, int64_t H, int64_t D, float scale) {
  const int64_t C = H * D, Dp = roundUp(std::max<int64_t>(D, 1), VW);
  parallelTasks(B * H, [&](int64_t bh) {
    const int64_t b = bh / H, h = bh % H;
    backwardHead(q, k, v, att + bh * T * T, gOut, gq, gk, gv, b * T * C + h * D, T, C, D, Dp, scale);
  });
}

// Gradients of attentionForwardSegments, accumulated into gq, gk, gv (N,C).
void attentionBackwardSegments(const float* q, const float* k, const float* v, const float* att, const float* gOut,
                               float* gq, float* gk, float* gv, const int64_t* offsets, int64_t S, int64_t H, int64_t D,
                               float scale) {
  const int64_t C = H * D, Dp = roundUp(std::max<int64_t>(D, 1), VW);
  std::vector<int64_t> order, attAt;
  planSegments(offsets, S, H, order, attAt);
  parallelTasks(S * H, [&](int64_t t) {
    const int64_t s = order[size_t(t / H)], h = t % H, L = offsets[s + 1] - offsets[s];
    if (L > 0) backwardHead(q, k, v, att + attAt[size_t(s)] + h * L * L, gOut, gq, gk, gv, offsets[s] * C + h * D, L, C, D, Dp, scale);
  });
}

}  // namespace slm
