// Declarations of every native kernel, one group per source file (named like the TypeScript
// twins in src/backend/reference/). Arguments are raw pointers into the JS typed arrays (already
// offset by byteOffset) and int64 dimensions; addon.cc checks the lengths before calling.
// Semantics are documented once, in src/backend/kernels.ts.
#pragma once
#include <cstdint>
#include <cstdio>

namespace slm {

// matmul.cc
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C,
           bool accumulate);
// sgemm with op(B) packed beforehand (once, for several products that share it): packedBSize
// floats hold op(B) (K,N) in this build's panel layout; sgemmPackedB reads it as sgemm reads op(B).
int64_t packedBSize(int64_t N, int64_t K);
void packB(bool transB, int64_t N, int64_t K, const float* B, float* Bp);
void sgemmPackedB(bool transA, int64_t M, int64_t N, int64_t K, const float* A, const float* Bp, float* C,
                  bool accumulate);
// sgemmPackedB on the calling thread only, for kernels that already run in parallel over their own
// tasks (a pool task cannot hand work back to the pool). The same arithmetic, element for element.
void sgemmPackedBSerial(bool transA, int64_t M, int64_t N, int64_t K, const float* A, const float* Bp, float* C,
                        bool accumulate);
const char* sgemmConfig();
// Test hook: caps the packed-operand scratch (in floats) so small products take the chunked
// paths; returns the previous cap.
int64_t setSgemmScratchLimit(int64_t floats);

// peak.cc: the machine's measured limits (not kernels; benchmarks compare kernels with them).
struct FmaPeak {
  double gflops;  // fp32, best round, all pool threads
  int threads;
  int vectorBits;
  int chains;  // independent FMA chains per thread
};
struct Bandwidth {
  double readGBs;   // streaming sum over the buffer
  double triadGBs;  // a = b + s*c, 12 bytes per element (STREAM's count)
  int64_t bytes;    // buffer size
  int threads;
};
FmaPeak fmaPeak(double budgetSeconds);
Bandwidth memoryBandwidth(int64_t bytes, double budgetSeconds);

// elementwise.cc
void addBroadcast(const float* x, const float* b, float* out, int64_t R, int64_t C);
void mulBroadcast(const float* x, const float* b, float* out, int64_t R, int64_t C);
void scaleShift(const float* x, double s, double t, float* out, int64_t n);
void axpy(double alpha, const float* x, float* out, int64_t n, bool accumulate);
void sumRows(const float* x, float* out, int64_t R, int64_t C, bool accumulate);
void sumRowsProduct(const float* x, const float* y, float* out, int64_t R, int64_t C, bool accumulate);
void dropoutApply(const float* x, const uint8_t* mask, double scale, float* out, int64_t n, bool accumulate);
void dropoutMask(uint32_t* state, double p, uint8_t* mask, int64_t n);
double sumSquares(const float* x, int64_t n);

// embedding.cc
void embeddingForward(const int32_t* ids, int64_t n, const float* table, float* out, int64_t C);
void embeddingBackward(const int32_t* ids, int64_t n, const float* gOut, float* gTable, int64_t C);

// softmax.cc
void softmaxForward(const float* x, float* y, int64_t R, int64_t C);
void softmaxBackward(const float* y, const float* gy, float* gx, int64_t R, int64_t C, bool accumulate);
void logSoftmaxForward(const float* x, float* y, int64_t R, int64_t C);
void logSoftmaxBackward(const float* y, const float* gy, float* gx, int64_t R, int64_t C, bool accumulate);
void crossEntropyForward(const float* logits, const int32_t* targets, float* loss, float* lse, int64_t R,
                         int64_t V);
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, const float* w,
                          float* gLogits, int64_t R, int64_t V, bool accumulate);
void crossEntropyFused(float* logits, const float* bias, const int32_t* targets, const float* w, float* loss,
                       int64_t R, int64_t V, float* gBias);
void gatherLogSumExp(const float* table, const int32_t* rows, int64_t n, float* lse, int64_t V);
void gatherSoftmax(const float* table, const int32_t* rows, int64_t n, const float* lse, const float* scale,
                   float* out, int64_t V);

// layernorm.cc
void layerNormForward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                      int64_t R, int64_t C, float eps);
void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* gy,
                       float* gx, float* gGamma, float* gBeta, int64_t R, int64_t C, bool accumulateX);

// gelu.cc
void geluForward(const float* x, float* y, int64_t n);
void geluBackward(const float* x, const float* gy, float* gx, int64_t n, bool accumulate);

// attention.cc
void attentionForward(const float* q, const float* k, const float* v, const float* keyMask, float* att, float* out,
                      int64_t B, int64_t T, int64_t H, int64_t D, float scale);
void attentionBackward(const float* q, const float* k, const float* v, const float* att, const float* gOut,
                       float* gq, float* gk, float* gv, int64_t B, int64_t T, int64_t H, int64_t D, float scale);
void attentionForwardSegments(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t S,
                              float* att, float* out, int64_t H, int64_t D, float scale);
void attentionBackwardSegments(const float* q, const float* k, const float* v, const float* att, const float* gOut,
                               float* gq, float* gk, float* gv, const int64_t* offsets, int64_t S, int64_t H, int64_t D,
                               float scale);

// adamw.cc
void adamwStep(float* p, const float* g, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
               double eps, double weightDecay, double bc1, double bc2);
void adamwStepRows(float* p, float* m, float* v, int64_t R, const int32_t* rows, int64_t n, const float* g,
                   int64_t C, double lr, double beta1, double beta2, double eps, double weightDecay, double bc1,
                   double bc2);

// random.cc
void fillNormal(uint32_t* state, float* out, int64_t n, double mean, double std, double* spare);

// activations.cc
void tanhForward(const float* x, float* y, int64_t n);
void tanhBackward(const float* y, const float* gy, float* gx, int64_t n, bool accumulate);
void reluForward(const float* x, float* y, int64_t n);
void reluBackward(const float* y, const float* gy, float* gx, int64_t n, bool accumulate);

// recurrent.cc
void lstmCellForward(float* gates, const float* cPrev, float* c, float* h, int64_t n, int64_t H);
void lstmCellBackward(const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dGates, int64_t n, int64_t H);
void gruCellForward(float* gx, const float* gh, const float* bhh, const float* hPrev, float* hn, float* h, int64_t n,
                    int64_t H);
void gruCellBackward(const float* gates, const float* hn, const float* hPrev, const float* dh, float* dGx, float* dGh,
                     float* dhPrev, int64_t n, int64_t H);

// conv.cc
void causalConv1dForward(const float* x, const float* w, const float* bias, const int32_t* lengths, float* y,
                         int64_t B, int64_t T, int64_t Cin, int64_t Cout, int64_t K, int64_t dilation);
void causalConv1dBackward(const float* x, const float* w, const int32_t* lengths, const float* gy, float* gx,
                          float* gw, float* gBias, int64_t B, int64_t T, int64_t Cin, int64_t Cout, int64_t K,
                          int64_t dilation, bool accumulateX);

}  // namespace slm
