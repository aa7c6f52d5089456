// N-API wrappers for the linear-algebra and loss kernels (sgemm and its packed form, broadcasts,
// reductions, embeddings, softmax, cross-entropy, gathered table rows). Each checks argument types
// and array lengths (see napi_args.h) before calling the kernel in place; addon.cc registers them.
#include <napi.h>

#include "kernels.h"
#include "napi_args.h"

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
  auto gb = f32(info, 7, k, "gBias", true);
  if (gb.p) need(info, gb, V, k, "gBias", "V");
  checkIds(info, targets.p, R, V, true, k, "targets");
  slm::crossEntropyFused(logits.p, b.p, targets.p, w.p, loss.p, R, V, gb.p);
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

// Not a kernel: lets tests shrink sgemm's scratch so small products exercise its chunked paths.
KERNEL(setSgemmScratchLimit) {
  return Napi::Number::New(info.Env(), double(slm::setSgemmScratchLimit(dim(info, 0, "setSgemmScratchLimit", "floats"))));
}

}  // namespace

namespace slm {

void registerLinalgBindings(Napi::Env env, Napi::Object exports) {
#define EXPORT(fnName) exports.Set(#fnName, Napi::Function::New(env, ::fnName, #fnName))  // the wrapper, not slm::fnName
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
  EXPORT(softmaxForward);
  EXPORT(logSoftmaxForward);
  EXPORT(softmaxBackward);
  EXPORT(logSoftmaxBackward);
  EXPORT(crossEntropyForward);
  EXPORT(crossEntropyBackward);
  EXPORT(crossEntropyFused);
  EXPORT(gatherLogSumExp);
  EXPORT(gatherSoftmax);
  EXPORT(setSgemmScratchLimit);
#undef EXPORT
}

}  // namespace slm
