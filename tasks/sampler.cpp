// Counting samplers and hard negatives (see sampler.h).
#include "tasks/sampler.h"

#include <algorithm>
#include <stdexcept>

namespace goose::tasks {

CountingSampler::CountingSampler(const automata::Dfa& dfa, std::vector<uint8_t> target)
    : dfa_(dfa), target_(std::move(target)) {
  if (static_cast<int>(target_.size()) != dfa_.num_states)
    throw std::logic_error("CountingSampler: target size differs from the number of states");
}

std::shared_ptr<const CountingSampler::Table> CountingSampler::table(int64_t length) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (table_ && table_->max_len >= length) return table_;
  const int64_t old_max = table_ ? table_->max_len : -1;
  const int64_t new_max = std::max<int64_t>(length, 2 * old_max + 16);
  auto grown = std::make_shared<Table>();
  const size_t states = static_cast<size_t>(dfa_.num_states);
  const int symbols = dfa_.num_symbols();
  grown->max_len = new_max;
  grown->weight.resize((new_max + 1) * states);
  grown->reach.resize((new_max + 1) * states);
  if (table_) {
    std::copy(table_->weight.begin(), table_->weight.end(), grown->weight.begin());
    std::copy(table_->reach.begin(), table_->reach.end(), grown->reach.begin());
  }
  for (int64_t r = old_max + 1; r <= new_max; ++r) {
    double* w = &grown->weight[r * states];
    uint8_t* reach = &grown->reach[r * states];
    if (r == 0) {
      for (size_t q = 0; q < states; ++q) w[q] = reach[q] = target_[q] ? 1 : 0;
      continue;
    }
    const double* prev_w = &grown->weight[(r - 1) * states];
    const uint8_t* prev_reach = &grown->reach[(r - 1) * states];
    double top = 0;
    for (size_t q = 0; q < states; ++q) {
      double sum = 0;
      uint8_t any = 0;
      for (int a = 0; a < symbols; ++a) {
        const int to = dfa_.next(static_cast<int>(q), a);
        sum += prev_w[to];
        any |= prev_reach[to];
      }
      w[q] = sum;
      reach[q] = any;
      top = std::max(top, sum);
    }
    if (top > 0)
      for (size_t q = 0; q < states; ++q) w[q] /= top;
  }
  table_ = grown;
  return table_;
}

CountingSampler::Completions CountingSampler::completions(int64_t max_remaining) const {
  Completions c;
  c.table_ = table(max_remaining);
  c.states_ = static_cast<size_t>(dfa_.num_states);
  return c;
}

bool CountingSampler::possible(int64_t length) const {
  return table(length)->reach[length * dfa_.num_states + dfa_.start] != 0;
}

bool CountingSampler::sample(int64_t length, Rng& rng, int32_t* out) const {
  const auto t = table(length);
  const size_t states = static_cast<size_t>(dfa_.num_states);
  const int symbols = dfa_.num_symbols();
  int q = dfa_.start;
  if (!t->reach[length * states + q]) return false;
  for (int64_t i = 0; i < length; ++i) {
    const int64_t r = length - 1 - i;
    const double* w = &t->weight[r * states];
    const uint8_t* reach = &t->reach[r * states];
    double total = 0;
    for (int a = 0; a < symbols; ++a) total += w[dfa_.next(q, a)];
    int chosen = -1;
    if (total > 0) {
      double u = rng.uniform() * total;
      for (int a = 0; a < symbols; ++a) {
        const double wa = w[dfa_.next(q, a)];
        if (wa <= 0) continue;
        chosen = a;  // the last positive weight absorbs rounding at the top end
        if (u < wa) break;
        u -= wa;
      }
    } else {
      // Weights underflowed relative to the row's largest: fall back to exact reachability.
      int count = 0;
      for (int a = 0; a < symbols; ++a) count += reach[dfa_.next(q, a)];
      int k = static_cast<int>(rng.below(static_cast<uint32_t>(count)));
      for (int a = 0; a < symbols && chosen < 0; ++a)
        if (reach[dfa_.next(q, a)] && k-- == 0) chosen = a;
    }
    out[i] = chosen;
    q = dfa_.next(q, chosen);
  }
  return true;
}

bool hard_negative(const automata::Dfa& dfa, const int32_t* word, int64_t n, Rng& rng, int32_t* out) {
  const int states = dfa.num_states;
  const int symbols = dfa.num_symbols();
  // prefix[i]: state after word[0..i); suffix[i*states + q]: state after word[i..n) from q.
  std::vector<int32_t> prefix(n + 1);
  prefix[0] = dfa.start;
  for (int64_t i = 0; i < n; ++i) prefix[i + 1] = dfa.next(prefix[i], word[i]);
  std::vector<int32_t> suffix(static_cast<size_t>(n + 1) * states);
  for (int q = 0; q < states; ++q) suffix[static_cast<size_t>(n) * states + q] = q;
  for (int64_t i = n - 1; i >= 0; --i)
    for (int q = 0; q < states; ++q)
      suffix[static_cast<size_t>(i) * states + q] =
          suffix[static_cast<size_t>(i + 1) * states + dfa.next(q, word[i])];
  // Reservoir choice among the rejected substitutions (position i, symbol a).
  int64_t seen = 0, best_i = -1;
  int best_a = -1;
  for (int64_t i = 0; i < n; ++i)
    for (int a = 0; a < symbols; ++a) {
      if (a == word[i]) continue;
      const int end = suffix[static_cast<size_t>(i + 1) * states + dfa.next(prefix[i], a)];
      if (dfa.accepting[end]) continue;
      ++seen;
      if (rng.next() % static_cast<uint64_t>(seen) == 0) {
        best_i = i;
        best_a = a;
      }
    }
  if (best_i < 0) return false;
  std::copy(word, word + n, out);
  out[best_i] = best_a;
  return true;
}

}  // namespace goose::tasks
