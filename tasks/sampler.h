// Samplers of task strings: uniform strings with their per-position DFA states (the fast
// path), strings uniform among those of a length that end in a chosen set of states
// (positives, negatives, one label class, live strings) by counting completions, and hard
// negatives (single-symbol substitutions of a positive that the DFA rejects).
// Exports sample_uniform_states(), CountingSampler, hard_negative().
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "automata/dfa.h"
#include "tasks/rng.h"

namespace goose::tasks {

// `length` uniform symbols into symbols[], the DFA state after each into states[]
// (both may be the same kind of buffer; states may be null). The hot loop of state tasks.
template <typename Int>
inline void sample_uniform_states(const automata::Dfa& dfa, int64_t length, Rng& rng,
                                  Int* symbols, Int* states) {
  const int32_t* delta = dfa.delta.data();
  const uint32_t num_symbols = static_cast<uint32_t>(dfa.num_symbols());
  int32_t q = dfa.start;
  for (int64_t t = 0; t < length; ++t) {
    const uint32_t a = rng.below(num_symbols);
    q = delta[static_cast<size_t>(q) * num_symbols + a];
    symbols[t] = static_cast<Int>(a);
    if (states) states[t] = static_cast<Int>(q);
  }
}

// Uniform sampling among the strings of a given length whose final state is in `target`.
// Completion counts are kept per remaining length as doubles rescaled per length (exact
// ratios without overflow: 120^256 does not fit anywhere), plus exact reachability bits.
// Tables grow on demand and are shared immutably, so concurrent use is safe.
class CountingSampler {
  struct Table {
    int64_t max_len = -1;
    std::vector<double> weight;   // [(r) * states + q]: scaled count of r-symbol completions
    std::vector<uint8_t> reach;   // same index: count > 0, exactly
  };

 public:
  CountingSampler(const automata::Dfa& dfa, std::vector<uint8_t> target);
  bool possible(int64_t length) const;  // some string of this length ends in target
  // Writes `length` symbols; false (nothing written) when no such string exists.
  bool sample(int64_t length, Rng& rng, int32_t* out) const;

  // The completion counts behind sample(), for exact distributions (tasks/chance.h): row(r)[q]
  // is proportional to the number of r-symbol strings leading from state q into the target,
  // each row scaled by its own factor (its largest entry is 1, or the row is all 0);
  // reach(r)[q] says exactly whether that number is positive.
  class Completions {
   public:
    const double* row(int64_t remaining) const { return &table_->weight[remaining * states_]; }
    const uint8_t* reach(int64_t remaining) const { return &table_->reach[remaining * states_]; }

   private:
    friend class CountingSampler;
    std::shared_ptr<const Table> table_;
    size_t states_ = 0;
  };
  Completions completions(int64_t max_remaining) const;  // rows 0..max_remaining

 private:
  std::shared_ptr<const Table> table(int64_t length) const;

  automata::Dfa dfa_;
  std::vector<uint8_t> target_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const Table> table_;
};

// A single-symbol substitution of word[0..n) that `dfa` rejects, uniform among all such
// substitutions (pairs of a position i and a symbol a != word[i]), into out[]. False (out
// untouched) when every substitution is accepted. TaskBatchSource's hard negatives apply it to
// a positive drawn uniformly among the accepted strings of the length, so a hard negative v has
// P(v) = sum over accepted w with v in R(w) of 1 / (#accepted * |R(w)|), R(w) = w's rejected
// substitutions; when R(w) is empty a uniform negative is drawn instead.
bool hard_negative(const automata::Dfa& dfa, const int32_t* word, int64_t n, Rng& rng, int32_t* out);

}  // namespace goose::tasks
