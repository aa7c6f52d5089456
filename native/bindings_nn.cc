// N-API wrappers for the network, optimizer and random kernels (dropout, layer norm, GELU,
// attention, AdamW, sum of squares, normal draws). Each checks argument types and array lengths
// (see napi_args.h) before calling the kernel in place; addon.cc registers them.
#include <vector>
#include <napi.h>

#include "kernels.h"
#include "napi_args.h"

namespace {

using Napi::CallbackInfo;
using Napi::Value;
using namespace slm::args;

#define KERNEL(fnName) Value fnName(const CallbackInfo& info)

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

// Checks a segment offsets array (S+1 int32, from 0, never decreasing) and returns it widened,
// with the rows N it ends at and the floats its attention blocks take (H * sum L^2).
std::vector<int64_t> segmentOffsets(const CallbackInfo& info, size_t i, const char* k, int64_t H, int64_t* N, int64_t* attSize) {
  auto o = i32(info, i, k, "offsets");
  if (o.n < 1) fail(info.Env(), std::string("native ") + k + ": offsets must hold at least one entry");
  std::vector<int64_t> w(size_t(o.n));
  int64_t at = 0;
  for (int64_t s = 0; s < o.n; s++) {
    w[size_t(s)] = o.p[s];
    if ((s == 0 && o.p[0] != 0) || (s > 0 && o.p[s] < o.p[s - 1]))
      fail(info.Env(), std::string("native ") + k + ": offsets must start at 0 and never decrease");
    if (s > 0) {
      const int64_t L = int64_t(o.p[s]) - o.p[s - 1];
      at += H * L * L;
    }
  }
  *N = w.back();
  *attSize = at;
  return w;
}

KERNEL(attentionForwardSegments) {
  const char* k = "attentionForwardSegments";
  auto q = f32(info, 0, k, "q"), kk = f32(info, 1, k, "k"), v = f32(info, 2, k, "v");
  auto att = f32(info, 4, k, "att"), out = f32(info, 5, k, "out");
  int64_t H = dim(info, 6, k, "H"), D = dim(info, 7, k, "D");
  double scale = num(info, 8, k, "scale");
  int64_t N = 0, attSize = 0;
  auto off = segmentOffsets(info, 3, k, H, &N, &attSize);
  const int64_t n = N * H * D;
  need(info, q, n, k, "q", "N*H*D");
  need(info, kk, n, k, "k", "N*H*D");
  need(info, v, n, k, "v", "N*H*D");
  need(info, out, n, k, "out", "N*H*D");
  need(info, att, attSize, k, "att", "H*sum(L^2)");
  slm::attentionForwardSegments(q.p, kk.p, v.p, off.data(), int64_t(off.size()) - 1, att.p, out.p, H, D, float(scale));
  return info.Env().Undefined();
}

KERNEL(attentionBackwardSegments) {
  const char* k = "attentionBackwardSegments";
  auto q = f32(info, 0, k, "q"), kk = f32(info, 1, k, "k"), v = f32(info, 2, k, "v");
  auto att = f32(info, 3, k, "att"), gOut = f32(info, 4, k, "gOut");
  auto gq = f32(info, 5, k, "gq"), gk = f32(info, 6, k, "gk"), gv = f32(info, 7, k, "gv");
  int64_t H = dim(info, 9, k, "H"), D = dim(info, 10, k, "D");
  double scale = num(info, 11, k, "scale");
  int64_t N = 0, attSize = 0;
  auto off = segmentOffsets(info, 8, k, H, &N, &attSize);
  const int64_t n = N * H * D;
  need(info, q, n, k, "q", "N*H*D");
  need(info, kk, n, k, "k", "N*H*D");
  need(info, v, n, k, "v", "N*H*D");
  need(info, gOut, n, k, "gOut", "N*H*D");
  need(info, gq, n, k, "gq", "N*H*D");
  need(info, gk, n, k, "gk", "N*H*D");
  need(info, gv, n, k, "gv", "N*H*D");
  need(info, att, attSize, k, "att", "H*sum(L^2)");
  slm::attentionBackwardSegments(q.p, kk.p, v.p, att.p, gOut.p, gq.p, gk.p, gv.p, off.data(), int64_t(off.size()) - 1, H, D,
                                 float(scale));
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

}  // namespace

namespace slm {

void registerNnBindings(Napi::Env env, Napi::Object exports) {
#define EXPORT(fnName) exports.Set(#fnName, Napi::Function::New(env, ::fnName, #fnName))  // the wrapper, not slm::fnName
  EXPORT(dropoutApply);
  EXPORT(dropoutMask);
  EXPORT(layerNormForward);
  EXPORT(layerNormBackward);
  EXPORT(geluForward);
  EXPORT(geluBackward);
  EXPORT(attentionForward);
  EXPORT(attentionBackward);
  EXPORT(attentionForwardSegments);
  EXPORT(attentionBackwardSegments);
  EXPORT(adamwStep);
  EXPORT(adamwStepRows);
  EXPORT(sumSquares);
  EXPORT(fillNormal);
#undef EXPORT
}

}  // namespace slm
