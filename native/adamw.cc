// AdamW step in place, PyTorch's operation order, in float like PyTorch's float32 AdamW (the
// reference computes in double; results agree to float rounding), vectorised and split across the
// pool. One pass reads and writes p, m and v once: for the Markov table that is 3 x 3.4 GB each way,
// so the loop is memory-bound as long as its arithmetic stays in float (double sqrt and divide at
// half the vector width cost about as much as the memory traffic on one core).
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
                double beta1d, double beta2d, double epsd, double decayd, double stepSized, double bc2Sqrtd) {
  const float beta1 = float(beta1d), beta2 = float(beta2d), omb1 = float(1.0 - beta1d), omb2 = float(1.0 - beta2d);
  const float eps = float(epsd), decay = float(decayd), stepSize = float(stepSized), bc2Sqrt = float(bc2Sqrtd);
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const float gi = HasG ? g[i] : 0.0f;
    const float mi = beta1 * m[i] + omb1 * gi;
    const float vi = beta2 * v[i] + omb2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom
    p[i] = p[i] * decay - stepSize * mi / (std::sqrt(vi) / bc2Sqrt + eps);
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
