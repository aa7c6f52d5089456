// The N-API surface: one JS function per kernel, named exactly like its TypeScript twin in
// src/backend/kernels.ts (wrappers in bindings_linalg.cc, bindings_nn.cc and bindings_seq.cc),
// plus info(). Each wrapper checks argument types and that every array is long enough for the
// dimensions it is given (a short array here would be memory corruption, not a wrong answer), then
// calls the kernel on the typed arrays' data in place (subarray views included: N-API hands back
// the data pointer already offset by byteOffset).
#include <napi.h>

#include <string>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {
void registerLinalgBindings(Napi::Env env, Napi::Object exports);
void registerNnBindings(Napi::Env env, Napi::Object exports);
void registerSeqBindings(Napi::Env env, Napi::Object exports);
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
  slm::registerLinalgBindings(env, exports);
  slm::registerNnBindings(env, exports);
  slm::registerSeqBindings(env, exports);
  exports.Set("info", Napi::Function::New(env, info, "info"));
  return exports;
}

}  // namespace

NODE_API_MODULE(slmkit_native, Init)
