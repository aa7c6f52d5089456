// Argument checking for the N-API wrappers in addon.cc: typed-array views (data pointer already
// offset by byteOffset, and length), integer dimensions, and length / id-range checks that throw a
// JS TypeError or RangeError naming the kernel, the argument and the numbers involved.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace slm::args {

using Napi::CallbackInfo;

template <class T>
struct View {
  T* p = nullptr;
  int64_t n = 0;
};

[[noreturn]] inline void fail(Napi::Env env, const std::string& msg, bool range = false) {
  if (range) throw Napi::RangeError::New(env, msg);
  throw Napi::TypeError::New(env, msg);
}

template <class T>
View<T> arr(const CallbackInfo& info, size_t i, const char* kernel, const char* name, napi_typedarray_type type,
            const char* typeName, bool nullable = false) {
  Napi::Value v = info[i];
  if (nullable && (v.IsNull() || v.IsUndefined())) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    fail(info.Env(), std::string("native ") + kernel + ": " + name + " must be a " + typeName);
  auto a = v.As<Napi::TypedArrayOf<T>>();
  return {a.Data(), int64_t(a.ElementLength())};
}

inline View<float> f32(const CallbackInfo& info, size_t i, const char* k, const char* name, bool nullable = false) {
  return arr<float>(info, i, k, name, napi_float32_array, "Float32Array", nullable);
}
inline View<int32_t> i32(const CallbackInfo& info, size_t i, const char* k, const char* name) {
  return arr<int32_t>(info, i, k, name, napi_int32_array, "Int32Array");
}
inline View<uint8_t> u8(const CallbackInfo& info, size_t i, const char* k, const char* name) {
  return arr<uint8_t>(info, i, k, name, napi_uint8_array, "Uint8Array");
}

inline int64_t dim(const CallbackInfo& info, size_t i, const char* kernel, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info.Env(), std::string("native ") + kernel + ": " + name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != double(int64_t(d)) || d > 9.007199254740992e15)
    fail(info.Env(), std::string("native ") + kernel + ": " + name + " = " + std::to_string(d) +
                         " is not a non-negative integer", true);
  return int64_t(d);
}

inline double num(const CallbackInfo& info, size_t i, const char* kernel, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info.Env(), std::string("native ") + kernel + ": " + name + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline bool flag(const CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

template <class T>
void need(const CallbackInfo& info, const View<T>& a, int64_t n, const char* kernel, const char* name,
          const char* what) {
  if (a.n < n)
    fail(info.Env(), std::string("native ") + kernel + ": " + name + " has " + std::to_string(a.n) +
                         " elements, needs " + what + " = " + std::to_string(n), true);
}

// Ids (or targets) must index rows [0, rows); `allowNegative` lets ignored targets (< 0) through.
inline void checkIds(const CallbackInfo& info, const int32_t* ids, int64_t n, int64_t rows, bool allowNegative,
              const char* kernel, const char* name) {
  for (int64_t i = 0; i < n; i++) {
    const int32_t id = ids[i];
    if ((id < 0 && !allowNegative) || int64_t(id) >= rows)
      fail(info.Env(), std::string("native ") + kernel + ": " + name + "[" + std::to_string(i) + "] = " +
                           std::to_string(id) + " is outside [0, " + std::to_string(rows) + ")", true);
  }
}

}  // namespace slm::args
