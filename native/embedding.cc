// Embedding gather (forward) and scatter-add (backward). Ids were range-checked by addon.cc.
// The backward splits the C columns across threads instead of the N rows, so repeated ids never
// race and every table entry receives its additions in row order, as in the reference.
#include <algorithm>
#include <cstring>

#include "kernels.h"
#include "threadpool.h"

namespace slm {

// out (N,C) = table (V,C) rows at ids (N)
void embeddingForward(const int32_t* ids, int64_t n, const float* table, float* out, int64_t C) {
  if (C <= 0) return;
  parallelFor(n, std::max<int64_t>(1, 16384 / C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) std::memcpy(out + r * C, table + int64_t(ids[r]) * C, sizeof(float) * C);
  });
}

// gTable (V,C) += gOut (N,C) scattered to rows ids (N)
void embeddingBackward(const int32_t* ids, int64_t n, const float* gOut, float* gTable, int64_t C) {
  if (C <= 0 || n <= 0) return;
  const int64_t grain = n * C >= (1 << 16) ? 16 : C;  // small problems: one chunk, no dispatch
  parallelFor(C, grain, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < n; r++) {
      const float* src = gOut + r * C;
      float* dst = gTable + int64_t(ids[r]) * C;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
    }
  });
}

}  // namespace slm
