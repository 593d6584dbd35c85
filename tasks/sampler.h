// Samplers of task strings: uniform strings with their per-position DFA states (the fast
// path), strings uniform among those of a length that end in a chosen set of states
// (positives, negatives, one label class, live strings) by counting completions, and hard
// negatives (single-symbol substitutions of a positive that the DFA rejects).
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
 public:
  CountingSampler(const automata::Dfa& dfa, std::vector<uint8_t> target);
  bool possible(int64_t length) const;  // some string of this length ends in target
  // Writes `length` symbols; false (nothing written) when no such string exists.
  bool sample(int64_t length, Rng& rng, int32_t* out) const;

 private:
  struct Table {
    int64_t max_len = -1;
    std::vector<double> weight;   // [(r) * states + q]: scaled count of r-symbol completions
    std::vector<uint8_t> reach;   // same index: count > 0, exactly
  };
  std::shared_ptr<const Table> table(int64_t length) const;

  automata::Dfa dfa_;
  std::vector<uint8_t> target_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const Table> table_;
};

// A single-symbol substitution of word[0..n) that `dfa` rejects, uniform among all such
// substitutions, into out[]. False when every substitution is accepted.
bool hard_negative(const automata::Dfa& dfa, const int32_t* word, int64_t n, Rng& rng, int32_t* out);

// Per state: 1 when some accepting state is reachable from it (0 = dead).
std::vector<uint8_t> live_states(const automata::Dfa& dfa);

}  // namespace goose::tasks
