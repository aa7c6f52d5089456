// Layer norm over rows (biased variance, as PyTorch), statistics in double. The backward runs in
// two passes: rows in parallel for gx (each row needs only its own sums), then columns in
// parallel for gGamma and gBeta (each column summed over rows in order, so no two threads ever
// write the same entry and the result does not depend on the thread count).
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "threadpool.h"

namespace slm {

namespace {

int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(C, 1)); }

// Loop bodies take their pointers as parameters (see elementwise.cc for why).
void normRows(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd, int64_t r0,
              int64_t r1, int64_t C, float eps) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t c = 0; c < C; c++) s += double(xr[c]);
    const double mu = s / double(C);
    double ss = 0.0;
#pragma omp simd reduction(+ : ss)
    for (int64_t c = 0; c < C; c++) {
      const double d = double(xr[c]) - mu;
      ss += d * d;
    }
    const double rs = 1.0 / std::sqrt(ss / double(C) + double(eps));
    mean[r] = float(mu);
    rstd[r] = float(rs);
#pragma omp simd
    for (int64_t c = 0; c < C; c++) yr[c] = float((double(xr[c]) - mu) * rs * double(gamma[c]) + double(beta[c]));
  }
}

void normGradRows(const float* x, const float* gamma, const float* mean, const float* rstd, const float* gy, float* gx,
                  int64_t r0, int64_t r1, int64_t C, bool acc) {
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = x + r * C, *gr = gy + r * C;
    float* o = gx + r * C;
    const double mu = mean[r], rs = rstd[r];
    double sumG = 0.0, sumGX = 0.0;
#pragma omp simd reduction(+ : sumG, sumGX)
    for (int64_t c = 0; c < C; c++) {
      const double xhat = (double(xr[c]) - mu) * rs;
      const double gh = double(gr[c]) * double(gamma[c]);
      sumG += gh;
      sumGX += gh * xhat;
    }
    const double mG = sumG / double(C), mGX = sumGX / double(C);
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      const double xhat = (double(xr[c]) - mu) * rs;
      const double v = rs * (double(gr[c]) * double(gamma[c]) - mG - xhat * mGX);
      o[c] = acc ? float(double(o[c]) + v) : float(v);
    }
  }
}

// gGamma, gBeta over columns [c0, c1), all rows in order, in strips of double accumulators.
void paramGradColumns(const float* x, const float* mean, const float* rstd, const float* gy, float* gGamma,
                      float* gBeta, int64_t R, int64_t C, int64_t c0, int64_t c1) {
  constexpr int64_t kCols = 64;
  double accG[kCols], accB[kCols];
  for (int64_t cs = c0; cs < c1; cs += kCols) {
    const int64_t w = std::min(kCols, c1 - cs);
    std::fill(accG, accG + w, 0.0);
    std::fill(accB, accB + w, 0.0);
    for (int64_t r = 0; r < R; r++) {
      const float *xr = x + r * C + cs, *gr = gy + r * C + cs;
      const double mu = mean[r], rs = rstd[r];
#pragma omp simd
      for (int64_t c = 0; c < w; c++) {
        accG[c] += double(gr[c]) * ((double(xr[c]) - mu) * rs);
        accB[c] += double(gr[c]);
      }
    }
    if (gGamma)
      for (int64_t c = 0; c < w; c++) gGamma[cs + c] = float(double(gGamma[cs + c]) + accG[c]);
    if (gBeta)
      for (int64_t c = 0; c < w; c++) gBeta[cs + c] = float(double(gBeta[cs + c]) + accB[c]);
  }
}

}  // namespace

// y (R,C) = (x - mean) * rstd * gamma + beta; mean, rstd (R) saved for backward
void layerNormForward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                      int64_t R, int64_t C, float eps) {
  parallelFor(R, rowGrain(C), [=](int64_t r0, int64_t r1) { normRows(x, gamma, beta, y, mean, rstd, r0, r1, C, eps); });
}

// gx (R,C) (+)= rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)), gxhat = gy * gamma;
// gGamma (C) += sum over rows of gy * xhat; gBeta (C) += sum over rows of gy.
void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* gy,
                       float* gx, float* gGamma, float* gBeta, int64_t R, int64_t C, bool accumulateX) {
  if (gx) {
    parallelFor(R, rowGrain(C), [=](int64_t r0, int64_t r1) {
      normGradRows(x, gamma, mean, rstd, gy, gx, r0, r1, C, accumulateX);
    });
  }
  if (!gGamma && !gBeta) return;
  const int64_t grain = R * C >= (1 << 15) ? 16 : std::max<int64_t>(C, 1);
  parallelFor(C, grain, [=](int64_t c0, int64_t c1) { paramGradColumns(x, mean, rstd, gy, gGamma, gBeta, R, C, c0, c1); });
}

}  // namespace slm
