// AdamW step in place, PyTorch's operation order, computed in double per element like the
// reference (the loop is memory-bound, so double costs nothing), split across the pool.
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "threadpool.h"

namespace slm {

namespace {

// One AdamW update of n elements (HasG false: a zero gradient). A plain function, so the
// pointers are parameters the compiler can vectorise over (see elementwise.cc).
template <bool HasG>
void adamwRange(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
                double beta1, double beta2, double eps, double decay, double stepSize, double bc2Sqrt) {
  const double omb1 = 1.0 - beta1, omb2 = 1.0 - beta2;
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const double gi = HasG ? double(g[i]) : 0.0;
    const double mi = beta1 * double(m[i]) + omb1 * gi;
    const double vi = beta2 * double(v[i]) + omb2 * gi * gi;
    m[i] = float(mi);
    v[i] = float(vi);
    // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom
    p[i] = float(double(p[i]) * decay - stepSize * mi / (std::sqrt(vi) / bc2Sqrt + eps));
  }
}

}  // namespace

void adamwStep(float* p, const float* g, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
               double eps, double weightDecay, double bc1, double bc2) {
  const double decay = 1.0 - lr * weightDecay;
  const double stepSize = lr / bc1;
  const double bc2Sqrt = std::sqrt(bc2);
  parallelFor(n, 1 << 14, [=](int64_t i0, int64_t i1) {
    adamwRange<true>(p + i0, g + i0, m + i0, v + i0, i1 - i0, beta1, beta2, eps, decay, stepSize, bc2Sqrt);
  });
}

// adamwStep on a (R,C) parameter with a row-sparse gradient: g (n,C) holds rows `rows` (sorted,
// distinct); the other rows see g = 0 and are updated all the same.
void adamwStepRows(float* p, float* m, float* v, int64_t R, const int32_t* rows, int64_t n, const float* g,
                   int64_t C, double lr, double beta1, double beta2, double eps, double weightDecay, double bc1,
                   double bc2) {
  const double decay = 1.0 - lr * weightDecay;
  const double stepSize = lr / bc1;
  const double bc2Sqrt = std::sqrt(bc2);
  parallelFor(R, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(C, 1)), [=](int64_t r0, int64_t r1) {
    int64_t j = std::lower_bound(rows, rows + n, int32_t(r0)) - rows;
    for (int64_t r = r0; r < r1; r++) {
      const bool hasRow = j < n && rows[j] == r;
      if (hasRow)
        adamwRange<true>(p + r * C, g + j * C, m + r * C, v + r * C, C, beta1, beta2, eps, decay, stepSize, bc2Sqrt);
      else
        adamwRange<false>(p + r * C, nullptr, m + r * C, v + r * C, C, beta1, beta2, eps, decay, stepSize, bc2Sqrt);
      if (hasRow) j++;
    }
  });
}

}  // namespace slm
