// Length splits: train and test length ranges plus deterministic, disjoint seed streams for
// their batches (the same split seed gives the same train and test data).
// Exports LengthRange, parse_length_range(), LengthSplit.
#pragma once
#include <cstdint>
#include <string>

#include "tasks/rng.h"

namespace goose::tasks {

struct LengthRange {
  int64_t min_len = 1;
  int64_t max_len = 1;
  std::string to_string() const;  // "3-40" or "16"
};
// "16" or "3-40" (also "3..40"); lengths >= 1, min <= max. Errors: std::invalid_argument.
LengthRange parse_length_range(const std::string& text);

struct LengthSplit {
  LengthRange train;
  LengthRange test;
  uint64_t seed = 0;
  // Seeds for BatchSource::sample: train step k, test batch k. The streams never share a
  // seed by construction (different stream index), so test batches are never train batches.
  uint64_t train_seed(int64_t step) const { return mix_seed(mix_seed(seed, 1), static_cast<uint64_t>(step)); }
  uint64_t test_seed(int64_t batch) const { return mix_seed(mix_seed(seed, 2), static_cast<uint64_t>(batch)); }
};
LengthSplit make_length_split(const LengthRange& train, const LengthRange& test, uint64_t seed);

}  // namespace goose::tasks
