// tanh and ReLU, forward and backward (the backward from the saved output). Memory-bound except
// tanh's exp, so vectorised and split across the pool for large arrays. The last partial vector
// goes through the same vector code on a zero-padded copy, so every element gets the same
// arithmetic whatever its position (and the result never depends on how the pool splits the work).
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per parallel chunk, at least

void tanhRange(const float* x, float* y, int64_t i0, int64_t i1) {
  int64_t i = i0;
  for (; i + VW <= i1; i += VW) vstore(y + i, vtanh(vload(x + i)));
  if (i < i1) {
    alignas(64) float t[VW] = {};
    std::copy(x + i, x + i1, t);
    vstore(t, vtanh(vload(t)));
    std::copy(t, t + (i1 - i), y + i);
  }
}

// gx (+)= gy * (1 - y^2); gx may be gy (in place).
inline void tanhGradVec(const float* y, const float* gy, float* gx, bool acc) {
  const vf yv = vload(y);
  const vf g = vmul(vload(gy), vsub(vset1(1.0f), vmul(yv, yv)));
  vstore(gx, acc ? vadd(vload(gx), g) : g);
}

void tanhGradRange(const float* y, const float* gy, float* gx, int64_t i0, int64_t i1, bool acc) {
  int64_t i = i0;
  for (; i + VW <= i1; i += VW) tanhGradVec(y + i, gy + i, gx + i, acc);
  if (i < i1) {
    alignas(64) float t[3][VW] = {};
    std::copy(y + i, y + i1, t[0]);
    std::copy(gy + i, gy + i1, t[1]);
    std::copy(gx + i, gx + i1, t[2]);
    tanhGradVec(t[0], t[1], t[2], acc);
    std::copy(t[2], t[2] + (i1 - i), gx + i);
  }
}

void reluRange(const float* x, float* y, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float v = x[i];
    y[i] = (v > 0.0f || v != v) ? v : 0.0f;  // NaN passes through, as in PyTorch
  }
}

void reluGradRange(const float* y, const float* gy, float* gx, int64_t i0, int64_t i1, bool acc) {
  if (acc) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) gx[i] += y[i] > 0.0f ? gy[i] : 0.0f;
  } else {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) gx[i] = y[i] > 0.0f ? gy[i] : 0.0f;
  }
}

}  // namespace

void tanhForward(const float* x, float* y, int64_t n) {
  parallelFor(n, kGrain, [=](int64_t a, int64_t b) { tanhRange(x, y, a, b); });
}

void tanhBackward(const float* y, const float* gy, float* gx, int64_t n, bool accumulate) {
  parallelFor(n, kGrain, [=](int64_t a, int64_t b) { tanhGradRange(y, gy, gx, a, b, accumulate); });
}

void reluForward(const float* x, float* y, int64_t n) {
  parallelFor(n, kGrain, [=](int64_t a, int64_t b) { reluRange(x, y, a, b); });
}

void reluBackward(const float* y, const float* gy, float* gx, int64_t n, bool accumulate) {
  parallelFor(n, kGrain, [=](int64_t a, int64_t b) { reluGradRange(y, gy, gx, a, b, accumulate); });
}

}  // namespace slm
