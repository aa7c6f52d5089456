// N-API wrappers for the sequence models' kernels (tanh, ReLU, the LSTM and GRU cells, the causal
// convolution). Each checks argument types and array lengths (see napi_args.h), and the
// convolution's lengths, before calling the kernel in place; addon.cc registers them.
#include <napi.h>

#include <string>

#include "kernels.h"
#include "napi_args.h"

namespace {

using Napi::CallbackInfo;
using Napi::Value;
using namespace slm::args;

#define KERNEL(fnName) Value fnName(const CallbackInfo& info)

// tanhForward / reluForward: (x, y).
template <void (*Fn)(const float*, float*, int64_t)>
Value unaryForward(const CallbackInfo& info, const char* k) {
  auto x = f32(info, 0, k, "x"), y = f32(info, 1, k, "y");
  need(info, y, x.n, k, "y", "x.length");
  Fn(x.p, y.p, x.n);
  return info.Env().Undefined();
}

// tanhBackward / reluBackward: (y, gy, gx, accumulate).
template <void (*Fn)(const float*, const float*, float*, int64_t, bool)>
Value unaryBackward(const CallbackInfo& info, const char* k) {
  auto y = f32(info, 0, k, "y"), gy = f32(info, 1, k, "gy"), gx = f32(info, 2, k, "gx");
  need(info, gy, y.n, k, "gy", "y.length");
  need(info, gx, y.n, k, "gx", "y.length");
  Fn(y.p, gy.p, gx.p, y.n, flag(info, 3));
  return info.Env().Undefined();
}

KERNEL(tanhForward) { return unaryForward<slm::tanhForward>(info, "tanhForward"); }
KERNEL(tanhBackward) { return unaryBackward<slm::tanhBackward>(info, "tanhBackward"); }
KERNEL(reluForward) { return unaryForward<slm::reluForward>(info, "reluForward"); }
KERNEL(reluBackward) { return unaryBackward<slm::reluBackward>(info, "reluBackward"); }

KERNEL(lstmCellForward) {
  const char* k = "lstmCellForward";
  auto gates = f32(info, 0, k, "gates"), cPrev = f32(info, 1, k, "cPrev", true);
  auto c = f32(info, 2, k, "c"), h = f32(info, 3, k, "h");
  int64_t n = dim(info, 4, k, "n"), H = dim(info, 5, k, "H");
  need(info, gates, n * 4 * H, k, "gates", "n*4*H");
  if (cPrev.p) need(info, cPrev, n * H, k, "cPrev", "n*H");
  need(info, c, n * H, k, "c", "n*H");
  need(info, h, n * H, k, "h", "n*H");
  slm::lstmCellForward(gates.p, cPrev.p, c.p, h.p, n, H);
  return info.Env().Undefined();
}

KERNEL(lstmCellBackward) {
  const char* k = "lstmCellBackward";
  auto gates = f32(info, 0, k, "gates"), cPrev = f32(info, 1, k, "cPrev", true), c = f32(info, 2, k, "c");
  auto dh = f32(info, 3, k, "dh"), dc = f32(info, 4, k, "dc"), dGates = f32(info, 5, k, "dGates");
  int64_t n = dim(info, 6, k, "n"), H = dim(info, 7, k, "H");
  need(info, gates, n * 4 * H, k, "gates", "n*4*H");
  if (cPrev.p) need(info, cPrev, n * H, k, "cPrev", "n*H");
  need(info, c, n * H, k, "c", "n*H");
  need(info, dh, n * H, k, "dh", "n*H");
  need(info, dc, n * H, k, "dc", "n*H");
  need(info, dGates, n * 4 * H, k, "dGates", "n*4*H");
  slm::lstmCellBackward(gates.p, cPrev.p, c.p, dh.p, dc.p, dGates.p, n, H);
  return info.Env().Undefined();
}

KERNEL(gruCellForward) {
  const char* k = "gruCellForward";
  auto gx = f32(info, 0, k, "gx"), gh = f32(info, 1, k, "gh", true), bhh = f32(info, 2, k, "bhh");
  auto hPrev = f32(info, 3, k, "hPrev", true), hn = f32(info, 4, k, "hn"), h = f32(info, 5, k, "h");
  int64_t n = dim(info, 6, k, "n"), H = dim(info, 7, k, "H");
  need(info, gx, n * 3 * H, k, "gx", "n*3*H");
  if (gh.p) need(info, gh, n * 3 * H, k, "gh", "n*3*H");
  need(info, bhh, 3 * H, k, "bhh", "3*H");
  if (hPrev.p) need(info, hPrev, n * H, k, "hPrev", "n*H");
  need(info, hn, n * H, k, "hn", "n*H");
  need(info, h, n * H, k, "h", "n*H");
  slm::gruCellForward(gx.p, gh.p, bhh.p, hPrev.p, hn.p, h.p, n, H);
  return info.Env().Undefined();
}

KERNEL(gruCellBackward) {
  const char* k = "gruCellBackward";
  auto gates = f32(info, 0, k, "gates"), hn = f32(info, 1, k, "hn"), hPrev = f32(info, 2, k, "hPrev", true);
  auto dh = f32(info, 3, k, "dh"), dGx = f32(info, 4, k, "dGx"), dGh = f32(info, 5, k, "dGh");
  auto dhPrev = f32(info, 6, k, "dhPrev", true);
  int64_t n = dim(info, 7, k, "n"), H = dim(info, 8, k, "H");
  need(info, gates, n * 3 * H, k, "gates", "n*3*H");
  need(info, hn, n * H, k, "hn", "n*H");
  if (hPrev.p) need(info, hPrev, n * H, k, "hPrev", "n*H");
  need(info, dh, n * H, k, "dh", "n*H");
  need(info, dGx, n * 3 * H, k, "dGx", "n*3*H");
  need(info, dGh, n * 3 * H, k, "dGh", "n*3*H");
  if (dhPrev.p) need(info, dhPrev, n * H, k, "dhPrev", "n*H");
  slm::gruCellBackward(gates.p, hn.p, hPrev.p, dh.p, dGx.p, dGh.p, dhPrev.p, n, H);
  return info.Env().Undefined();
}

// The lengths of a convolution (nullable; each in [0, T]).
View<int32_t> convLengths(const CallbackInfo& info, size_t i, const char* k, int64_t B, int64_t T) {
  auto lengths = arr<int32_t>(info, i, k, "lengths", napi_int32_array, "Int32Array", true);
  if (!lengths.p) return lengths;
  need(info, lengths, B, k, "lengths", "B");
  for (int64_t b = 0; b < B; b++) {
    if (lengths.p[b] < 0 || lengths.p[b] > T)
      fail(info.Env(), std::string("native ") + k + ": lengths[" + std::to_string(b) + "] = " +
                           std::to_string(lengths.p[b]) + " is outside [0, " + std::to_string(T) + "]", true);
  }
  return lengths;
}

KERNEL(causalConv1dForward) {
  const char* k = "causalConv1dForward";
  auto x = f32(info, 0, k, "x"), w = f32(info, 1, k, "w"), bias = f32(info, 2, k, "bias", true);
  auto y = f32(info, 4, k, "y");
  int64_t B = dim(info, 5, k, "B"), T = dim(info, 6, k, "T"), Cin = dim(info, 7, k, "Cin"), Cout = dim(info, 8, k, "Cout");
  int64_t K = dim(info, 9, k, "K"), d = dim(info, 10, k, "dilation");
  auto lengths = convLengths(info, 3, k, B, T);
  need(info, x, B * T * Cin, k, "x", "B*T*Cin");
  need(info, w, Cout * Cin * K, k, "w", "Cout*Cin*K");
  if (bias.p) need(info, bias, Cout, k, "bias", "Cout");
  need(info, y, B * T * Cout, k, "y", "B*T*Cout");
  slm::causalConv1dForward(x.p, w.p, bias.p, lengths.p, y.p, B, T, Cin, Cout, K, d);
  return info.Env().Undefined();
}

KERNEL(causalConv1dBackward) {
  const char* k = "causalConv1dBackward";
  auto x = f32(info, 0, k, "x"), w = f32(info, 1, k, "w"), gy = f32(info, 3, k, "gy");
  auto gx = f32(info, 4, k, "gx", true), gw = f32(info, 5, k, "gw", true), gBias = f32(info, 6, k, "gBias", true);
  int64_t B = dim(info, 7, k, "B"), T = dim(info, 8, k, "T"), Cin = dim(info, 9, k, "Cin"), Cout = dim(info, 10, k, "Cout");
  int64_t K = dim(info, 11, k, "K"), d = dim(info, 12, k, "dilation");
  auto lengths = convLengths(info, 2, k, B, T);
  need(info, x, B * T * Cin, k, "x", "B*T*Cin");
  need(info, w, Cout * Cin * K, k, "w", "Cout*Cin*K");
  need(info, gy, B * T * Cout, k, "gy", "B*T*Cout");
  if (gx.p) need(info, gx, B * T * Cin, k, "gx", "B*T*Cin");
  if (gw.p) need(info, gw, Cout * Cin * K, k, "gw", "Cout*Cin*K");
  if (gBias.p) need(info, gBias, Cout, k, "gBias", "Cout");
  slm::causalConv1dBackward(x.p, w.p, lengths.p, gy.p, gx.p, gw.p, gBias.p, B, T, Cin, Cout, K, d, flag(info, 13));
  return info.Env().Undefined();
}

}  // namespace

namespace slm {

void registerSeqBindings(Napi::Env env, Napi::Object exports) {
#define EXPORT(fnName) exports.Set(#fnName, Napi::Function::New(env, ::fnName, #fnName))  // the wrapper, not slm::fnName
  EXPORT(tanhForward);
  EXPORT(tanhBackward);
  EXPORT(reluForward);
  EXPORT(reluBackward);
  EXPORT(lstmCellForward);
  EXPORT(lstmCellBackward);
  EXPORT(gruCellForward);
  EXPORT(gruCellBackward);
  EXPORT(causalConv1dForward);
  EXPORT(causalConv1dBackward);
#undef EXPORT
}

}  // namespace slm
