// The N-API surface: one JS function per kernel, named exactly like its TypeScript twin in
// src/backend/kernels.ts, plus info(). Each wrapper checks argument types and that every array
// is long enough for the dimensions it is given (a short array here would be memory corruption,
// not a wrong answer), then calls the kernel on the typed arrays' data in place (subarray views
// included: N-API hands back the data pointer already offset by byteOffset).
#include <napi.h>

#include <string>

#include "kernels.h"
#include "napi_args.h"
#include "simd.h"
#include "threadpool.h"

namespace {

using Napi::CallbackInfo;
using Napi::Value;
using namespace slm::args;

#define KERNEL(fnName) Value fnName(const CallbackInfo& info)

KERNEL(sgemm) {
  const char* k = "sgemm";
  bool tA = flag(info, 0), tB = flag(info, 1);
  int64_t M = dim(info, 2, k, "M"), N = dim(info, 3, k, "N"), K = dim(info, 4, k, "K");
  auto A = f32(info, 5, k, "A"), B = f32(info, 6, k, "B"), C = f32(info, 7, k, "C");
  need(info, A, M * K, k, "A", "M*K");
  need(info, B, K * N, k, "B", "K*N");
  need(info, C, M * N, k, "C", "M*N");
  slm::sgemm(tA, tB, M, N, K, A.p, B.p, C.p, flag(info, 8));
  return info.Env().Undefined();
}

KERNEL(packedBSize) {
  const char* k = "packedBSize";
  int64_t N = dim(info, 0, k, "N"), K = dim(info, 1, k, "K");
  return Napi::Number::New(info.Env(), double(slm::packedBSize(N, K)));
}

KERNEL(packB) {
  const char* k = "packB";
  bool tB = flag(info, 0);
  int64_t N = dim(info, 1, k, "N"), K = dim(info, 2, k, "K");
  auto B = f32(info, 3, k, "B"), Bp = f32(info, 4, k, "Bp");
  need(info, B, K * N, k, "B", "K*N");
  need(info, Bp, slm::packedBSize(N, K), k, "Bp", "packedBSize(N,K)");
  slm::packB(tB, N, K, B.p, Bp.p);
  return info.Env().Undefined();
}

KERNEL(sgemmPackedB) {
  const char* k = "sgemmPackedB";
  bool tA = flag(info, 0);
  int64_t M = dim(info, 1, k, "M"), N = dim(info, 2, k, "N"), K = dim(info, 3, k, "K");
  auto A = f32(info, 4, k, "A"), Bp = f32(info, 5, k, "Bp"), C = f32(info, 6, k, "C");
  need(info, A, M * K, k, "A", "M*K");
  need(info, Bp, slm::packedBSize(N, K), k, "Bp", "packedBSize(N,K)");
  need(info, C, M * N, k, "C", "M*N");
  slm::sgemmPackedB(tA, M, N, K, A.p, Bp.p, C.p, flag(info, 7));
  return info.Env().Undefined();
}

// addBroadcast / mulBroadcast share their signature (x, b, out, R, C).
template <void (*Fn)(const float*, const float*, float*, int64_t, int64_t)>
Value broadcastOp(const CallbackInfo& info, const char* k) {
  auto x = f32(info, 0, k, "x"), b = f32(info, 1, k, "b"), out = f32(info, 2, k, "out");
  int64_t R = dim(info, 3, k, "R"), C = dim(info, 4, k, "C");
  need(info, x, R * C, k, "x", "R*C");
  need(info, b, C, k, "b", "C");
  need(info, out, R * C, k, "out", "R*C");
  Fn(x.p, b.p, out.p, R, C);
  return info.Env().Undefined();
}
KERNEL(addBroadcast) { return broadcastOp<slm::addBroadcast>(info, "addBroadcast"); }
KERNEL(mulBroadcast) { return broadcastOp<slm::mulBroadcast>(info, "mulBroadcast"); }

KERNEL(scaleShift) {
  const char* k = "scaleShift";
  auto x = f32(info, 0, k, "x");
  double s = num(info, 1, k, "s"), t = num(info, 2, k, "t");
  auto out = f32(info, 3, k, "out");
  need(info, out, x.n, k, "out", "x.length");
  slm::scaleShift(x.p, s, t, out.p, x.n);
  return info.Env().Undefined();
}

KERNEL(axpy) {
  const char* k = "axpy";
  double alpha = num(info, 0, k, "alpha");
  auto x = f32(info, 1, k, "x"), out = f32(info, 2, k, "out");
  need(info, out, x.n, k, "out", "x.length");
  slm::axpy(alpha, x.p, out.p, x.n, flag(info, 3));
  return info.Env().Undefined();
}

KERNEL(sumRows) {
  const char* k = "sumRows";
  auto x = f32(info, 0, k, "x"), out = f32(info, 1, k, "out");
  int64_t R = dim(info, 2, k, "R"), C = dim(info, 3, k, "C");
  need(info, x, R * C, k, "x", "R*C");
  need(info, out, C, k, "out", "C");
  slm::sumRows(x.p, out.p, R, C, flag(info, 4));
  return info.Env().Undefined();
}

KERNEL(sumRowsProduct) {
  const char* k = "sumRowsProduct";
  auto x = f32(info, 0, k, "x"), y = f32(info, 1, k, "y"), out = f32(info, 2, k, "out");
  int64_t R = dim(info, 3, k, "R"), C = dim(info, 4, k, "C");
  need(info, x, R * C, k, "x", "R*C");
  need(info, y, R * C, k, "y", "R*C");
  need(info, out, C, k, "out", "C");
  slm::sumRowsProduct(x.p, y.p, out.p, R, C, flag(info, 5));
  return info.Env().Undefined();
}

KERNEL(embeddingForward) {
  const char* k = "embeddingForward";
  auto ids = i32(info, 0, k, "ids");
  auto table = f32(info, 1, k, "table"), out = f32(info, 2, k, "out");
  int64_t C = dim(info, 3, k, "C");
  need(info, out, ids.n * C, k, "out", "ids.length*C");
  if (C > 0) checkIds(info, ids.p, ids.n, table.n / C, false, k, "ids");
  slm::embeddingForward(ids.p, ids.n, table.p, out.p, C);
  return info.Env().Undefined();
}

KERNEL(embeddingBackward) {
  const char* k = "embeddingBackward";
  auto ids = i32(info, 0, k, "ids");
  auto gOut = f32(info, 1, k, "gOut"), gTable = f32(info, 2, k, "gTable");
  int64_t C = dim(info, 3, k, "C");
  need(info, gOut, ids.n * C, k, "gOut", "ids.length*C");
  if (C > 0) checkIds(info, ids.p, ids.n, gTable.n / C, false, k, "ids");
  slm::embeddingBackward(ids.p, ids.n, gOut.p, gTable.p, C);
  return info.Env().Undefined();
}

KERNEL(dropoutApply) {
  const char* k = "dropoutApply";
  auto x = f32(info, 0, k, "x");
  auto mask = u8(info, 1, k, "mask");
  double scale = num(info, 2, k, "scale");
  auto out = f32(info, 3, k, "out");
  need(info, mask, x.n, k, "mask", "x.length");
  need(info, out, x.n, k, "out", "x.length");
  slm::dropoutApply(x.p, mask.p, scale, out.p, x.n, flag(info, 4));
  return info.Env().Undefined();
}

KERNEL(dropoutMask) {
  const char* k = "dropoutMask";
  auto state = i32(info, 0, k, "state");
  double p = num(info, 1, k, "p");
  auto mask = u8(info, 2, k, "mask");
  need(info, state, 4, k, "state", "4");
  if (!(p >= 0.0 && p <= 1.0))
    fail(info.Env(), std::string("native dropoutMask: p = ") + std::to_string(p) + " is not in [0, 1]", true);
  slm::dropoutMask(reinterpret_cast<uint32_t*>(state.p), p, mask.p, mask.n);
  return info.Env().Undefined();
}

// softmaxForward / logSoftmaxForward: (x, y, R, C)
template <void (*Fn)(const float*, float*, int64_t, int64_t)>
Value rowForward(const CallbackInfo& info, const char* k) {
  auto x = f32(info, 0, k, "x"), y = f32(info, 1, k, "y");
  int64_t R = dim(info, 2, k, "R"), C = dim(info, 3, k, "C");
  need(info, x, R * C, k, "x", "R*C");
  need(info, y, R * C, k, "y", "R*C");
  Fn(x.p, y.p, R, C);
  return info.Env().Undefined();
}
// softmaxBackward / logSoftmaxBackward: (y, gy, gx, R, C, accumulate)
template <void (*Fn)(const float*, const float*, float*, int64_t, int64_t, bool)>
Value rowBackward(const CallbackInfo& info, const char* k) {
  auto y = f32(info, 0, k, "y"), gy = f32(info, 1, k, "gy"), gx = f32(info, 2, k, "gx");
  int64_t R = dim(info, 3, k, "R"), C = dim(info, 4, k, "C");
  need(info, y, R * C, k, "y", "R*C");
  need(info, gy, R * C, k, "gy", "R*C");
  need(info, gx, R * C, k, "gx", "R*C");
  Fn(y.p, gy.p, gx.p, R, C, flag(info, 5));
  return info.Env().Undefined();
}
KERNEL(softmaxForward) { return rowForward<slm::softmaxForward>(info, "softmaxForward"); }
KERNEL(logSoftmaxForward) { return rowForward<slm::logSoftmaxForward>(info, "logSoftmaxForward"); }
KERNEL(softmaxBackward) { return rowBackward<slm::softmaxBackward>(info, "softmaxBackward"); }
KERNEL(logSoftmaxBackward) { return rowBackward<slm::logSoftmaxBackward>(info, "logSoftmaxBackward"); }

KERNEL(crossEntropyForward) {
  const char* k = "crossEntropyForward";
  auto logits = f32(info, 0, k, "logits");
  auto targets = i32(info, 1, k, "targets");
  auto loss = f32(info, 2, k, "loss"), lse = f32(info, 3, k, "lse");
  int64_t R = dim(info, 4, k, "R"), V = dim(info, 5, k, "V");
  need(info, logits, R * V, k, "logits", "R*V");
  need(info, targets, R, k, "targets", "R");
  need(info, loss, R, k, "loss", "R");
  need(info, lse, R, k, "lse", "R");
  checkIds(info, targets.p, R, V, true, k, "targets");
  slm::crossEntropyForward(logits.p, targets.p, loss.p, lse.p, R, V);
  return info.Env().Undefined();
}

KERNEL(crossEntropyBackward) {
  const char* k = "crossEntropyBackward";
  auto logits = f32(info, 0, k, "logits");
  auto targets = i32(info, 1, k, "targets");
  auto lse = f32(info, 2, k, "lse"), w = f32(info, 3, k, "w"), g = f32(info, 4, k, "gLogits");
  int64_t R = dim(info, 5, k, "R"), V = dim(info, 6, k, "V");
  need(info, logits, R * V, k, "logits", "R*V");
  need(info, targets, R, k, "targets", "R");
  need(info, lse, R, k, "lse", "R");
  need(info, w, R, k, "w", "R");
  need(info, g, R * V, k, "gLogits", "R*V");
  checkIds(info, targets.p, R, V, true, k, "targets");
  slm::crossEntropyBackward(logits.p, targets.p, lse.p, w.p, g.p, R, V, flag(info, 7));
  return info.Env().Undefined();
}

KERNEL(crossEntropyFused) {
  const char* k = "crossEntropyFused";
  auto logits = f32(info, 0, k, "logits");
  auto b = f32(info, 1, k, "bias", true);
  auto targets = i32(info, 2, k, "targets");
  auto w = f32(info, 3, k, "w"), loss = f32(info, 4, k, "loss");
  int64_t R = dim(info, 5, k, "R"), V = dim(info, 6, k, "V");
  need(info, logits, R * V, k, "logits", "R*V");
  if (b.p) need(info, b, V, k, "bias", "V");
  need(info, targets, R, k, "targets", "R");
  need(info, w, R, k, "w", "R");
  need(info, loss, R, k, "loss", "R");
  checkIds(info, targets.p, R, V, true, k, "targets");
  slm::crossEntropyFused(logits.p, b.p, targets.p, w.p, loss.p, R, V);
  return info.Env().Undefined();
}

KERNEL(gatherLogSumExp) {
  const char* k = "gatherLogSumExp";
  auto table = f32(info, 0, k, "table");
  auto rows = i32(info, 1, k, "rows");
  auto lse = f32(info, 2, k, "lse");
  int64_t V = dim(info, 3, k, "V");
  need(info, lse, rows.n, k, "lse", "rows.length");
  if (V > 0) checkIds(info, rows.p, rows.n, table.n / V, false, k, "rows");
  slm::gatherLogSumExp(table.p, rows.p, rows.n, lse.p, V);
  return info.Env().Undefined();
}

KERNEL(gatherSoftmax) {
  const char* k = "gatherSoftmax";
  auto table = f32(info, 0, k, "table");
  auto rows = i32(info, 1, k, "rows");
  auto lse = f32(info, 2, k, "lse"), scale = f32(info, 3, k, "scale"), out = f32(info, 4, k, "out");
  int64_t V = dim(info, 5, k, "V");
  need(info, lse, rows.n, k, "lse", "rows.length");
  need(info, scale, rows.n, k, "scale", "rows.length");
  need(info, out, rows.n * V, k, "out", "rows.length*V");
  if (V > 0) checkIds(info, rows.p, rows.n, table.n / V, false, k, "rows");
  slm::gatherSoftmax(table.p, rows.p, rows.n, lse.p, scale.p, out.p, V);
  return info.Env().Undefined();
}

KERNEL(layerNormForward) {
  const char* k = "layerNormForward";
  auto x = f32(info, 0, k, "x"), gamma = f32(info, 1, k, "gamma"), beta = f32(info, 2, k, "beta");
  auto y = f32(info, 3, k, "y"), mean = f32(info, 4, k, "mean"), rstd = f32(info, 5, k, "rstd");
  int64_t R = dim(info, 6, k, "R"), C = dim(info, 7, k, "C");
  double eps = num(info, 8, k, "eps");
  need(info, x, R * C, k, "x", "R*C");
  need(info, y, R * C, k, "y", "R*C");
  need(info, gamma, C, k, "gamma", "C");
  need(info, beta, C, k, "beta", "C");
  need(info, mean, R, k, "mean", "R");
  need(info, rstd, R, k, "rstd", "R");
  slm::layerNormForward(x.p, gamma.p, beta.p, y.p, mean.p, rstd.p, R, C, float(eps));
  return info.Env().Undefined();
}

KERNEL(layerNormBackward) {
  const char* k = "layerNormBackward";
  auto x = f32(info, 0, k, "x"), gamma = f32(info, 1, k, "gamma");
  auto mean = f32(info, 2, k, "mean"), rstd = f32(info, 3, k, "rstd"), gy = f32(info, 4, k, "gy");
  auto gx = f32(info, 5, k, "gx", true), gGamma = f32(info, 6, k, "gGamma", true);
  auto gBeta = f32(info, 7, k, "gBeta", true);
  int64_t R = dim(info, 8, k, "R"), C = dim(info, 9, k, "C");
  need(info, x, R * C, k, "x", "R*C");
  need(info, gy, R * C, k, "gy", "R*C");
  need(info, gamma, C, k, "gamma", "C");
  need(info, mean, R, k, "mean", "R");
  need(info, rstd, R, k, "rstd", "R");
  if (gx.p) need(info, gx, R * C, k, "gx", "R*C");
  if (gGamma.p) need(info, gGamma, C, k, "gGamma", "C");
  if (gBeta.p) need(info, gBeta, C, k, "gBeta", "C");
  slm::layerNormBackward(x.p, gamma.p, mean.p, rstd.p, gy.p, gx.p, gGamma.p, gBeta.p, R, C, flag(info, 10));
  return info.Env().Undefined();
}

KERNEL(geluForward) {
  const char* k = "geluForward";
  auto x = f32(info, 0, k, "x"), y = f32(info, 1, k, "y");
  need(info, y, x.n, k, "y", "x.length");
  slm::geluForward(x.p, y.p, x.n);
  return info.Env().Undefined();
}

KERNEL(geluBackward) {
  const char* k = "geluBackward";
  auto x = f32(info, 0, k, "x"), gy = f32(info, 1, k, "gy"), gx = f32(info, 2, k, "gx");
  need(info, gy, x.n, k, "gy", "x.length");
  need(info, gx, x.n, k, "gx", "x.length");
  slm::geluBackward(x.p, gy.p, gx.p, x.n, flag(info, 3));
  return info.Env().Undefined();
}

KERNEL(attentionForward) {
  const char* k = "attentionForward";
  auto q = f32(info, 0, k, "q"), kk = f32(info, 1, k, "k"), v = f32(info, 2, k, "v");
  auto mask = f32(info, 3, k, "keyMask", true);
  auto att = f32(info, 4, k, "att"), out = f32(info, 5, k, "out");
  int64_t B = dim(info, 6, k, "B"), T = dim(info, 7, k, "T"), H = dim(info, 8, k, "H"), D = dim(info, 9, k, "D");
  double scale = num(info, 10, k, "scale");
  const int64_t n = B * T * H * D;
  need(info, q, n, k, "q", "B*T*H*D");
  need(info, kk, n, k, "k", "B*T*H*D");
  need(info, v, n, k, "v", "B*T*H*D");
  need(info, out, n, k, "out", "B*T*H*D");
  need(info, att, B * H * T * T, k, "att", "B*H*T*T");
  const bool hasMask = !(info[3].IsNull() || info[3].IsUndefined());
  if (hasMask) need(info, mask, B * T, k, "keyMask", "B*T");
  slm::attentionForward(q.p, kk.p, v.p, hasMask ? mask.p : nullptr, att.p, out.p, B, T, H, D, float(scale));
  return info.Env().Undefined();
}

KERNEL(attentionBackward) {
  const char* k = "attentionBackward";
  auto q = f32(info, 0, k, "q"), kk = f32(info, 1, k, "k"), v = f32(info, 2, k, "v");
  auto att = f32(info, 3, k, "att"), gOut = f32(info, 4, k, "gOut");
  auto gq = f32(info, 5, k, "gq"), gk = f32(info, 6, k, "gk"), gv = f32(info, 7, k, "gv");
  int64_t B = dim(info, 8, k, "B"), T = dim(info, 9, k, "T"), H = dim(info, 10, k, "H"), D = dim(info, 11, k, "D");
  double scale = num(info, 12, k, "scale");
  const int64_t n = B * T * H * D;
  need(info, q, n, k, "q", "B*T*H*D");
  need(info, kk, n, k, "k", "B*T*H*D");
  need(info, v, n, k, "v", "B*T*H*D");
  need(info, gOut, n, k, "gOut", "B*T*H*D");
  need(info, gq, n, k, "gq", "B*T*H*D");
  need(info, gk, n, k, "gk", "B*T*H*D");
  need(info, gv, n, k, "gv", "B*T*H*D");
  need(info, att, B * H * T * T, k, "att", "B*H*T*T");
  slm::attentionBackward(q.p, kk.p, v.p, att.p, gOut.p, gq.p, gk.p, gv.p, B, T, H, D, float(scale));
  return info.Env().Undefined();
}

KERNEL(adamwStep) {
  const char* k = "adamwStep";
  auto p = f32(info, 0, k, "p"), g = f32(info, 1, k, "g"), m = f32(info, 2, k, "m"), v = f32(info, 3, k, "v");
  need(info, g, p.n, k, "g", "p.length");
  need(info, m, p.n, k, "m", "p.length");
  need(info, v, p.n, k, "v", "p.length");
  slm::adamwStep(p.p, g.p, m.p, v.p, p.n, num(info, 4, k, "lr"), num(info, 5, k, "beta1"), num(info, 6, k, "beta2"),
                 num(info, 7, k, "eps"), num(info, 8, k, "weightDecay"), num(info, 9, k, "bc1"),
                 num(info, 10, k, "bc2"));
  return info.Env().Undefined();
}

KERNEL(adamwStepRows) {
  const char* k = "adamwStepRows";
  auto p = f32(info, 0, k, "p"), m = f32(info, 1, k, "m"), v = f32(info, 2, k, "v");
  auto rows = i32(info, 3, k, "rows");
  auto g = f32(info, 4, k, "g");
  int64_t C = dim(info, 5, k, "C");
  const int64_t R = C > 0 ? p.n / C : 0;
  need(info, m, p.n, k, "m", "p.length");
  need(info, v, p.n, k, "v", "p.length");
  need(info, g, rows.n * C, k, "g", "rows.length*C");
  for (int64_t i = 0; i < rows.n; i++) {
    if (rows.p[i] < 0 || rows.p[i] >= R || (i > 0 && rows.p[i] <= rows.p[i - 1]))
      fail(info.Env(), std::string("native adamwStepRows: rows[") + std::to_string(i) + "] = " +
                           std::to_string(rows.p[i]) + " is out of [0, " + std::to_string(R) +
                           ") or not after the previous row (rows must be sorted and distinct)", true);
  }
  slm::adamwStepRows(p.p, m.p, v.p, R, rows.p, rows.n, g.p, C, num(info, 6, k, "lr"), num(info, 7, k, "beta1"),
                     num(info, 8, k, "beta2"), num(info, 9, k, "eps"), num(info, 10, k, "weightDecay"),
                     num(info, 11, k, "bc1"), num(info, 12, k, "bc2"));
  return info.Env().Undefined();
}

KERNEL(sumSquares) {
  auto x = f32(info, 0, "sumSquares", "x");
  return Napi::Number::New(info.Env(), slm::sumSquares(x.p, x.n));
}

KERNEL(fillNormal) {
  const char* k = "fillNormal";
  auto state = i32(info, 0, k, "state");
  auto out = f32(info, 1, k, "out");
  double mean = num(info, 2, k, "mean"), std = num(info, 3, k, "std");
  auto spare = arr<double>(info, 4, k, "spare", napi_float64_array, "Float64Array");
  need(info, state, 4, k, "state", "4");
  need(info, spare, 1, k, "spare", "1");
  slm::fillNormal(reinterpret_cast<uint32_t*>(state.p), out.p, out.n, mean, std, spare.p);
  return info.Env().Undefined();
}

// Not a kernel: lets tests shrink sgemm's scratch so small products exercise its chunked paths.
KERNEL(setSgemmScratchLimit) {
  return Napi::Number::New(info.Env(), double(slm::setSgemmScratchLimit(dim(info, 0, "setSgemmScratchLimit", "floats"))));
}

// The flags binding.gyp compiles with (kept in step with it by hand).
constexpr const char* kFlags = "-O3 -march=native -fno-math-errno -fopenmp-simd -std=gnu++17";

KERNEL(info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", slm::poolThreads());
  o.Set("vectorBits", slm::kVecBits);
  o.Set("vectorWidth", slm::kVecBits == 512 ? "avx512" : slm::kVecBits == 256 ? "avx2" : "scalar");
#if defined(__clang__)
  o.Set("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  o.Set("compiler", std::string("g++ ") + __VERSION__);
#else
  o.Set("compiler", "unknown");
#endif
  o.Set("flags", kFlags);
  o.Set("sgemm", slm::sgemmConfig());
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define EXPORT(fnName) exports.Set(#fnName, Napi::Function::New(env, fnName, #fnName))
  EXPORT(sgemm);
  EXPORT(packedBSize);
  EXPORT(packB);
  EXPORT(sgemmPackedB);
  EXPORT(addBroadcast);
  EXPORT(mulBroadcast);
  EXPORT(scaleShift);
  EXPORT(axpy);
  EXPORT(sumRows);
  EXPORT(sumRowsProduct);
  EXPORT(embeddingForward);
  EXPORT(embeddingBackward);
  EXPORT(dropoutApply);
  EXPORT(dropoutMask);
  EXPORT(softmaxForward);
  EXPORT(softmaxBackward);
  EXPORT(logSoftmaxForward);
  EXPORT(logSoftmaxBackward);
  EXPORT(crossEntropyForward);
  EXPORT(crossEntropyBackward);
  EXPORT(crossEntropyFused);
  EXPORT(gatherLogSumExp);
  EXPORT(gatherSoftmax);
  EXPORT(layerNormForward);
  EXPORT(layerNormBackward);
  EXPORT(geluForward);
  EXPORT(geluBackward);
  EXPORT(attentionForward);
  EXPORT(attentionBackward);
  EXPORT(adamwStep);
  EXPORT(adamwStepRows);
  EXPORT(sumSquares);
  EXPORT(fillNormal);
  EXPORT(info);
  EXPORT(setSgemmScratchLimit);
#undef EXPORT
  return exports;
}

}  // namespace

NODE_API_MODULE(slmkit_native, Init)
