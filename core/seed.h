// The one seed mixer of gooselab: a well-mixed 64-bit seed from a base seed and a stream
// index (splitmix64 finaliser), so streams for training steps, validation, test data and
// each sequence of a batch never collide in practice. Exports mix_seed().
#pragma once
#include <cstdint>

namespace goose::core {

inline uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + stream + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace goose::core
