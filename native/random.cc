// Seeded standard normals, bit for bit the numbers of src/backend/reference/random.ts (see there
// for the method): the same xoshiro128** stream, the same tables built by the same series, and
// the same double operations in the same order. That only holds if the compiler neither fuses a
// multiply and an add into one FMA (rounded once instead of twice) nor reassociates, hence the
// pragmas below, ahead of every include so that inlined helpers obey them too, and no -ffast-math
// in binding.gyp. The stream is drawn serially (it is one sequence); the transform, most of the
// cost, runs on the pool over blocks of drawn pairs.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "xoshiro.h"
#include "threadpool.h"

namespace slm {

namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr double kLn2 = 0.6931471805599453;

double sinSeries(double x) {
  const double x2 = x * x;
  double acc = 1.0;
  for (int k = 13; k >= 1; k--) acc = 1.0 - (x2 / double((2 * k) * (2 * k + 1))) * acc;
  return x * acc;
}

double cosSeries(double x) {
  const double x2 = x * x;
  double acc = 1.0;
  for (int k = 13; k >= 1; k--) acc = 1.0 - (x2 / double((2 * k - 1) * (2 * k))) * acc;
  return acc;
}

struct Tables {
  double log[2048], sinA[2048], cosA[2048], sinB[2048], cosB[2048];
  Tables() {
    for (int i = 0; i < 2048; i++) {
      const double s = double(i) / double(4096 + i);
      const double s2 = s * s;
      double acc = 1.0 / 45.0;
      for (int k = 21; k >= 0; k--) acc = acc * s2 + 1.0 / double(2 * k + 1);
      log[i] = 2.0 * s * acc;
      const double a = (kTwoPi * double(i)) / 8192.0;
      sinA[i] = sinSeries(a);
      cosA[i] = cosSeries(a);
      const double b = (kTwoPi * double(i)) / 16777216.0;
      sinB[i] = sinSeries(b);
      cosB[i] = cosSeries(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;  // thread-safe one-time init
  return t;
}

// ln(k / 2^24) for 0 < k < 2^24.
inline double logUniform(const Tables& T, uint32_t k) {
  const int e = 31 - __builtin_clz(k);
  const uint32_t kn = k << (23 - e);
  const uint32_t i = (kn >> 12) & 2047;
  const uint32_t lo = kn & 4095;
  const double x = double(lo) / double((2048 + i) * 4096);
  const double p = x * (1.0 + x * (-0.5 + x * (0.3333333333333333 + x * (-0.25 + x * 0.2))));
  return (double(e - 24) * kLn2 + T.log[i]) + p;
}

inline void boxMuller(const Tables& T, uint32_t k1, uint32_t k2, double& z1, double& z2) {
  const double r = std::sqrt(-2.0 * logUniform(T, k1));
  const uint32_t j = k2 & 0x3fffff;
  const double sa = T.sinA[j >> 11], ca = T.cosA[j >> 11];
  const double sb = T.sinB[j & 2047], cb = T.cosB[j & 2047];
  const double s = sa * cb + ca * sb;
  const double c = ca * cb - sa * sb;
  switch (k2 >> 22) {
    case 0: z1 = r * c; z2 = r * s; break;
    case 1: z1 = -(r * s); z2 = r * c; break;
    case 2: z1 = -(r * c); z2 = -(r * s); break;
    default: z1 = r * s; z2 = -(r * c); break;
  }
}


}  // namespace

void fillNormal(uint32_t* state, float* out, int64_t n, double mean, double std, double* spare) {
  const Tables& T = tables();
  *spare = NAN;
  const int64_t pairs = (n + 1) / 2;
  constexpr int64_t kBlock = 1 << 16;  // pairs drawn serially, then transformed in parallel
  std::vector<uint32_t> k(2 * std::min(pairs, kBlock));
  Xoshiro g{state[0], state[1], state[2], state[3]};
  double last = NAN;
  for (int64_t p0 = 0; p0 < pairs; p0 += kBlock) {
    const int64_t np = std::min(kBlock, pairs - p0);
    uint32_t* kp = k.data();
    for (int64_t q = 0; q < np; q++) {
      uint32_t k1 = g.next24();
      while (k1 == 0) k1 = g.next24();
      kp[2 * q] = k1;
      kp[2 * q + 1] = g.next24();
    }
    float* o = out + 2 * p0;
    const int64_t m = std::min<int64_t>(2 * np, n - 2 * p0);  // outputs of this block (odd at the end)
    parallelFor(np, 4096, [kp, o, m, mean, std, &T, &last](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; q++) {
        double z1, z2;
        boxMuller(T, kp[2 * q], kp[2 * q + 1], z1, z2);
        o[2 * q] = float(mean + std * z1);
        if (2 * q + 1 < m) o[2 * q + 1] = float(mean + std * z2);
        else last = z2;
      }
    });
  }
  if (n % 2 == 1) *spare = last;
  state[0] = g.s0;
  state[1] = g.s1;
  state[2] = g.s2;
  state[3] = g.s3;
}

}  // namespace slm
