// sgemm: C (M,N) = op(A) (M,K) @ op(B) (K,N) (+ C), the Goto/BLIS way, in two pool dispatches:
// first op(B) is packed into NR-column panels for every K block (and op(A) into MR-row panels,
// when several N blocks share them), then a grid of (N block x row group) tasks runs, each
// calling a register-blocked MR x NR micro-kernel that keeps C's tile in vector registers. Few
// dispatches matter on a busy machine: each one waits for the slowest thread. Packing pads with
// zeros, so the micro-kernel never sees a ragged edge; partial tiles of C go through a small
// buffer. The four transpose cases differ only in how the packing reads.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {
namespace {

#if defined(__AVX512F__)
constexpr int MR = 12, NRV = 2;  // 24 accumulators of 16 floats out of 32 zmm registers
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int MR = 6, NRV = 2;   // 12 accumulators of 8 floats out of 16 ymm registers
#else
constexpr int MR = 4, NRV = 4;   // scalar: a 4 x 4 tile the compiler keeps in registers
#endif
constexpr int NR = NRV * VW;
constexpr int64_t KC = 256;                 // K block, usually: an A panel stays in L1
constexpr int64_t KCMAX = 2 * KC;            // K block when N is narrow
constexpr int64_t NC = NR * (512 / NR);      // N block: its packed B (KC x NC) stays in L2

// Grow-only 64-byte aligned scratch, one per calling thread (workers only write into it).
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  float* get(size_t want) {
    if (want > n) {
      std::free(p);
      n = want;
      p = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64));
    }
    return p;
  }
  ~Scratch() { std::free(p); }
};
thread_local Scratch aScratch, bScratch;
std::atomic<int64_t> scratchLimit{int64_t(1) << 24};  // floats per packed operand: 64 MiB

// The micro-kernel: C tile (mr,nr) (+)= Ap (kc,MR) panel times Bp (kc,NR) panel.
void microKernel(int64_t kc, const float* __restrict Ap, const float* __restrict Bp, float* C, int64_t ldc,
                 int mr, int nr, bool add) {
  vf c[MR][NRV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NRV; j++) c[i][j] = vzero();
  for (int64_t k = 0; k < kc; k++) {
    vf b[NRV];
#pragma GCC unroll 4
    for (int j = 0; j < NRV; j++) b[j] = vload(Bp + k * NR + j * VW);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      vf a = vset1(Ap[k * MR + i]);
#pragma GCC unroll 4
      for (int j = 0; j < NRV; j++) c[i][j] = vfma(a, b[j], c[i][j]);
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int j = 0; j < NRV; j++) {
        float* dst = C + i * ldc + j * VW;
        vstore(dst, add ? vadd(vload(dst), c[i][j]) : c[i][j]);
      }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NRV; j++) vstore(tile + i * NR + j * VW, c[i][j]);
  for (int i = 0; i < mr; i++) {
    float* dst = C + i * ldc;
    const float* src = tile + i * NR;
    if (add)
      for (int j = 0; j < nr; j++) dst[j] += src[j];
    else
      for (int j = 0; j < nr; j++) dst[j] = src[j];
  }
}

#if defined(__AVX512F__)
// In-register transpose of a 16 x 16 tile: r[i] holds row i on entry, column i on exit.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {  // r[4i+j], 128-bit lane L: column 4L+j, rows 4i..4i+3
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int j = 0; j < 4; j++) {
    __m512 a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), b = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
    __m512 c = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), d = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
    t[j] = _mm512_shuffle_f32x4(a, c, 0x88);
    t[j + 8] = _mm512_shuffle_f32x4(a, c, 0xDD);
    t[j + 4] = _mm512_shuffle_f32x4(b, d, 0x88);
    t[j + 12] = _mm512_shuffle_f32x4(b, d, 0xDD);
  }
  for (int i = 0; i < 16; i++) r[i] = t[i];
}
#endif

// dst[k * W + r] = src[r * ld + k] for r < rows (zero for rows <= r < W), k < kc: a transposing
// copy of `rows` source rows. Reads 16 columns of every row at once (one cache line per row in
// flight, instead of one long row at a time) and transposes them in registers (AVX-512) or
// through a small tile.
template <int W>
void packTransposed(const float* src, int64_t ld, int64_t rows, int64_t kc, float* dst) {
  constexpr int64_t S = 16;
  int64_t k0 = 0;
#if defined(__AVX512F__)
  for (; k0 + S <= kc; k0 += S) {
    for (int b = 0; b < W; b += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; i++) r[i] = b + i < rows ? _mm512_loadu_ps(src + (b + i) * ld + k0) : _mm512_setzero_ps();
      transpose16(r);
      const __mmask16 lanes = W - b >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (W - b)) - 1);
      for (int k = 0; k < 16; k++) _mm512_mask_storeu_ps(dst + (k0 + k) * W + b, lanes, r[k]);
    }
  }
#endif
  alignas(64) float tile[W][S];
  for (; k0 < kc; k0 += S) {
    const int64_t w = std::min(S, kc - k0);
    for (int64_t r = 0; r < rows; r++) std::memcpy(tile[r], src + r * ld + k0, sizeof(float) * w);
    for (int64_t r = rows; r < W; r++) std::memset(tile[r], 0, sizeof(float) * S);
    for (int64_t k = 0; k < w; k++) {
      float* d = dst + (k0 + k) * W;
#pragma GCC unroll 16
      for (int r = 0; r < W; r++) d[r] = tile[r][k];
    }
  }
}

// Asks for the source of the A panel at rows [i0, i0 + MR) to be brought into L2 while the
// current panel computes: its rows are far apart in memory, so the hardware prefetchers do not.
void prefetchAPanel(bool transA, const float* A, int64_t M, int64_t K, int64_t i0, int64_t k0, int64_t kc) {
  if (i0 >= M) return;
  const int64_t rows = std::min<int64_t>(MR, M - i0);
  if (!transA) {
    for (int64_t r = 0; r < rows; r++) {
      const char* p = reinterpret_cast<const char*>(A + (i0 + r) * K + k0);
      for (int64_t b = 0; b < kc * int64_t(sizeof(float)); b += 64) __builtin_prefetch(p + b, 0, 2);
    }
  } else {
    for (int64_t k = 0; k < kc; k++) {
      const char* p = reinterpret_cast<const char*>(A + (k0 + k) * M + i0);
      __builtin_prefetch(p, 0, 2);
      __builtin_prefetch(p + rows * sizeof(float) - 1, 0, 2);
    }
  }
}

// Packs rows [i0, i0 + MR) x cols [k0, k0 + kc) of op(A) (M,K) into one MR-row panel (kc,MR).
void packAPanel(bool transA, const float* A, int64_t M, int64_t K, int64_t i0, int64_t k0, int64_t kc, float* dst) {
  int64_t rows = std::min<int64_t>(MR, M - i0);
  if (!transA) {
    packTransposed<MR>(A + i0 * K + k0, K, rows, kc, dst);  // A is (M,K)
    return;
  }
  // A is (K,M): each k is a contiguous run of rows.
  for (int64_t k = 0; k < kc; k++) {
    const float* src = A + (k0 + k) * M + i0;
    float* d = dst + k * MR;
    if (rows == MR) {
      std::memcpy(d, src, sizeof(float) * MR);
      continue;
    }
    int64_t i = 0;
    for (; i < rows; i++) d[i] = src[i];
    for (; i < MR; i++) d[i] = 0.0f;
  }
}

// Packs rows [k0, k0 + kc) x cols [j0, j0 + NR) of op(B) (K,N) into one NR-column panel (kc,NR).
void packBPanel(bool transB, const float* B, int64_t N, int64_t K, int64_t j0, int64_t k0, int64_t kc, float* dst) {
  int64_t cols = std::min<int64_t>(NR, N - j0);
  if (!transB) {
    // B is (K,N): each k is a contiguous run of columns.
    for (int64_t k = 0; k < kc; k++) {
      const float* src = B + (k0 + k) * N + j0;
      float* d = dst + k * NR;
      if (cols == NR) {
        for (int j = 0; j < NRV; j++) vstore(d + j * VW, vload(src + j * VW));
      } else {
        int64_t j = 0;
        for (; j < cols; j++) d[j] = src[j];
        for (; j < NR; j++) d[j] = 0.0f;
      }
    }
    return;
  }
  packTransposed<NR>(B + j0 * K + k0, K, cols, kc, dst);  // B is (N,K)
}

// K block of a product with this N and K: deeper when N is narrow, as long as a packed B block
// (kc x NC) still fits in L2. packB's layout depends on it, so both sides compute it here.
int64_t kBlock(int64_t N, int64_t K) {
  const int64_t ncPad = ((std::min(N, NC) + NR - 1) / NR) * NR;
  return K <= KC ? K : std::min(K, std::max(KC, std::min(KCMAX, KC * NC / ncPad)));
}

// The product, with op(B) packed here per N chunk, or (Bpre != nullptr) already packed whole by
// packB: then there is one N chunk and only op(A) is packed.
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, const float* B,
          const float* Bpre, float* C, bool accumulate, bool allowParallel = true) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) std::memset(C, 0, sizeof(float) * M * N);
    return;
  }
  const bool parallel = allowParallel && double(M) * double(N) * double(K) >= 2097152.0 && poolThreads() > 1;
  const int64_t threads = parallel ? poolThreads() : 1;
  const int64_t kc = kBlock(N, K);
  const int64_t nPc = (K + kc - 1) / kc;
  // Packed operands are bounded (kScratch floats each): a bigger product runs in chunks of
  // whole N blocks (and, when A is shared, of whole row panels).
  const int64_t kScratch = scratchLimit.load(std::memory_order_relaxed);
  const int64_t nChunk = Bpre ? N : std::max(NC, (kScratch / K) / NC * NC);
  const int64_t mChunk = std::max<int64_t>(MR, (kScratch / K) / MR * MR);

  for (int64_t n0 = 0; n0 < N; n0 += nChunk) {
    const int64_t nn = std::min(nChunk, N - n0);
    const int64_t nPanels = (nn + NR - 1) / NR, nBlocks = (nn + NC - 1) / NC;
    // With several N blocks, each A panel is used once per block: pack op(A) once and share it.
    // With one, each task packs its own A panels just before use.
    const bool shareA = nBlocks > 1;
    const float* Bp = Bpre ? Bpre : bScratch.get(size_t(K * nPanels * NR));
    for (int64_t m0 = 0; m0 < M; m0 += shareA ? mChunk : M) {
      const int64_t mm = shareA ? std::min(mChunk, M - m0) : M;
      const int64_t mPanels = (mm + MR - 1) / MR;
      float* Ap = shareA ? aScratch.get(size_t(K * mPanels * MR)) : nullptr;
      // Panel p of K block pc sits at pc * kc * (panels * width) + p * width * kcOf(pc).
      auto kcOf = [&](int64_t pc) { return std::min(kc, K - pc * kc); };
      // One dispatch packs every panel needed: A's (when shared), then B's, for all K blocks.
      constexpr int64_t kGroup = 8;  // panels per packing task
      const int64_t aGroups = shareA ? (mPanels + kGroup - 1) / kGroup : 0;
      const int64_t bGroups = Bpre ? 0 : (nPanels + kGroup - 1) / kGroup;
      auto pack = [&](int64_t t) {
        const bool isA = t < aGroups * nPc;
        if (!isA) t -= aGroups * nPc;
        const int64_t groups = isA ? aGroups : bGroups;
        const int64_t pc = t / groups, g = t % groups, k0 = pc * kc, kcp = kcOf(pc);
        const int64_t p1 = std::min(isA ? mPanels : nPanels, (g + 1) * kGroup);
        for (int64_t p = g * kGroup; p < p1; p++) {
          if (isA) packAPanel(transA, A, M, K, m0 + p * MR, k0, kcp, Ap + k0 * mPanels * MR + p * MR * kcp);
          else packBPanel(transB, B, N, K, n0 + p * NR, k0, kcp, const_cast<float*>(Bp) + k0 * nPanels * NR + p * NR * kcp);
        }
      };
      const int64_t packTasks = (aGroups + bGroups) * nPc;
      if (parallel) parallelTasks(packTasks, pack);
      else for (int64_t t = 0; t < packTasks; t++) pack(t);

      // Compute tasks: (N block, row group), N-block-major so a thread's consecutive tasks reuse
      // the B block in its L2. Each task runs all K blocks over its C tile (rg rows x NC), which
      // stays in L2 between K blocks; with several K blocks, row groups are larger so the B
      // blocks streamed from memory are reused by more rows.
      const int64_t rgMax = nPc > 1 ? 32 : 8;  // panels
      // Alone, one thread takes row groups as large as they come (fewer passes over B); in the
      // pool, four groups per thread balance the load — except when K is deep and there are few
      // rows (a chunk's dlogits @ W: 12 panels, K = V): then every extra group streams all of op(B)
      // from memory once more, so each thread takes one group.
      const int64_t perThread = (mPanels + threads - 1) / threads;
      const int64_t rg = !parallel ? std::min(rgMax, mPanels)
                       : nPc > 1 && perThread <= rgMax ? perThread
                       : std::max<int64_t>(1, std::min(rgMax, mPanels / (4 * threads)));
      const int64_t nRg = (mPanels + rg - 1) / rg;
      auto task = [&](int64_t t) {
        alignas(64) float local[MR * KCMAX];
        const int64_t jb = t / nRg, r = t % nRg;
        const int64_t q0 = jb * (NC / NR), q1 = std::min(nPanels, q0 + NC / NR);
        const int64_t p0 = r * rg, p1 = std::min(mPanels, p0 + rg);
        for (int64_t pc = 0; pc < nPc; pc++) {
          const int64_t k0 = pc * kc, kcp = kcOf(pc);
          const bool add = accumulate || pc > 0;
          for (int64_t p = p0; p < p1; p++) {
            const int64_t i = m0 + p * MR;
            const float* ap;
            if (shareA) {
              ap = Ap + k0 * mPanels * MR + p * MR * kcp;
            } else {
              packAPanel(transA, A, M, K, i, k0, kcp, local);
              if (p + 1 < p1) prefetchAPanel(transA, A, M, K, i + MR, k0, kcp);
              ap = local;
            }
            const int mr = int(std::min<int64_t>(MR, M - i));
            for (int64_t q = q0; q < q1; q++) {
              const int64_t j = n0 + q * NR;
              const int nr = int(std::min<int64_t>(NR, N - j));
              microKernel(kcp, ap, Bp + k0 * nPanels * NR + q * NR * kcp, C + i * N + j, N, mr, nr, add);
            }
          }
        }
      };
      const int64_t nTasks = nBlocks * nRg;
      if (parallel) parallelTasks(nTasks, task);
      else for (int64_t t = 0; t < nTasks; t++) task(t);
    }
  }
}

}  // namespace

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C,
           bool accumulate) {
  gemm(transA, transB, M, N, K, A, B, nullptr, C, accumulate);
}

int64_t packedBSize(int64_t N, int64_t K) {
  if (N <= 0 || K <= 0) return 0;
  return K * ((N + NR - 1) / NR) * NR;
}

// Bp = op(B) (K,N) as gemm packs it for one N chunk covering all of N: every K block's NR-column
// panels, zero-padded, in one parallel dispatch.
void packB(bool transB, int64_t N, int64_t K, const float* B, float* Bp) {
  if (N <= 0 || K <= 0) return;
  const int64_t kc = kBlock(N, K), nPc = (K + kc - 1) / kc;
  const int64_t nPanels = (N + NR - 1) / NR;
  constexpr int64_t kGroup = 8;
  const int64_t groups = (nPanels + kGroup - 1) / kGroup;
  auto pack = [&](int64_t t) {
    const int64_t pc = t / groups, g = t % groups, k0 = pc * kc, kcp = std::min(kc, K - k0);
    const int64_t p1 = std::min(nPanels, (g + 1) * kGroup);
    for (int64_t p = g * kGroup; p < p1; p++) packBPanel(transB, B, N, K, p * NR, k0, kcp, Bp + k0 * nPanels * NR + p * NR * kcp);
  };
  const bool parallel = double(N) * double(K) >= 262144.0 && poolThreads() > 1;
  if (parallel) parallelTasks(groups * nPc, pack);
  else for (int64_t t = 0; t < groups * nPc; t++) pack(t);
}

void sgemmPackedB(bool transA, int64_t M, int64_t N, int64_t K, const float* A, const float* Bp, float* C,
                  bool accumulate) {
  gemm(transA, false, M, N, K, A, nullptr, Bp, C, accumulate);
}

void sgemmPackedBSerial(bool transA, int64_t M, int64_t N, int64_t K, const float* A, const float* Bp, float* C,
                        bool accumulate) {
  gemm(transA, false, M, N, K, A, nullptr, Bp, C, accumulate, false);
}

int64_t setSgemmScratchLimit(int64_t floats) {
  return scratchLimit.exchange(std::max<int64_t>(floats, 1));
}

const char* sgemmConfig() {
  static char buf[96];
  std::snprintf(buf, sizeof buf, "MR=%d NR=%d KC=%lld NC=%lld", MR, NR, (long long)KC, (long long)NC);
  return buf;
}

}  // namespace slm
