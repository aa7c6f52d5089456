// The vector width this build was compiled for, chosen by the compiler's target flags
// (-march=native): AVX-512 (16 floats), AVX2+FMA (8 floats), or a portable scalar fallback.
// Kernels write their hot loops against these few helpers, plus an exp accurate to ~1 ulp.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace slm {

#if defined(__AVX512F__)
constexpr int kVecBits = 512;
constexpr int VW = 16;
using vf = __m512;
inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vset1(float x) { return _mm512_set1_ps(x); }
inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm512_storeu_ps(p, v); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf vabs(vf a) { return _mm512_abs_ps(a); }
// x < 0 ? a : b, lane by lane
inline vf vselectNeg(vf x, vf a, vf b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, vzero(), _CMP_LT_OQ), b, a); }
inline float vhmax(vf v) { return _mm512_reduce_max_ps(v); }
// Sum of the lanes in double, so long rows lose no precision.
inline double vhsumd(vf v) {
  __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
  __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kVecBits = 256;
constexpr int VW = 8;
using vf = __m256;
inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vset1(float x) { return _mm256_set1_ps(x); }
inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm256_storeu_ps(p, v); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf vabs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline vf vselectNeg(vf x, vf a, vf b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, vzero(), _CMP_LT_OQ)); }
inline float vhmax(vf v) {
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  float m = t[0];
  for (int i = 1; i < 8; i++) m = t[i] > m ? t[i] : m;
  return m;
}
inline double vhsumd(vf v) {
  __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  alignas(32) double t[4];
  _mm256_store_pd(t, s);
  return (t[0] + t[1]) + (t[2] + t[3]);
}
#else
constexpr int kVecBits = 0;  // scalar
constexpr int VW = 1;
using vf = float;
inline vf vzero() { return 0.0f; }
inline vf vset1(float x) { return x; }
inline vf vload(const float* p) { return *p; }
inline void vstore(float* p, vf v) { *p = v; }
inline vf vfma(vf a, vf b, vf c) { return std::fma(a, b, c); }
inline vf vadd(vf a, vf b) { return a + b; }
inline vf vsub(vf a, vf b) { return a - b; }
inline vf vmul(vf a, vf b) { return a * b; }
inline vf vmax(vf a, vf b) { return a > b ? a : b; }
inline vf vdiv(vf a, vf b) { return a / b; }
inline vf vabs(vf a) { return std::fabs(a); }
inline vf vselectNeg(vf x, vf a, vf b) { return x < 0.0f ? a : b; }
inline float vhmax(vf v) { return v; }
inline double vhsumd(vf v) { return v; }
#endif

// exp(x) for float: Cody-Waite range reduction and a degree-6 polynomial (Cephes expf),
// about 1 ulp. exp(-inf) = 0, exp(+inf) = inf, NaN stays NaN; underflow flushes to 0.
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
inline vf vexp(vf x) {
  const vf hi = vset1(88.72283935546875f), lo = vset1(-87.3365478515625f);  // hi: about ln(FLT_MAX)
  const vf log2e = vset1(1.44269504088896341f);
  const vf c1 = vset1(0.693359375f), c2 = vset1(-2.12194440e-4f);
#if defined(__AVX512F__)
  __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  __mmask16 over = _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  vf xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  vf n = _mm512_roundscale_ps(vmul(xc, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
  vf under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  vf over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  vf nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  vf xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  vf n = _mm256_round_ps(vmul(xc, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#endif
  vf r = vsub(xc, vmul(n, c1));
  r = vsub(r, vmul(n, c2));
  vf p = vset1(1.9875691500E-4f);
  p = vfma(p, r, vset1(1.3981999507E-3f));
  p = vfma(p, r, vset1(8.3334519073E-3f));
  p = vfma(p, r, vset1(4.1665795894E-2f));
  p = vfma(p, r, vset1(1.6666665459E-1f));
  p = vfma(p, r, vset1(5.0000001201E-1f));
  vf r2 = vmul(r, r);
  p = vfma(p, r2, vadd(r, vset1(1.0f)));
  // Scale by 2^n in two steps so n = 128 (x near the overflow bound) does not overflow the
  // exponent field on its own.
#if defined(__AVX512F__)
  __m512i ni = _mm512_cvtps_epi32(n);
  __m512i half = _mm512_srai_epi32(ni, 1);
  vf s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(half, _mm512_set1_epi32(127)), 23));
  vf s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(ni, half), _mm512_set1_epi32(127)), 23));
  vf y = vmul(vmul(p, s1), s2);
  y = _mm512_mask_mov_ps(y, under, vzero());
  y = _mm512_mask_mov_ps(y, over, vset1(INFINITY));
  y = _mm512_mask_mov_ps(y, nan, x);
#else
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i half = _mm256_srai_epi32(ni, 1);
  vf s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
  vf s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
  vf y = vmul(vmul(p, s1), s2);
  y = _mm256_blendv_ps(y, vzero(), under);
  y = _mm256_blendv_ps(y, vset1(INFINITY), over);
  y = _mm256_blendv_ps(y, x, nan);
#endif
  return y;
}
#else
inline vf vexp(vf x) { return std::exp(x); }
#endif

// tanh(x), about 2 ulp: Cephes' odd polynomial for |x| < 0.625 (where 1 - 2/(e^2x + 1) would
// cancel), else 1 - 2/(exp(2|x|) + 1) with x's sign. tanh(+-inf) = +-1, NaN stays NaN.
inline vf vtanh(vf x) {
  const vf one = vset1(1.0f);
  const vf ax = vabs(x);
  vf big = vsub(one, vdiv(vset1(2.0f), vadd(vexp(vadd(ax, ax)), one)));
  big = vselectNeg(x, vsub(vzero(), big), big);
  const vf z = vmul(x, x);
  vf p = vset1(-5.70498872745E-3f);
  p = vfma(p, z, vset1(2.06390887954E-2f));
  p = vfma(p, z, vset1(-5.37397155531E-2f));
  p = vfma(p, z, vset1(1.33314422036E-1f));
  p = vfma(p, z, vset1(-3.33332819422E-1f));
  const vf small = vfma(vmul(p, z), x, x);  // x + x^3 P(x^2)
  return vselectNeg(vsub(ax, vset1(0.625f)), small, big);
}

// 1 / (1 + exp(-x)): exp overflows to inf for very negative x, giving exactly 0.
inline vf vsigmoid(vf x) {
  const vf one = vset1(1.0f);
  return vdiv(one, vadd(one, vexp(vsub(vzero(), x))));
}

// out[i] = exp(x[i] - shift) for i < n, vectorised, scalar tail.
inline void expShifted(const float* x, float shift, float* out, int64_t n) {
  const vf sh = vset1(shift);
  int64_t i = 0;
  for (; i + VW <= n; i += VW) vstore(out + i, vexp(vsub(vload(x + i), sh)));
  for (; i < n; i++) out[i] = std::exp(x[i] - shift);
}

// Sum of exp(x[i] - shift) for i < n, each exp in float, the sum in double.
inline double sumExpShifted(const float* x, float shift, int64_t n) {
  constexpr int64_t kChunk = 256;
  alignas(64) float e[kChunk];
  double total = 0.0;
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    expShifted(x + i0, shift, e, m);
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < m; i++) s += double(e[i]);
    total += s;
  }
  return total;
}

// Largest element of x (n >= 1); NaNs are skipped as in the reference's `if (x > max)`.
inline float rowMax(const float* x, int64_t n) {
  int64_t i = 0;
  float m = -INFINITY;
  if (n >= VW) {
    vf vm = vset1(-INFINITY);
    for (; i + VW <= n; i += VW) vm = vmax(vload(x + i), vm);  // max(a, b) keeps b when a is NaN
    m = vhmax(vm);
  }
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

}  // namespace slm
