// Exact per-position state distributions of sampled strings (see chance.h).
#include "tasks/chance.h"

#include <algorithm>
#include <cmath>

namespace goose::tasks {

UniformStateChance::UniformStateChance(const automata::Dfa& dfa) : dfa_(dfa) {
  pi_.assign(dfa_.num_states, 0.0);
  pi_[dfa_.start] = 1.0;
  history_.assign(static_cast<size_t>(kMaxPeriod + 1) * dfa_.num_states, 0.0);
  std::copy(pi_.begin(), pi_.end(), history_.begin());
}

void UniformStateChance::grow(int64_t n) const {
  const size_t states = static_cast<size_t>(dfa_.num_states);
  const int symbols = dfa_.num_symbols();
  const double share = symbols > 0 ? 1.0 / symbols : 0.0;
  std::vector<double> next(states);
  for (int64_t t = static_cast<int64_t>(best_.size()); t <= n; ++t) {
    double best;
    if (period_ > 0) {
      best = best_[t - period_];
    } else {
      std::fill(next.begin(), next.end(), 0.0);
      for (size_t q = 0; q < states; ++q) {
        if (pi_[q] == 0.0) continue;
        const double p = pi_[q] * share;
        for (int a = 0; a < symbols; ++a) next[dfa_.next(static_cast<int>(q), a)] += p;
      }
      pi_.swap(next);
      best = *std::max_element(pi_.begin(), pi_.end());
      const int slots = kMaxPeriod + 1;
      std::copy(pi_.begin(), pi_.end(), history_.begin() + (t % slots) * states);
      // Look for a steady state every 16 steps (amortised: 4 comparisons of pi per step).
      if (t % 16 == 0 && t > kMaxPeriod)
        for (int d = 1; d <= kMaxPeriod && period_ == 0; ++d) {
          const double* back = &history_[((t - d) % slots) * states];
          double distance = 0;
          for (size_t q = 0; q < states && distance <= kTolerance; ++q) distance += std::fabs(pi_[q] - back[q]);
          if (distance <= kTolerance) period_ = d;
        }
    }
    best_.push_back(best);
    prefix_.push_back(prefix_.back() + best);
  }
}

double UniformStateChance::best_sum(int64_t n) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (n >= static_cast<int64_t>(prefix_.size())) grow(n);
  return prefix_[n];
}

double UniformStateChance::best_at(int64_t t) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (t >= static_cast<int64_t>(best_.size())) grow(t);
  return best_[t];
}

int UniformStateChance::period() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return period_;
}

void for_each_state_distribution(
    const automata::Dfa& dfa, const std::vector<const CountingSampler*>& kinds, int64_t n,
    const std::function<void(int64_t t, const std::vector<std::vector<double>>& dists)>& visit) {
  const size_t states = static_cast<size_t>(dfa.num_states);
  const int symbols = dfa.num_symbols();
  std::vector<CountingSampler::Completions> completions;
  for (const CountingSampler* s : kinds) completions.push_back(s->completions(n));
  std::vector<std::vector<double>> dists(kinds.size(), std::vector<double>(states, 0.0));
  for (auto& d : dists) d[dfa.start] = 1.0;
  std::vector<double> next(states);
  for (int64_t t = 1; t <= n; ++t) {
    for (size_t k = 0; k < kinds.size(); ++k) {
      // The sampler's step from t-1 to t symbols: n - t symbols remain after it.
      const double* weight = completions[k].row(n - t);
      const uint8_t* reach = completions[k].reach(n - t);
      std::fill(next.begin(), next.end(), 0.0);
      for (size_t p = 0; p < states; ++p) {
        const double mass = dists[k][p];
        if (mass == 0.0) continue;
        double total = 0;
        int reachable = 0;
        for (int a = 0; a < symbols; ++a) {
          const int q = dfa.next(static_cast<int>(p), a);
          total += weight[q];
          reachable += reach[q];
        }
        for (int a = 0; a < symbols; ++a) {
          const int q = dfa.next(static_cast<int>(p), a);
          if (total > 0)
            next[q] += mass * weight[q] / total;
          else if (reachable > 0 && reach[q])
            next[q] += mass / reachable;
        }
      }
      dists[k].swap(next);
    }
    visit(t, dists);
  }
}

}  // namespace goose::tasks
