// The N-API surface: one JS function per kernel, named exactly like its TypeScript twin in
// src/backend/kernels.ts (wrappers in bindings_linalg.cc, bindings_nn.cc and bindings_seq.cc),
// plus info(), the thread-count setter, the peak probes (peak.cc) and the large-buffer allocator (hugealloc.cc). Each wrapper checks argument types and that every array is long enough for the
// dimensions it is given (a short array here would be memory corruption, not a wrong answer), then
// calls the kernel on the typed arrays' data in place (subarray views included: N-API hands back
// the data pointer already offset by byteOffset).
#include <napi.h>

#include <algorithm>
#include <string>

#include "kernels.h"
#include "napi_args.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {
void registerLinalgBindings(Napi::Env env, Napi::Object exports);
void registerNnBindings(Napi::Env env, Napi::Object exports);
void registerSeqBindings(Napi::Env env, Napi::Object exports);
void registerAllocBindings(Napi::Env env, Napi::Object exports);
}  // namespace slm

namespace {

using Napi::CallbackInfo;
using Napi::Value;

#define KERNEL(fnName) Value fnName(const CallbackInfo& info)

// The flags binding.gyp compiles with (kept in step with it by hand).
constexpr const char* kFlags = "-O3 -march=native -fno-math-errno -fopenmp-simd -std=gnu++17";

KERNEL(info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", slm::poolThreads());
  o.Set("maxThreads", slm::poolCapacity());
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
// setThreads(n): kernels use n threads from now on (clamped to [1, the pool's size]); returns the previous count.
KERNEL(setThreads) {
  const double n = slm::args::num(info, 0, "setThreads", "n");
  if (!(n >= 1) || n != double(int64_t(n))) slm::args::fail(info.Env(), "native setThreads: n = " + std::to_string(n) + " is not a positive integer", true);
  return Napi::Number::New(info.Env(), slm::setPoolThreads(int(std::min(n, 4096.0))));
}

// fmaPeak(seconds) → { gflops, threads, vectorBits, chains }
KERNEL(fmaPeak) {
  const double s = slm::args::num(info, 0, "fmaPeak", "seconds");
  const slm::FmaPeak p = slm::fmaPeak(s > 0 ? s : 0);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gflops", p.gflops);
  o.Set("threads", p.threads);
  o.Set("vectorBits", p.vectorBits);
  o.Set("chains", p.chains);
  return o;
}

// memoryBandwidth(bytes, seconds) → { readGBs, triadGBs, bytes, threads }
KERNEL(memoryBandwidth) {
  const int64_t bytes = slm::args::dim(info, 0, "memoryBandwidth", "bytes");
  const double s = slm::args::num(info, 1, "memoryBandwidth", "seconds");
  const slm::Bandwidth b = slm::memoryBandwidth(bytes, s > 0 ? s : 0);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("readGBs", b.readGBs);
  o.Set("triadGBs", b.triadGBs);
  o.Set("bytes", double(b.bytes));
  o.Set("threads", b.threads);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  slm::registerLinalgBindings(env, exports);
  slm::registerNnBindings(env, exports);
  slm::registerSeqBindings(env, exports);
  slm::registerAllocBindings(env, exports);
  exports.Set("info", Napi::Function::New(env, info, "info"));
  exports.Set("setThreads", Napi::Function::New(env, setThreads, "setThreads"));
  exports.Set("fmaPeak", Napi::Function::New(env, fmaPeak, "fmaPeak"));
  exports.Set("memoryBandwidth", Napi::Function::New(env, memoryBandwidth, "memoryBandwidth"));
  return exports;
}

}  // namespace

NODE_API_MODULE(slmkit_native, Init)
