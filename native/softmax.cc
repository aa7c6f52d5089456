// Softmax, log-softmax and the fused softmax + cross-entropy, row by row, rows split across the
// pool. Every row subtracts its maximum first; exps are vectorised floats (about 1 ulp), row sums
// are in double, as in the reference. Cross-entropy never materialises the probabilities.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {

namespace {

constexpr int64_t kChunk = 256;  // exps computed into a stack buffer this many at a time

int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(C, 1)); }

// logsumexp of one row (n >= 1), or -inf when every entry is -inf.
double rowLogSumExp(const float* x, int64_t n) {
  const float max = rowMax(x, n);
  if (max == -INFINITY) return -INFINITY;
  return double(max) + std::log(sumExpShifted(x, max, n));
}

}  // namespace

// y (R,C) = softmax over each row of x (R,C)
void softmaxForward(const float* x, float* y, int64_t R, int64_t C) {
  if (C <= 0) return;
  parallelFor(R, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      const float max = rowMax(xr, C);
      expShifted(xr, max, yr, C);
      double sum = 0.0;
#pragma omp simd reduction(+ : sum)
      for (int64_t c = 0; c < C; c++) sum += double(yr[c]);
      const double inv = 1.0 / sum;
#pragma omp simd
      for (int64_t c = 0; c < C; c++) yr[c] = float(double(yr[c]) * inv);
    }
  });
}

// gx (R,C) (+)= y * (gy - sum(gy * y)) per row
void softmaxBackward(const float* y, const float* gy, float* gx, int64_t R, int64_t C, bool accumulate) {
  parallelFor(R, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float *yr = y + r * C, *gr = gy + r * C;
      float* o = gx + r * C;
      double dot = 0.0;
#pragma omp simd reduction(+ : dot)
      for (int64_t c = 0; c < C; c++) dot += double(gr[c]) * double(yr[c]);
      if (accumulate) {
#pragma omp simd
        for (int64_t c = 0; c < C; c++) o[c] = float(double(o[c]) + double(yr[c]) * (double(gr[c]) - dot));
      } else {
#pragma omp simd
        for (int64_t c = 0; c < C; c++) o[c] = float(double(yr[c]) * (double(gr[c]) - dot));
      }
    }
  });
}

// y (R,C) = x - logsumexp(x) per row
void logSoftmaxForward(const float* x, float* y, int64_t R, int64_t C) {
  if (C <= 0) return;
  parallelFor(R, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      const double lse = rowLogSumExp(xr, C);
#pragma omp simd
      for (int64_t c = 0; c < C; c++) yr[c] = float(double(xr[c]) - lse);
    }
  });
}

// gx (R,C) (+)= gy - exp(y) * sum(gy) per row
void logSoftmaxBackward(const float* y, const float* gy, float* gx, int64_t R, int64_t C, bool accumulate) {
  parallelFor(R, rowGrain(C), [&](int64_t r0, int64_t r1) {
    alignas(64) float e[kChunk];
    for (int64_t r = r0; r < r1; r++) {
      const float *yr = y + r * C, *gr = gy + r * C;
      float* o = gx + r * C;
      double sum = 0.0;
#pragma omp simd reduction(+ : sum)
      for (int64_t c = 0; c < C; c++) sum += double(gr[c]);
      for (int64_t c0 = 0; c0 < C; c0 += kChunk) {
        const int64_t m = std::min(kChunk, C - c0);
        expShifted(yr + c0, 0.0f, e, m);
        float* oc = o + c0;
        const float* gc = gr + c0;
        if (accumulate) {
#pragma omp simd
          for (int64_t c = 0; c < m; c++) oc[c] = float(double(oc[c]) + (double(gc[c]) - double(e[c]) * sum));
        } else {
#pragma omp simd
          for (int64_t c = 0; c < m; c++) oc[c] = float(double(gc[c]) - double(e[c]) * sum);
        }
      }
    }
  });
}

// lse (R) = logsumexp(row), loss (R) = lse - logits[target]; ignored rows (target < 0) get 0.
void crossEntropyForward(const float* logits, const int32_t* targets, float* loss, float* lse, int64_t R,
                         int64_t V) {
  parallelFor(R, rowGrain(V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int32_t t = targets[r];
      if (t < 0) {
        loss[r] = 0.0f;
        lse[r] = 0.0f;
        continue;
      }
      const float* xr = logits + r * V;
      const double l = rowLogSumExp(xr, V);
      lse[r] = float(l);
      loss[r] = float(l - double(xr[t]));
    }
  });
}

// gLogits (R,V) (+)= w[r] * (softmax(row) - onehot(target)), softmax recomputed from lse.
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, const float* w,
                          float* gLogits, int64_t R, int64_t V, bool accumulate) {
  parallelFor(R, rowGrain(V), [&](int64_t r0, int64_t r1) {
    alignas(64) float e[kChunk];
    for (int64_t r = r0; r < r1; r++) {
      const int32_t t = targets[r];
      const float wr = w[r];
      float* o = gLogits + r * V;
      if (t < 0 || wr == 0.0f) {
        if (!accumulate) std::fill(o, o + V, 0.0f);
        continue;
      }
      const float* xr = logits + r * V;
      const float l = lse[r];
      for (int64_t c0 = 0; c0 < V; c0 += kChunk) {
        const int64_t m = std::min(kChunk, V - c0);
        expShifted(xr + c0, l, e, m);
        float* oc = o + c0;
        if (accumulate) {
#pragma omp simd
          for (int64_t c = 0; c < m; c++) oc[c] += wr * e[c];
        } else {
#pragma omp simd
          for (int64_t c = 0; c < m; c++) oc[c] = wr * e[c];
        }
      }
      o[t] -= wr;
    }
  });
}

// Forward and backward of cross-entropy in one pass over each row, in place: logits (+ bias) in,
// w[r] * (softmax(row) - onehot(target)) out, loss (R) = lse - logit[target]. The row is read from
// memory once (bias add and max); exp(x - max) is then computed once, in place, and scaled by
// w / sum, while the row is still in cache. Same numbers as crossEntropyForward then
// crossEntropyBackward on the biased logits, up to rounding (exp(x - max) / sum for exp(x - lse)).
// With gBias, the rows' sum (the bias gradient) is also accumulated into it while each row is in
// cache, instead of another pass over the (R,V) gradient: rows go in kBiasBlocks fixed blocks,
// each summed into its own partial, and the partials are added in block order, so the result
// does not depend on the thread count.
namespace {
constexpr int64_t kBiasBlocks = 16;

void crossEntropyFusedRows(float* logits, const float* bias, const int32_t* targets, const float* w, float* loss,
                           int64_t r0, int64_t r1, int64_t V, float* partial) {
  for (int64_t r = r0; r < r1; r++) {
    const int32_t t = targets[r];
    const float wr = w[r];
    float* xr = logits + r * V;
    if (t < 0) {
      loss[r] = 0.0f;
      std::fill(xr, xr + V, 0.0f);
      continue;
    }
    float max;
    if (bias) {
      vf vm = vset1(-INFINITY);
      int64_t c = 0;
      for (; c + VW <= V; c += VW) {
        const vf x = vadd(vload(xr + c), vload(bias + c));
        vstore(xr + c, x);
        vm = vmax(x, vm);  // max(a, b) keeps b when a is NaN, as rowMax
      }
      max = vhmax(vm);
      for (; c < V; c++) {
        xr[c] += bias[c];
        max = xr[c] > max ? xr[c] : max;
      }
    } else {
      max = rowMax(xr, V);
    }
    if (max == -INFINITY) {  // every logit -inf: lse = -inf, NaN gradients as in the unfused path
      loss[r] = NAN;
      std::fill(xr, xr + V, wr == 0.0f ? 0.0f : NAN);
      if (partial && wr != 0.0f) std::fill(partial, partial + V, NAN);  // as a sum over these rows would be
      continue;
    }
    // exp(x - max) once, kept in place; the sum in double as in sumExpShifted.
    const float xt = xr[t];
    const vf sh = vset1(max);
    double sum = 0.0;
    int64_t c = 0;
    for (; c + kChunk <= V; c += kChunk) {
      float* p = xr + c;
      for (int64_t i = 0; i < kChunk; i += VW) vstore(p + i, vexp(vsub(vload(p + i), sh)));
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < kChunk; i++) s += double(p[i]);
      sum += s;
    }
    for (; c < V; c++) {
      xr[c] = std::exp(xr[c] - max);
      sum += double(xr[c]);
    }
    const double l = double(max) + std::log(sum);
    loss[r] = float(l - double(xt));
    if (wr == 0.0f) {
      std::fill(xr, xr + V, 0.0f);
      continue;
    }
    const float scale = float(double(wr) / sum);
    if (partial) {
#pragma omp simd
      for (int64_t i = 0; i < V; i++) {
        const float g = xr[i] * scale;
        xr[i] = g;
        partial[i] += g;
      }
      xr[t] -= wr;
      partial[t] -= wr;
    } else {
#pragma omp simd
      for (int64_t i = 0; i < V; i++) xr[i] *= scale;
      xr[t] -= wr;
    }
  }
}
}  // namespace

void crossEntropyFused(float* logits, const float* bias, const int32_t* targets, const float* w, float* loss,
                       int64_t R, int64_t V, float* gBias) {
  if (!gBias) {
    parallelFor(R, rowGrain(V), [&](int64_t r0, int64_t r1) { crossEntropyFusedRows(logits, bias, targets, w, loss, r0, r1, V, nullptr); });
    return;
  }
  const int64_t G = std::min(R, kBiasBlocks);
  if (G <= 0) return;
  std::vector<float> partials(size_t(G * V), 0.0f);
  float* P = partials.data();
  parallelTasks(G, [&](int64_t g) {
    crossEntropyFusedRows(logits, bias, targets, w, loss, R * g / G, R * (g + 1) / G, V, P + g * V);
  });
  parallelFor(V, 4096, [&](int64_t c0, int64_t c1) {
    for (int64_t g = 0; g < G; g++) {
      const float* pg = P + g * V;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) gBias[c] += pg[c];
    }
  });
}

// lse (n) = logsumexp of table (R,V) row rows[j]: crossEntropyForward's lse, read in place.
void gatherLogSumExp(const float* table, const int32_t* rows, int64_t n, float* lse, int64_t V) {
  parallelFor(n, rowGrain(V), [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) lse[j] = float(rowLogSumExp(table + int64_t(rows[j]) * V, V));
  });
}

// out (n,V) = scale[j] * softmax(table row rows[j]), from lse: crossEntropyBackward's first term.
void gatherSoftmax(const float* table, const int32_t* rows, int64_t n, const float* lse, const float* scale,
                   float* out, int64_t V) {
  parallelFor(n, rowGrain(V), [&](int64_t j0, int64_t j1) {
    alignas(64) float e[kChunk];
    for (int64_t j = j0; j < j1; j++) {
      const float* xr = table + int64_t(rows[j]) * V;
      float* o = out + j * V;
      const float l = lse[j], s = scale[j];
      for (int64_t c0 = 0; c0 < V; c0 += kChunk) {
        const int64_t m = std::min(kChunk, V - c0);
        expShifted(xr + c0, l, e, m);
        float* oc = o + c0;
#pragma omp simd
        for (int64_t c = 0; c < m; c++) oc[c] = s * e[c];
      }
    }
  });
}

}  // namespace slm
