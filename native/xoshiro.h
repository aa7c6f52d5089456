// xoshiro128**, the stream of src/tensor/rng.ts, on a state held in locals (not through a pointer
// that the stores of drawn numbers might alias). Shared by the kernels that must draw the
// reference's numbers bit for bit (dropout masks, normal draws).
#pragma once
#include <cstdint>

namespace slm {

struct Xoshiro {
  uint32_t s0, s1, s2, s3;
  // The next output's top 24 bits (what Rng.uniform() scales by 2^-24).
  inline uint32_t next24() {
    const uint32_t x = s1 * 5u;
    const uint32_t result = ((x << 7) | (x >> 25)) * 9u;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >> 21);
    return result >> 8;
  }
  static Xoshiro load(const uint32_t* state) { return {state[0], state[1], state[2], state[3]}; }
  void store(uint32_t* state) const { state[0] = s0, state[1] = s1, state[2] = s2, state[3] = s3; }
};

}  // namespace slm
