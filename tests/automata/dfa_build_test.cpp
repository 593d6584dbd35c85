// Tests for automata/dfa_build: DFAs from transition functions, the state map from a DFA
// to its minimisation (checked word by word on random DFAs), and live states against a
// direct forward search from each state.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <stdexcept>
#include <vector>

#include "automata/dfa.h"
#include "automata/dfa_build.h"

namespace goose::automata {
namespace {

// Every word of length <= max_len over `symbols` symbols.
void for_all_words(int symbols, int max_len, const std::function<void(const std::vector<int>&)>& f) {
  std::vector<std::vector<int>> words = {{}};
  for (size_t i = 0; i < words.size(); ++i) {
    f(words[i]);
    if (static_cast<int>(words[i].size()) == max_len) continue;
    for (int a = 0; a < symbols; ++a) {
      std::vector<int> w = words[i];
      w.push_back(a);
      words.push_back(std::move(w));
    }
  }
}

Dfa random_dfa(std::mt19937& rng, int n, int k) {
  std::vector<int> table(static_cast<size_t>(n) * k);
  std::vector<uint8_t> acc(n);
  for (int& x : table) x = static_cast<int>(rng() % n);
  for (auto& a : acc) a = rng() % 3 == 0;
  const std::vector<std::string> names = {"a", "b", "c"};
  return build_dfa(std::vector<std::string>(names.begin(), names.begin() + k), n,
                   static_cast<int>(rng() % n), [&](int q) { return acc[q] != 0; },
                   [&](int q, int a) { return table[q * k + a]; });
}

TEST(DfaBuild, FromTransitionFunction) {
  // Count of b's mod 3, accepting 0.
  const Dfa d = build_dfa({"a", "b"}, 3, 0, [](int q) { return q == 0; },
                          [](int q, int a) { return a == 1 ? (q + 1) % 3 : q; });
  EXPECT_EQ(d.num_states, 3);
  EXPECT_EQ(d.alphabet, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.accepting, (std::vector<uint8_t>{1, 0, 0}));
  for_all_words(2, 7, [&](const std::vector<int>& w) {
    int bs = 0;
    for (int a : w) bs += a;
    ASSERT_EQ(d.accepts(w), bs % 3 == 0);
  });
  EXPECT_THROW(build_dfa({"a"}, 2, 0, [](int) { return true; }, [](int, int) { return 2; }),
               std::invalid_argument);  // transition out of range
  EXPECT_THROW(build_dfa({"a"}, 0, 0, [](int) { return true; }, [](int, int) { return 0; }),
               std::invalid_argument);  // no states
}

TEST(DfaBuild, StateMapSendsEachStateToTheMinimalStateOfItsWords) {
  std::mt19937 rng(7);
  int mapped = 0, merged = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const Dfa raw = random_dfa(rng, 1 + static_cast<int>(rng() % 9), 1 + static_cast<int>(rng() % 3));
    const Dfa min = minimize(raw);
    const std::vector<int> map = state_map(raw, min);
    ASSERT_EQ(map.size(), static_cast<size_t>(raw.num_states));
    // Every word reaches map[raw state] in the minimal DFA; unreached states map to -1.
    std::vector<uint8_t> reached(raw.num_states, 0);
    for_all_words(raw.num_symbols(), raw.num_states - 1, [&](const std::vector<int>& w) {
      const int q = raw.run(w);
      reached[q] = 1;
      ASSERT_EQ(map[q], min.run(w)) << "trial " << trial;
    });
    for (int q = 0; q < raw.num_states; ++q) {
      if (!reached[q]) EXPECT_EQ(map[q], -1) << "trial " << trial << " state " << q;
      mapped += map[q] >= 0;
    }
    merged += min.num_states < raw.num_states;
  }
  EXPECT_GT(mapped, 500);
  EXPECT_GT(merged, 50);  // the trials do exercise merging
  Dfa other = minimize(build_dfa({"x"}, 1, 0, [](int) { return true; }, [](int, int) { return 0; }));
  EXPECT_THROW(state_map(build_dfa({"a"}, 1, 0, [](int) { return true; }, [](int, int) { return 0; }), other),
               std::invalid_argument);
}

TEST(DfaBuild, LiveStatesAreThoseThatReachAnAcceptingState) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const Dfa d = random_dfa(rng, 1 + static_cast<int>(rng() % 10), 1 + static_cast<int>(rng() % 3));
    const std::vector<uint8_t> live = live_states(d);
    ASSERT_EQ(live.size(), static_cast<size_t>(d.num_states));
    for (int q = 0; q < d.num_states; ++q) {
      // Forward search from q (independent of the backward search under test).
      std::vector<uint8_t> seen(d.num_states, 0);
      std::vector<int> stack{q};
      seen[q] = 1;
      bool reaches = false;
      while (!stack.empty()) {
        const int x = stack.back();
        stack.pop_back();
        reaches = reaches || d.accepting[x];
        for (int a = 0; a < d.num_symbols(); ++a)
          if (!seen[d.next(x, a)]) {
            seen[d.next(x, a)] = 1;
            stack.push_back(d.next(x, a));
          }
      }
      EXPECT_EQ(live[q] != 0, reaches) << "trial " << trial << " state " << q;
    }
  }
  // (ab)* with a dead state: exactly one dead state.
  const Dfa ab = build_dfa({"a", "b"}, 3, 0, [](int q) { return q == 0; },
                           [](int q, int a) { return q == 2 ? 2 : (q == 0 ? (a == 0 ? 1 : 2) : (a == 1 ? 0 : 2)); });
  EXPECT_EQ(live_states(ab), (std::vector<uint8_t>{1, 1, 0}));
}

}  // namespace
}  // namespace goose::automata
