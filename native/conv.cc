// Causal dilated 1-D convolution, channels last, without an im2col copy: tap j of output row t
// reads input row t - s_j (s_j = (K-1-j) * dilation), so for one sequence each tap is a single
// matrix product over contiguous rows,
//   y[b, s_j : len) += x[b, 0 : len - s_j) @ W_j^T        W_j = w[:, :, j] (Cout,Cin)
// and the backward is two more per tap: gx[b, 0 : len - s_j) += gy[b, s_j : len) @ W_j, and
// gW_j += gy[b, s_j : len)^T @ x[b, 0 : len - s_j). Each tap's W_j is gathered from PyTorch's
// (Cout,Cin,K) layout and packed for sgemm once per call. Rows at or past a sequence's length are
// never computed. Forward and input gradient run sequences in parallel (each product on one
// thread) when there are enough of them, else one sequence at a time with threaded products; the
// weight gradient sums sequences in order with threaded products, so no two threads write the
// same element and results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "threadpool.h"

namespace slm {

namespace {

// The K taps of w (Cout,Cin,K) packed for sgemmPackedB, as op(B) = W_j^T (Cin,Cout) when
// `transposed`, else W_j (Cout,Cin).
std::vector<float> packTaps(const float* w, int64_t Cout, int64_t Cin, int64_t K, bool transposed, int64_t* tapSize) {
  const int64_t N = transposed ? Cout : Cin, Kd = transposed ? Cin : Cout;
  const int64_t size = packedBSize(N, Kd);
  std::vector<float> packed(size_t(std::max<int64_t>(size * K, 1)));
  std::vector<float> tap(size_t(std::max<int64_t>(Cout * Cin, 1)));
  for (int64_t j = 0; j < K; j++) {
    for (int64_t co = 0; co < Cout; co++)
      for (int64_t ci = 0; ci < Cin; ci++) tap[co * Cin + ci] = w[(co * Cin + ci) * K + j];
    packB(transposed, N, Kd, tap.data(), packed.data() + j * size);  // tap is (Cout,Cin) = (N,K) or (K,N)
  }
  *tapSize = size;
  return packed;
}

// Runs seq(b, serial) for every sequence: in parallel over sequences (products serial inside)
// when there are at least as many as threads, else one at a time.
template <class F>
void forSequences(int64_t B, F&& seq) {
  if (B >= poolThreads() && B > 1) {
    parallelTasks(B, [&](int64_t b) { seq(b, true); });
  } else {
    for (int64_t b = 0; b < B; b++) seq(b, false);
  }
}

inline void gemmPacked(bool serial, int64_t M, int64_t N, int64_t K, const float* A, const float* Bp, float* C) {
  if (serial) sgemmPackedBSerial(false, M, N, K, A, Bp, C, true);
  else sgemmPackedB(false, M, N, K, A, Bp, C, true);
}

}  // namespace

void causalConv1dForward(const float* x, const float* w, const float* bias, const int32_t* lengths, float* y,
                         int64_t B, int64_t T, int64_t Cin, int64_t Cout, int64_t K, int64_t dilation) {
  int64_t tapSize = 0;
  const std::vector<float> taps = packTaps(w, Cout, Cin, K, true, &tapSize);
  forSequences(B, [&](int64_t b, bool serial) {
    const int64_t len = lengths ? lengths[b] : T;
    float* yb = y + b * T * Cout;
    for (int64_t t = 0; t < len; t++) {
      if (bias) std::memcpy(yb + t * Cout, bias, sizeof(float) * Cout);
      else std::memset(yb + t * Cout, 0, sizeof(float) * Cout);
    }
    std::memset(yb + len * Cout, 0, sizeof(float) * (T - len) * Cout);
    for (int64_t j = 0; j < K; j++) {
      const int64_t s = (K - 1 - j) * dilation;
      if (len > s) gemmPacked(serial, len - s, Cout, Cin, x + b * T * Cin, taps.data() + j * tapSize, yb + s * Cout);
    }
  });
}

void causalConv1dBackward(const float* x, const float* w, const int32_t* lengths, const float* gy, float* gx,
                          float* gw, float* gBias, int64_t B, int64_t T, int64_t Cin, int64_t Cout, int64_t K,
                          int64_t dilation, bool accumulateX) {
  auto lenOf = [&](int64_t b) { return lengths ? int64_t(lengths[b]) : T; };
  if (gx) {
    int64_t tapSize = 0;
    const std::vector<float> taps = packTaps(w, Cout, Cin, K, false, &tapSize);
    forSequences(B, [&](int64_t b, bool serial) {
      const int64_t len = lenOf(b);
      float* gxb = gx + b * T * Cin;
      if (!accumulateX) std::memset(gxb, 0, sizeof(float) * T * Cin);
      for (int64_t j = 0; j < K; j++) {
        const int64_t s = (K - 1 - j) * dilation;
        if (len > s) gemmPacked(serial, len - s, Cin, Cout, gy + (b * T + s) * Cout, taps.data() + j * tapSize, gxb);
      }
    });
  }
  if (gw) {
    std::vector<float> gTap(size_t(std::max<int64_t>(Cout * Cin, 1)));
    for (int64_t j = 0; j < K; j++) {
      const int64_t s = (K - 1 - j) * dilation;
      std::fill(gTap.begin(), gTap.end(), 0.0f);
      for (int64_t b = 0; b < B; b++) {
        const int64_t len = lenOf(b);
        // (Cout,Cin) += gy[b, s:len)^T @ x[b, 0:len-s)
        if (len > s) sgemm(true, false, Cout, Cin, len - s, gy + (b * T + s) * Cout, x + b * T * Cin, gTap.data(), true);
      }
      for (int64_t co = 0; co < Cout; co++)
        for (int64_t ci = 0; ci < Cin; ci++) gw[(co * Cin + ci) * K + j] += gTap[co * Cin + ci];
    }
  }
  if (gBias) {
    std::vector<double> acc(size_t(std::max<int64_t>(Cout, 1)), 0.0);
    for (int64_t b = 0; b < B; b++) {
      const int64_t len = lenOf(b);
      for (int64_t t = 0; t < len; t++) {
        const float* g = gy + (b * T + t) * Cout;
#pragma omp simd
        for (int64_t co = 0; co < Cout; co++) acc[co] += double(g[co]);
      }
    }
    for (int64_t co = 0; co < Cout; co++) gBias[co] = float(double(gBias[co]) + acc[co]);
  }
}

}  // namespace slm
