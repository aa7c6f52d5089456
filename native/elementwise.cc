// Elementwise kernels and row reductions. Memory-bound, so they only need to be vectorised and,
// for large arrays, split across the pool. Arithmetic follows the reference: scalars from JS stay
// double and each result is rounded to float once, so most results match it bit for bit.
// Loop bodies live in plain functions taking pointers as parameters: inside a lambda the
// compiler must assume stores may alias the captured pointers, and vectorises with gathers.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "xoshiro.h"
#include "threadpool.h"

namespace slm {

namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per parallel chunk, at least

int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(C, 1)); }
int64_t colGrain(int64_t R) { return std::max<int64_t>(16, kGrain / std::max<int64_t>(R, 1)); }

void addRows(const float* __restrict x, const float* __restrict b, float* out, int64_t r0, int64_t r1, int64_t C) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * C;
    float* o = out + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = xr[c] + b[c];
  }
}

void mulRows(const float* __restrict x, const float* __restrict b, float* out, int64_t r0, int64_t r1, int64_t C) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * C;
    float* o = out + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = xr[c] * b[c];
  }
}

void scaleShiftRange(const float* x, double s, double t, float* out, int64_t i0, int64_t i1) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) out[i] = float(double(x[i]) * s + t);
}

void axpyRange(double alpha, const float* __restrict x, float* __restrict out, int64_t i0, int64_t i1, bool acc) {
  if (acc) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] = float(double(out[i]) + alpha * double(x[i]));
  } else {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] = float(alpha * double(x[i]));
  }
}

// out[c0..c1) (+)= sum over rows of x (R,C) [* y], each column summed in row order as the reference.
void sumColumns(const float* __restrict x, const float* __restrict y, float* __restrict out, int64_t R, int64_t C,
                int64_t c0, int64_t c1, bool acc) {
  if (!acc)
    for (int64_t c = c0; c < c1; c++) out[c] = 0.0f;
  for (int64_t r = 0; r < R; r++) {
    const float* xr = x + r * C;
    if (y) {
      const float* yr = y + r * C;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) out[c] = std::fma(xr[c], yr[c], out[c]);
    } else {
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) out[c] += xr[c];
    }
  }
}

void dropoutRange(const float* __restrict x, const uint8_t* __restrict mask, double scale, float* __restrict out,
                  int64_t i0, int64_t i1, bool acc) {
  if (acc) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] = float(double(out[i]) + (mask[i] ? double(x[i]) * scale : 0.0));
  } else {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] = mask[i] ? float(double(x[i]) * scale) : 0.0f;
  }
}

double sumSquaresRange(const float* x, int64_t i0, int64_t i1) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = i0; i < i1; i++) s += double(x[i]) * double(x[i]);
  return s;
}

}  // namespace

// out (R,C) = x (R,C) + b (C); out may be x
void addBroadcast(const float* x, const float* b, float* out, int64_t R, int64_t C) {
  parallelFor(R, rowGrain(C), [=](int64_t r0, int64_t r1) { addRows(x, b, out, r0, r1, C); });
}

// out (R,C) = x (R,C) * b (C); out may be x
void mulBroadcast(const float* x, const float* b, float* out, int64_t R, int64_t C) {
  parallelFor(R, rowGrain(C), [=](int64_t r0, int64_t r1) { mulRows(x, b, out, r0, r1, C); });
}

void scaleShift(const float* x, double s, double t, float* out, int64_t n) {
  parallelFor(n, kGrain, [=](int64_t i0, int64_t i1) { scaleShiftRange(x, s, t, out, i0, i1); });
}

void axpy(double alpha, const float* x, float* out, int64_t n, bool accumulate) {
  parallelFor(n, kGrain, [=](int64_t i0, int64_t i1) { axpyRange(alpha, x, out, i0, i1, accumulate); });
}

// out (C) (+)= sum over rows of x (R,C). Split over columns so every column is summed in row
// order, exactly as the reference does.
void sumRows(const float* x, float* out, int64_t R, int64_t C, bool accumulate) {
  parallelFor(C, colGrain(R), [=](int64_t c0, int64_t c1) { sumColumns(x, nullptr, out, R, C, c0, c1, accumulate); });
}

void sumRowsProduct(const float* x, const float* y, float* out, int64_t R, int64_t C, bool accumulate) {
  parallelFor(C, colGrain(R), [=](int64_t c0, int64_t c1) { sumColumns(x, y, out, R, C, c0, c1, accumulate); });
}

void dropoutApply(const float* x, const uint8_t* mask, double scale, float* out, int64_t n, bool accumulate) {
  parallelFor(n, kGrain, [=](int64_t i0, int64_t i1) { dropoutRange(x, mask, scale, out, i0, i1, accumulate); });
}

// The seeded generator's stream (src/tensor/rng.ts, xoshiro128**), one output per element in
// order, so the mask is the reference's bit for bit. uniform() >= p on the top 24 bits u is
// u / 2^24 >= p, that is u >= ceil(p 2^24) (p 2^24 is exact in double). One sequential stream:
// 1-2 ns per element, so it is not split across threads.
void dropoutMask(uint32_t* state, double p, uint8_t* mask, int64_t n) {
  const double th = std::ceil(p * 16777216.0);
  const uint32_t threshold = th <= 0.0 ? 0u : th >= 16777216.0 ? 16777216u : uint32_t(th);
  Xoshiro g = Xoshiro::load(state);
  for (int64_t i = 0; i < n; i++) mask[i] = g.next24() >= threshold ? 1 : 0;
  g.store(state);
}

// Sum of squares in double: per-chunk partial sums, added in chunk order (deterministic).
double sumSquares(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  const int64_t chunk = 1 << 16;
  const int64_t nChunks = (n + chunk - 1) / chunk;
  std::vector<double> part(size_t(nChunks), 0.0);
  double* parts = part.data();
  parallelTasks(nChunks, [=](int64_t t) { parts[t] = sumSquaresRange(x, t * chunk, std::min(n, (t + 1) * chunk)); });
  double s = 0.0;
  for (double p : part) s += p;
  return s;
}

}  // namespace slm
