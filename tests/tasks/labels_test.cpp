// Labels of every built-in task against an independent computation, one check per family,
// looping over the registry's built-in list (a new family without a check fails here):
// direct predicates for parity, even-pairs, cycle-nav and the Tomita grammars, direct
// evaluation with precedence for mod-arith, a stack for dyck (every K, D in 1..4), the
// test-only backtracking matcher for regexes, permutation products for groups. Words:
// every word up to a length, uniform random words, and balanced accept/reject samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "automata/group.h"
#include "tasks/batch_source.h"
#include "tasks/labeling.h"
#include "tasks/registry.h"
#include "tasks/task.h"
#include "tests/support/backtrack_matcher.h"

namespace goose::tasks {
namespace {

using core::kIgnoreIndex;
using Word = std::vector<std::string>;  // symbol names

int count(const Word& w, const std::string& s) { return static_cast<int>(std::count(w.begin(), w.end(), s)); }

std::string concat(const Word& w) {
  std::string s;
  for (const auto& x : w) s += x;
  return s;
}

// Tomita grammars as direct predicates on the string (not the DFA).
bool tomita(int n, const std::string& s) {
  std::vector<std::pair<char, int>> runs;  // runs of equal symbols, as (symbol, length)
  for (char c : s) {
    if (runs.empty() || runs.back().first != c) runs.push_back({c, 0});
    ++runs.back().second;
  }
  const auto zeros = std::count(s.begin(), s.end(), '0'), ones = std::count(s.begin(), s.end(), '1');
  switch (n) {
    case 1: return zeros == 0;
    case 2: {
      if (s.size() % 2) return false;
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i] != (i % 2 ? '0' : '1')) return false;
      return true;
    }
    case 3:
      for (size_t i = 0; i + 1 < runs.size(); ++i)
        if (runs[i].first == '1' && runs[i].second % 2 == 1 && runs[i + 1].second % 2 == 1) return false;
      return true;
    case 4: return s.find("000") == std::string::npos;
    case 5: return zeros % 2 == 0 && ones % 2 == 0;
    case 6: return (zeros - ones) % 3 == 0;
    case 7: {
      std::string shape;
      for (const auto& r : runs) shape += r.first;
      for (const char* ok : {"", "0", "1", "01", "10", "010", "101", "0101"})
        if (shape == ok) return true;
      return false;
    }
  }
  ADD_FAILURE() << "no Tomita grammar " << n;
  return false;
}

// Value mod 5 of digit (op digit)* with * before + and -; -1 when not such an expression.
int evaluate(const std::string& s) {
  if (s.size() % 2 == 0) return -1;
  for (size_t i = 0; i < s.size(); ++i)
    if ((s[i] >= '0' && s[i] <= '4') != (i % 2 == 0)) return -1;
  int sum = 0, term = s[0] - '0', sign = 1;
  for (size_t i = 1; i < s.size(); i += 2) {
    const int x = s[i + 1] - '0';
    if (s[i] == '*') {
      term *= x;
    } else {
      sum += sign * term;
      sign = s[i] == '+' ? 1 : -1;
      term = x;
    }
  }
  sum += sign * term;
  return ((sum % 5) + 5) % 5;
}

// Balanced brackets of the types in `kinds` ("([{<" prefix), nesting depth at most `depth`.
bool dyck(const std::string& s, int types, int depth) {
  const std::string open = std::string("([{<").substr(0, types), close = std::string(")]}>").substr(0, types);
  std::string stack;
  for (char c : s) {
    if (open.find(c) != std::string::npos) {
      stack += c;
      if (static_cast<int>(stack.size()) > depth) return false;
    } else {
      const size_t k = close.find(c);
      if (k == std::string::npos || stack.empty() || stack.back() != open[k]) return false;
      stack.pop_back();
    }
  }
  return stack.empty();
}

// The accept-style label an independent computation gives a prefix: 0/1, a class, or -1.
using AcceptOracle = std::function<int(const std::string& spec, const Word& prefix)>;
// Extra checks on the state labels of a word (groups, cycle-nav).
using StateOracle = std::function<void(const Task&, const std::vector<int32_t>&, const std::vector<int64_t>&)>;

struct FamilyCheck {
  AcceptOracle accept;
  StateOracle states;
};

std::string argument(const std::string& spec) { return spec.substr(spec.find(':') + 1); }

// Permutation products: label t must be the element whose permutation is the product of the
// first t+1 inputs' permutations (composed directly, not through the multiplication table).
void check_group_states(const Task& task, const std::vector<int32_t>& word, const std::vector<int64_t>& states) {
  const automata::FiniteGroup& g = *task.group;
  automata::Permutation product = g.elements[g.identity()];
  for (size_t t = 0; t < word.size(); ++t) {
    const int x = g.index_of(task.dfa.alphabet[word[t]]);
    ASSERT_GE(x, 0) << task.dfa.alphabet[word[t]];
    product = automata::compose(product, g.elements[x]);
    ASSERT_EQ(g.elements[states[t]], product) << task.spec << " position " << t;
  }
}

const std::map<std::string, FamilyCheck>& family_checks() {
  static const std::map<std::string, FamilyCheck> checks = {
      {"parity", {[](const std::string&, const Word& w) { return count(w, "1") % 2; }, nullptr}},
      {"even-pairs",
       {[](const std::string&, const Word& w) {
          int pairs = 0;
          for (size_t i = 1; i < w.size(); ++i) pairs += w[i] != w[i - 1];
          return pairs % 2 == 0 ? 1 : 0;
        },
        nullptr}},
      {"cycle-nav",
       {[](const std::string& spec, const Word& w) {
          const int n = spec.find(':') == std::string::npos ? 5 : std::stoi(argument(spec));
          return ((count(w, "+") - count(w, "-")) % n + n) % n == 0 ? 1 : 0;
        },
        [](const Task& task, const std::vector<int32_t>& word, const std::vector<int64_t>& states) {
          // The state is the position: named by it, reached by counting moves.
          const int n = task.dfa.num_states;
          int position = 0;
          for (size_t t = 0; t < word.size(); ++t) {
            const std::string& move = task.dfa.alphabet[word[t]];
            position = (position + (move == "+") - (move == "-") + n) % n;
            ASSERT_EQ(task.dfa.state_names[states[t]], std::to_string(position)) << task.spec;
          }
        }}},
      {"mod-arith", {[](const std::string&, const Word& w) { return evaluate(concat(w)); }, nullptr}},
      {"tomita",
       {[](const std::string& spec, const Word& w) { return tomita(std::stoi(argument(spec)), concat(w)) ? 1 : 0; },
        nullptr}},
      {"dyck",
       {[](const std::string& spec, const Word& w) {
          const std::string a = argument(spec);
          return dyck(concat(w), std::stoi(a.substr(0, a.find(':'))), std::stoi(a.substr(a.find(':') + 1))) ? 1 : 0;
        },
        nullptr}},
      {"regex",
       {[](const std::string& spec, const Word& w) {
          static std::map<std::string, std::unique_ptr<goose::testing::BacktrackMatcher>> matchers;
          auto& m = matchers[spec];
          if (!m) {
            const std::string body = argument(spec);
            const size_t at = body.rfind('@');
            m = std::make_unique<goose::testing::BacktrackMatcher>(
                body.substr(0, at), at == std::string::npos ? "" : body.substr(at + 1));
          }
          return m->matches(concat(w)) ? 1 : 0;
        },
        nullptr}},
      {"group",
       {[](const std::string& spec, const Word& w) {
          // Accepts the words whose product is the identity: multiply the permutations.
          static std::map<std::string, Task> tasks;  // only for their element permutations
          if (!tasks.count(spec)) tasks.emplace(spec, make_task(spec));
          const automata::FiniteGroup& g = *tasks.at(spec).group;
          automata::Permutation product = g.elements[g.identity()];
          for (const auto& x : w) product = automata::compose(product, g.elements[g.index_of(x)]);
          return product == g.elements[g.identity()] ? 1 : 0;
        },
        check_group_states}},
  };
  return checks;
}

// Every word up to a length (about 20000 words), 200 uniform words of lengths 1..40, and 200
// balanced accept/reject samples of lengths 1..30 (positives and hard negatives reach the
// accepting paths uniform words miss).
std::vector<std::vector<int32_t>> test_words(const Task& task) {
  std::vector<std::vector<int32_t>> words = {{}};
  const int k = task.num_symbols();
  size_t max_len = 0;
  for (double total = 1; total * k <= 20000; total *= k) ++max_len;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].size() == max_len) continue;
    for (int a = 0; a < k; ++a) {
      std::vector<int32_t> w = words[i];
      w.push_back(a);
      words.push_back(std::move(w));
    }
  }
  words.erase(words.begin());
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::vector<int32_t> w(1 + rng() % 40);
    for (auto& x : w) x = static_cast<int32_t>(rng() % k);
    words.push_back(w);
  }
  try {
    const TaskBatchSource balanced(task, Objective::AcceptFinal);
    for (const Example& ex : balanced.examples(200, 1, 30, 5)) words.push_back(ex.symbols);
  } catch (const std::invalid_argument&) {  // no length in 1..30 has every class: none added
  }
  return words;
}

void check_task(const std::string& spec, const FamilyCheck& check) {
  SCOPED_TRACE(spec);
  const Task task = make_task(spec);
  int checked = 0;
  for (const std::vector<int32_t>& word : test_words(task)) {
    const std::vector<int64_t> accept = label_word(task, Objective::Accept, word);
    Word prefix;
    for (size_t t = 0; t < word.size(); ++t) {
      prefix.push_back(task.dfa.alphabet[word[t]]);
      const int expected = check.accept(spec, prefix);
      ASSERT_EQ(accept[t], expected < 0 ? kIgnoreIndex : expected) << "prefix " << concat(prefix);
      ++checked;
    }
    const std::vector<int64_t> final_only = label_word(task, Objective::AcceptFinal, word);
    ASSERT_EQ(final_only.back(), accept.back());
    for (size_t t = 0; t + 1 < word.size(); ++t) ASSERT_EQ(final_only[t], kIgnoreIndex);
    if (check.states) check.states(task, word, label_word(task, Objective::State, word));
  }
  EXPECT_GT(checked, 5000);
}

TEST(Labels, EveryBuiltinTaskAgainstAnIndependentComputation) {
  for (const std::string& spec : builtin_specs()) {
    const std::string family = spec.substr(0, spec.find(':'));
    const auto it = family_checks().find(family);
    ASSERT_NE(it, family_checks().end()) << "no independent label check for family '" << family
                                         << "' (add one to family_checks())";
    check_task(spec, it->second);
  }
}

TEST(Labels, DyckEveryTypeCountAndDepth) {
  for (int k = 1; k <= 4; ++k)
    for (int d = 1; d <= 4; ++d) check_task("dyck:" + std::to_string(k) + ":" + std::to_string(d), family_checks().at("dyck"));
  EXPECT_EQ(make_task("dyck:3:2").dfa.num_states, 1 + 3 + 9 + 1);  // stacks of depth <= 2, and dead
}

TEST(Labels, CycleNavOtherLengths) {
  for (const char* spec : {"cycle-nav:2", "cycle-nav:7"}) check_task(spec, family_checks().at("cycle-nav"));
}

TEST(Labels, AcceptLabelsOfAKnownWord) {
  const Task task = make_task("tomita:4");
  const std::vector<int32_t> word = {0, 0, 1, 0, 0, 0, 1};  // 0010001: rejected from the third 0 on
  EXPECT_EQ(label_word(task, Objective::Accept, word), (std::vector<int64_t>{1, 1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(label_word(task, Objective::AcceptFinal, word),
            (std::vector<int64_t>{kIgnoreIndex, kIgnoreIndex, kIgnoreIndex, kIgnoreIndex, kIgnoreIndex,
                                  kIgnoreIndex, 0}));
}

}  // namespace
}  // namespace goose::tasks
