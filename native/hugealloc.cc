// Large zeroed buffers for tensors, backed by their own anonymous mapping advised for transparent
// huge pages (MADV_HUGEPAGE): what GLIBC_TUNABLES=glibc.malloc.hugetlb=1 does for malloc, without
// the user setting anything. On a kernel whose THP mode is "madvise" (the usual default), first
// touching a 2 MiB page costs one fault instead of 512; the memory comes zeroed from the kernel,
// so no memset. The ArrayBuffer owns the mapping: its finalizer unmaps it, and V8 is told about
// the external memory so that garbage collection keeps pace with it.
#include <napi.h>

#include <cstdint>
#include <string>

#if defined(__linux__) || defined(__APPLE__)
#include <sys/mman.h>
#define SLM_HAVE_MMAP 1
#endif

#include "napi_args.h"

namespace slm {
namespace {

constexpr size_t kHuge = size_t(2) << 20;  // the x86-64 and arm64 (4K base) huge page size

#ifdef SLM_HAVE_MMAP
struct Mapping {
  void* base;
  size_t length;
};

// allocLarge(bytes) → ArrayBuffer of `bytes` zero bytes starting on a 2 MiB boundary.
Napi::Value allocLarge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t bytes = args::dim(info, 0, "allocLarge", "bytes");
  if (bytes <= 0) args::fail(env, "native allocLarge: bytes must be positive", true);
  // Round up to whole huge pages and map one more, so the buffer can start on a 2 MiB boundary.
  const size_t body = (size_t(bytes) + kHuge - 1) / kHuge * kHuge;
  const size_t length = body + kHuge;
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    Napi::Error::New(env, "cannot map " + std::to_string(bytes) + " bytes for a tensor (out of memory?)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(base) + kHuge - 1) & ~(uintptr_t(kHuge) - 1);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), body, MADV_HUGEPAGE);  // advice only: ignored where THP is off
#endif
  Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(length));
  auto* m = new Mapping{base, length};
  return Napi::ArrayBuffer::New(env, reinterpret_cast<void*>(aligned), size_t(bytes), [](Napi::Env e, void*, Mapping* hint) {
    munmap(hint->base, hint->length);
    Napi::MemoryManagement::AdjustExternalMemory(e, -int64_t(hint->length));
    delete hint;
  }, m);
}
#endif

}  // namespace

void registerAllocBindings(Napi::Env env, Napi::Object exports) {
#ifdef SLM_HAVE_MMAP
  exports.Set("allocLarge", Napi::Function::New(env, allocLarge, "allocLarge"));
#else
  (void)env;
  (void)exports;
#endif
}

}  // namespace slm
