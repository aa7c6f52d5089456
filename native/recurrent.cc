// LSTM and GRU cells: one time step's gate nonlinearities and state update (and their backward)
// for n rows, fused into one pass over each row's gate blocks, after the op has done the step's
// matrix product. Rows run in parallel; within a row, every H-wide block (i, f, g, o or r, z, n,
// the states) is walked in vectors, and the last partial vector runs through the same code on a
// zero-padded copy, so each element gets the same arithmetic wherever it sits.
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "simd.h"
#include "threadpool.h"

namespace slm {

namespace {

// Calls vec(q) on lanes [j, j + VW) of the NP H-wide blocks p (null blocks stay null); the tail
// through zero-padded copies, writing back the blocks whose bit is set in `outputs`.
template <int NP, class Vec>
inline void lanes(float* const (&p)[NP], int64_t H, unsigned outputs, Vec vec) {
  float* q[NP];
  int64_t j = 0;
  for (; j + VW <= H; j += VW) {
    for (int k = 0; k < NP; k++) q[k] = p[k] ? p[k] + j : nullptr;
    vec(q);
  }
  if (j == H) return;
  alignas(64) float stage[NP][VW];
  for (int k = 0; k < NP; k++) {
    q[k] = nullptr;
    if (!p[k]) continue;
    std::fill(stage[k], stage[k] + VW, 0.0f);
    std::copy(p[k] + j, p[k] + H, stage[k]);
    q[k] = stage[k];
  }
  vec(q);
  for (int k = 0; k < NP; k++)
    if (p[k] && ((outputs >> k) & 1u)) std::copy(stage[k], stage[k] + (H - j), p[k] + j);
}

inline vf loadOr0(const float* p) { return p ? vload(p) : vzero(); }

int64_t rowGrain(int64_t H) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(H, 1)); }

void lstmForwardRow(float* g, float* cPrev, float* c, float* h, int64_t H) {
  float* const p[7] = {g, g + H, g + 2 * H, g + 3 * H, cPrev, c, h};
  lanes<7>(p, H, 0b1101111u, [](float* const* q) {
    const vf i = vsigmoid(vload(q[0])), f = vsigmoid(vload(q[1]));
    const vf gg = vtanh(vload(q[2])), o = vsigmoid(vload(q[3]));
    vstore(q[0], i);
    vstore(q[1], f);
    vstore(q[2], gg);
    vstore(q[3], o);
    const vf ct = vfma(i, gg, vmul(f, loadOr0(q[4])));
    vstore(q[5], ct);
    vstore(q[6], vmul(o, vtanh(ct)));
  });
}

void lstmBackwardRow(float* g, float* cPrev, float* c, float* dh, float* dc, float* dg, int64_t H) {
  float* const p[12] = {g, g + H, g + 2 * H, g + 3 * H, cPrev, c, dh, dc, dg, dg + H, dg + 2 * H, dg + 3 * H};
  lanes<12>(p, H, 0b111110000000u, [](float* const* q) {
    const vf one = vset1(1.0f);
    const vf i = vload(q[0]), f = vload(q[1]), gg = vload(q[2]), o = vload(q[3]);
    const vf tc = vtanh(vload(q[5])), d = vload(q[6]);
    const vf dct = vadd(vload(q[7]), vmul(vmul(d, o), vsub(one, vmul(tc, tc))));  // dL/dc_t
    vstore(q[8], vmul(vmul(dct, gg), vmul(i, vsub(one, i))));
    vstore(q[9], vmul(vmul(dct, loadOr0(q[4])), vmul(f, vsub(one, f))));
    vstore(q[10], vmul(vmul(dct, i), vsub(one, vmul(gg, gg))));
    vstore(q[11], vmul(vmul(d, tc), vmul(o, vsub(one, o))));
    vstore(q[7], vmul(dct, f));  // dL/dc_{t-1}
  });
}

void gruForwardRow(float* gx, float* gh, float* bhh, float* hPrev, float* hn, float* h, int64_t H) {
  float* const p[12] = {gx, gx + H, gx + 2 * H, gh, gh ? gh + H : nullptr, gh ? gh + 2 * H : nullptr,
                        bhh, bhh + H, bhh + 2 * H, hPrev, hn, h};
  lanes<12>(p, H, 0b110000000111u, [](float* const* q) {
    const vf one = vset1(1.0f);
    const vf r = vsigmoid(vadd(vadd(vload(q[0]), loadOr0(q[3])), vload(q[6])));
    const vf z = vsigmoid(vadd(vadd(vload(q[1]), loadOr0(q[4])), vload(q[7])));
    const vf hnv = vadd(loadOr0(q[5]), vload(q[8]));  // W_hn h + b_hn: inside the reset product
    const vf n = vtanh(vfma(r, hnv, vload(q[2])));
    vstore(q[0], r);
    vstore(q[1], z);
    vstore(q[2], n);
    vstore(q[10], hnv);
    vstore(q[11], vfma(z, loadOr0(q[9]), vmul(vsub(one, z), n)));
  });
}

void gruBackwardRow(float* g, float* hn, float* hPrev, float* dh, float* dGx, float* dGh, float* dhPrev, int64_t H) {
  float* const p[13] = {g, g + H, g + 2 * H, hn, hPrev, dh, dGx, dGx + H, dGx + 2 * H, dGh, dGh + H, dGh + 2 * H, dhPrev};
  lanes<13>(p, H, 0b1111111000000u, [](float* const* q) {
    const vf one = vset1(1.0f);
    const vf r = vload(q[0]), z = vload(q[1]), n = vload(q[2]), d = vload(q[5]);
    const vf dn = vmul(vmul(d, vsub(one, z)), vsub(one, vmul(n, n)));
    const vf dr = vmul(vmul(dn, vload(q[3])), vmul(r, vsub(one, r)));
    const vf dz = vmul(vmul(d, vsub(loadOr0(q[4]), n)), vmul(z, vsub(one, z)));
    vstore(q[6], dr);
    vstore(q[7], dz);
    vstore(q[8], dn);
    vstore(q[9], dr);
    vstore(q[10], dz);
    vstore(q[11], vmul(dn, r));
    if (q[12]) vstore(q[12], vfma(d, z, vload(q[12])));
  });
}

}  // namespace

void lstmCellForward(float* gates, const float* cPrev, float* c, float* h, int64_t n, int64_t H) {
  parallelFor(n, rowGrain(H), [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      lstmForwardRow(gates + r * 4 * H, cPrev ? const_cast<float*>(cPrev) + r * H : nullptr, c + r * H, h + r * H, H);
  });
}

void lstmCellBackward(const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dGates, int64_t n, int64_t H) {
  parallelFor(n, rowGrain(H), [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      lstmBackwardRow(const_cast<float*>(gates) + r * 4 * H, cPrev ? const_cast<float*>(cPrev) + r * H : nullptr,
                      const_cast<float*>(c) + r * H, const_cast<float*>(dh) + r * H, dc + r * H, dGates + r * 4 * H, H);
  });
}

void gruCellForward(float* gx, const float* gh, const float* bhh, const float* hPrev, float* hn, float* h, int64_t n,
                    int64_t H) {
  parallelFor(n, rowGrain(H), [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      gruForwardRow(gx + r * 3 * H, gh ? const_cast<float*>(gh) + r * 3 * H : nullptr, const_cast<float*>(bhh),
                    hPrev ? const_cast<float*>(hPrev) + r * H : nullptr, hn + r * H, h + r * H, H);
  });
}

void gruCellBackward(const float* gates, const float* hn, const float* hPrev, const float* dh, float* dGx, float* dGh,
                     float* dhPrev, int64_t n, int64_t H) {
  parallelFor(n, rowGrain(H), [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      gruBackwardRow(const_cast<float*>(gates) + r * 3 * H, const_cast<float*>(hn) + r * H,
                     hPrev ? const_cast<float*>(hPrev) + r * H : nullptr, const_cast<float*>(dh) + r * H,
                     dGx + r * 3 * H, dGh + r * 3 * H, dhPrev ? dhPrev + r * H : nullptr, H);
  });
}

}  // namespace slm
