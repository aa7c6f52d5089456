// The machine's limits, measured rather than looked up, so benchmarks can say how close a kernel
// or a training step comes to them in the same run (machines of the same name differ, and a
// shared one gives what it gives):
// - fmaPeak: fp32 FMA throughput with this build's vectors (the kernels' own vf/vfma), on every
//   thread of the pool. Each task runs NA independent FMA chains held in registers, enough of them
//   to cover the FMA latency on every pipe, so the figure is issue-bound, not latency-bound.
// - memoryBandwidth: a streaming read (sum) and a STREAM-style triad a = b + s·c over a buffer far
//   larger than the last-level cache, on every thread. Triad bytes are counted the STREAM way
//   (3 arrays × 4 bytes per element; the write-allocate read is not counted).
// Both take the best of repeated rounds within a time budget: on a busy machine the best round is
// the one least disturbed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {
namespace {

// Independent accumulators per thread: FMA latency (4 cycles) × pipes (2) with room to spare,
// within the register file (32 vector registers with AVX-512, 16 with AVX2 less two constants).
#if defined(__AVX512F__)
constexpr int NA = 16;
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int NA = 12;
#else
constexpr int NA = 8;
#endif

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// NA chains of `iters` FMAs each; returns a value that depends on all of them (so none is dropped).
// acc·a + b with a just under 1 converges to b/(1-a): no overflow, no denormals.
float fmaChains(int64_t iters, float seed) {
  vf acc[NA];
  for (int i = 0; i < NA; i++) acc[i] = vset1(seed + 1e-3f * float(i));
  const vf a = vset1(0.99999994f), b = vset1(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < NA; i++) acc[i] = vfma(acc[i], a, b);
  }
  vf s = acc[0];
  for (int i = 1; i < NA; i++) s = vadd(s, acc[i]);
  return float(vhsumd(s));
}

// Sum of x[0, n) with four vector accumulators (a reduction the compiler would not vectorise
// without -ffast-math).
double sumRange(const float* x, int64_t n) {
  vf s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero();
  int64_t i = 0;
  for (; i + 4 * VW <= n; i += 4 * VW) {
    s0 = vadd(s0, vload(x + i));
    s1 = vadd(s1, vload(x + i + VW));
    s2 = vadd(s2, vload(x + i + 2 * VW));
    s3 = vadd(s3, vload(x + i + 3 * VW));
  }
  double t = vhsumd(vadd(vadd(s0, s1), vadd(s2, s3)));
  for (; i < n; i++) t += x[i];
  return t;
}

}  // namespace

FmaPeak fmaPeak(double budgetSeconds) {
  const int threads = poolThreads();
  // Size a task to about 20 ms on one thread, from a short single-thread calibration.
  int64_t iters = 1 << 14;
  volatile float sink = 0;
  for (;;) {
    const double t0 = nowSeconds();
    sink = sink + fmaChains(iters, 1.0f);
    const double dt = nowSeconds() - t0;
    if (dt > 2e-3 || iters > (int64_t(1) << 40)) {
      iters = std::max<int64_t>(1, int64_t(double(iters) * 0.02 / std::max(dt, 1e-9)));
      break;
    }
    iters *= 4;
  }
  // Several tasks per thread: a worker that arrives late takes fewer of them instead of leaving
  // its share to the caller, so the round still ends when all threads' work does.
  const int64_t nTasks = int64_t(threads) * 4;
  std::vector<float> out(size_t(nTasks), 0.0f);
  struct Ctx {
    int64_t iters;
    float* out;
  } ctx{iters, out.data()};
  const double flopsPerRound = double(nTasks) * double(iters) * NA * VW * 2.0;
  double best = 0;
  const double start = nowSeconds();
  for (int round = 0; round < 100; round++) {
    const double t0 = nowSeconds();
    parallelRun(nTasks, [](void* c, int64_t t) {
      auto* x = static_cast<Ctx*>(c);
      x->out[t] = fmaChains(x->iters, 1.0f + 1e-6f * float(t));
    }, &ctx);
    const double dt = nowSeconds() - t0;
    best = std::max(best, flopsPerRound / dt);
    if (round >= 2 && nowSeconds() - start > budgetSeconds) break;
  }
  for (float v : out) sink = sink + v;
  return {best / 1e9, threads, kVecBits, NA};
}

Bandwidth memoryBandwidth(int64_t bytes, double budgetSeconds) {
  const int threads = poolThreads();
  const int64_t n = std::max<int64_t>(3 * 1024, bytes / 4 / 3 * 3);  // floats, a multiple of 3
  std::unique_ptr<float[]> buf(new float[size_t(n)]);
  float* x = buf.get();
  // Several chunks per thread, as the kernels split their work; first touch in parallel.
  const int64_t nTasks = int64_t(threads) * 4;
  parallelTasks(nTasks, [&](int64_t t) {
    for (int64_t i = n * t / nTasks, e = n * (t + 1) / nTasks; i < e; i++) x[i] = 1.0f + float(i & 1023) * 1e-6f;
  });
  std::vector<double> parts(size_t(nTasks), 0.0);
  double bestRead = 0, bestTriad = 0;
  const double start = nowSeconds();
  volatile double sink = 0;
  for (int round = 0; round < 1000; round++) {
    double t0 = nowSeconds();
    parallelTasks(nTasks, [&](int64_t t) {
      const int64_t b = n * t / nTasks, e = n * (t + 1) / nTasks;
      parts[size_t(t)] = sumRange(x + b, e - b);
    });
    double dt = nowSeconds() - t0;
    bestRead = std::max(bestRead, double(n) * 4.0 / dt);
    for (double p : parts) sink = sink + p;
    // a = b + s·c over the buffer's three thirds.
    const int64_t m = n / 3;
    float* a = x;
    const float* bb = x + m;
    const float* cc = x + 2 * m;
    const vf s = vset1(0.5f);
    t0 = nowSeconds();
    parallelTasks(nTasks, [&](int64_t t) {
      int64_t i = m * t / nTasks;
      const int64_t e = m * (t + 1) / nTasks;
      for (; i + VW <= e; i += VW) vstore(a + i, vfma(s, vload(cc + i), vload(bb + i)));
      for (; i < e; i++) a[i] = bb[i] + 0.5f * cc[i];
    });
    dt = nowSeconds() - t0;
    bestTriad = std::max(bestTriad, double(m) * 12.0 / dt);
    if (round >= 2 && nowSeconds() - start > budgetSeconds) break;
  }
  return {bestRead / 1e9, bestTriad / 1e9, n * 4, threads};
}

}  // namespace slm
