// `gooselab inspect`: what a trained (or constructed) model actually does on real data, per
// architecture — RWKV-7: the special eigenvalue λ* of every token's transition per layer and
// head (histogram; fractions below 0, −0.9, −1), the decays and rates, and the WKV state norm
// versus position out to long lengths; diagonal SSMs: the eigenvalues (modulus, angle, sign);
// LSTM: forget-gate saturation and the cell norm; Transformer: attention entropy versus
// length. Exports InspectOptions, inspect_run(), inspect_summary_columns().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace goose::experiments {

struct InspectOptions {
  std::string task;                 // "" = the run's task
  std::vector<int64_t> lengths;     // empty = training max × 1, 2, 4, 8
  int64_t count = 64;               // sequences per length
  int64_t long_length = 0;          // the state-norm curve's length; 0 = max(lengths)
  std::string checkpoint = "best";  // best | last
  uint64_t seed = 20261129;
  std::string device = "cpu";
};

// Reads the run directory and returns the inspect.json object (see the README for its keys);
// its "summary" holds the short lines `gooselab inspect` prints.
nlohmann::json inspect_run(const std::string& run_dir, const InspectOptions& options);

// The few numbers a sweep puts in results.csv for a run (lambda_frac_neg,
// lambda_frac_below_m09, lambda_frac_below_m1, lambda_min, state_norm_train, state_norm_long,
// state_norm_ratio), from an inspect.json; nulls where the architecture has none.
nlohmann::json inspect_summary_columns(const nlohmann::json& inspect);
std::vector<std::string> inspect_column_names();

}  // namespace goose::experiments
