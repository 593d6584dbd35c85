// Per-position state distributions of sampled task strings, the ground for the true chance
// level (TaskBatchSource::chance_accuracy): exact, by propagating the state distribution of
// uniform random strings, or of the counting sampler's own Markov chain for strings uniform
// among those of a length that end in a target set of states.
// Exports UniformStateChance, for_each_state_distribution().
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "automata/dfa.h"
#include "tasks/sampler.h"

namespace goose::tasks {

// For strings of uniform random symbols: best_sum(n) = sum over t = 1..n of
// max_q P(state after t symbols = q), the expected number of positions the best guess that
// knows the position gets right. O(n * states * symbols) the first time (grown on demand,
// thread-safe), O(1) after. Steady state: once the distribution pi_t comes back to
// pi_{t-d} (d <= kMaxPeriod) within kTolerance in L1, later positions copy the value d
// positions back. This is safe because the uniform-symbol transition matrix is stochastic,
// so it never expands L1 distances: |pi_{s} - pi_{s-d}| <= kTolerance for every s >= t,
// and the value at t + k*d is off by at most k * kTolerance (1e-8 at length 10^5).
class UniformStateChance {
 public:
  static constexpr int kMaxPeriod = 64;
  static constexpr double kTolerance = 1e-13;

  explicit UniformStateChance(const automata::Dfa& dfa);
  double best_sum(int64_t n) const;
  double best_at(int64_t t) const;  // max_q P(state after t symbols = q), t >= 1
  // The period d found so far (0 while none): the steady state's period, for tests.
  int period() const;

 private:
  void grow(int64_t n) const;  // caller holds mutex_

  automata::Dfa dfa_;
  mutable std::mutex mutex_;
  mutable std::vector<double> best_{0.0};    // [t]: max_q pi_t(q); best_[0] unused
  mutable std::vector<double> prefix_{0.0};  // [t]: best_[1] + ... + best_[t]
  mutable std::vector<double> pi_;           // pi_t for t = best_.size() - 1
  mutable std::vector<double> history_;      // pi_t in slot t % (kMaxPeriod + 1)
  mutable int period_ = 0;
};

// Strings uniform among the strings of length n whose final state is in a sampler's target,
// one sampler per kind of string: calls visit(t, dists) for t = 1..n with
// dists[k][q] = P(state after t symbols = q) for kind k (all 0 when kind k has no string of
// length n). Computed by propagating the Markov chain CountingSampler::sample walks: from
// state p with r symbols to go, symbol a with probability B_{r-1}(p.a) / sum_b B_{r-1}(p.b),
// B its completion counts (the uniform choice among completable symbols where a row
// underflowed, as sample() does). So it is exact up to rounding and never underflows: the
// distribution stays normalised however many strings die along the way (mod-arith, dyck).
// O(n * states * symbols * kinds).
void for_each_state_distribution(
    const automata::Dfa& dfa, const std::vector<const CountingSampler*>& kinds, int64_t n,
    const std::function<void(int64_t t, const std::vector<std::vector<double>>& dists)>& visit);

}  // namespace goose::tasks
