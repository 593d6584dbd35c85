// Sampler distributions by chi-square (tests/tasks/chi_square.h: p < 1e-6, sizes that catch
// one string twice as likely): uniform strings, positives, uniform negatives, hard negatives
// (their defined distribution, computed by enumeration), the class sampler (mod-arith), the
// live sampler (dyck), and sampling at 256 after a table built for 40 had to regrow. Each
// goes through TaskBatchSource::examples, the path training data takes. PlantedBiasFails
// shows that these sizes reject a sampler with one string twice as likely.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tasks/batch_source.h"
#include "tasks/sampler.h"
#include "tasks/task.h"
#include "tests/tasks/chi_square.h"

namespace goose::tasks {
namespace {

using testing::chi_square;
using testing::ChiSquare;
using testing::power_samples;
using Word = std::vector<int32_t>;
using Counts = std::map<Word, int64_t>;
using Expected = std::map<Word, double>;

std::string text(const Task& task, const Word& w) {
  std::string s;
  for (int32_t a : w) s += task.dfa.alphabet[a];
  return s;
}

std::vector<Word> all_words(int symbols, int n) {
  std::vector<Word> words = {{}};
  for (int i = 0; i < n; ++i) {
    std::vector<Word> next;
    for (const Word& w : words)
      for (int a = 0; a < symbols; ++a) {
        Word v = w;
        v.push_back(a);
        next.push_back(std::move(v));
      }
    words = std::move(next);
  }
  return words;
}

bool accepts(const Task& task, const Word& w) { return task.dfa.accepts(std::vector<int>(w.begin(), w.end())); }

// Expected counts `draws` / |set| on every word of length n that `in_set` keeps.
Expected uniform_over(const Task& task, int n, const std::function<bool(const Word&)>& in_set, int64_t draws,
                      int64_t* size = nullptr) {
  std::vector<Word> kept;
  for (const Word& w : all_words(task.num_symbols(), n))
    if (in_set(w)) kept.push_back(w);
  Expected e;
  for (const Word& w : kept) e[w] = static_cast<double>(draws) / kept.size();
  if (size) *size = static_cast<int64_t>(kept.size());
  return e;
}

void expect_fits(const Task& task, const Counts& counts, const Expected& expected, int constraints,
                 const std::string& what) {
  const ChiSquare r = chi_square(counts, expected, constraints, [&](const Word& w) { return text(task, w); });
  EXPECT_TRUE(r.impossible.empty()) << what << ": drew an impossible string " << r.impossible;
  EXPECT_LE(r.statistic, r.critical) << what << ": chi-square " << r.statistic << " on " << r.dof
                                     << " degrees of freedom (critical at p = 1e-6: " << r.critical << ")";
}

TEST(Sampler, UniformStrings) {
  const Task task = make_task("tomita:3");
  const TaskBatchSource source(task, Objective::State);
  const int64_t draws = power_samples(512);
  Counts counts;
  for (const Example& ex : source.examples(draws, 9, 9, 1)) {
    ASSERT_EQ(ex.kind, SampleKind::Uniform);
    ++counts[ex.symbols];
  }
  expect_fits(task, counts, uniform_over(task, 9, [](const Word&) { return true; }, draws), 1, "uniform strings");
}

TEST(Sampler, PositivesAndUniformNegatives) {
  // Balanced accept batches: sequence i even is a positive, i = 1 mod 4 a uniform negative.
  const Task task = make_task("tomita:3");
  const TaskBatchSource source(task, Objective::Accept);
  int64_t positives = 0, negatives = 0;
  uniform_over(task, 9, [&](const Word& w) { return accepts(task, w); }, 1, &positives);
  uniform_over(task, 9, [&](const Word& w) { return !accepts(task, w); }, 1, &negatives);
  const int64_t rounds = std::max(power_samples(positives) / 2, power_samples(negatives)) + 1;
  Counts pos, neg;
  const std::vector<Example> examples = source.examples(4 * rounds, 9, 9, 3);
  for (size_t i = 0; i < examples.size(); ++i) {
    if (i % 2 == 0) ++pos[examples[i].symbols];
    if (i % 4 == 1) ++neg[examples[i].symbols];
    if (i % 4 == 1) ASSERT_EQ(examples[i].kind, SampleKind::Negative);
  }
  expect_fits(task, pos, uniform_over(task, 9, [&](const Word& w) { return accepts(task, w); }, 2 * rounds), 1,
              "positives");
  expect_fits(task, neg, uniform_over(task, 9, [&](const Word& w) { return !accepts(task, w); }, rounds), 1,
              "uniform negatives");
  // A language where positives are reached through paths of unequal branching.
  const Task bb = make_task("regex:(a|bb)*");
  std::vector<uint8_t> target(bb.dfa.accepting.begin(), bb.dfa.accepting.end());
  const CountingSampler sampler(bb.dfa, target);
  Rng rng(2024);
  const int64_t draws = power_samples(13);
  Counts counts;
  for (int64_t i = 0; i < draws; ++i) {
    Word w(6);
    ASSERT_TRUE(sampler.sample(6, rng, w.data()));
    ++counts[w];
  }
  expect_fits(bb, counts, uniform_over(bb, 6, [&](const Word& w) { return accepts(bb, w); }, draws), 1,
              "positives of (a|bb)*");
}

// Hard negatives are defined as: a positive w uniform among the accepted strings of the
// length, then one substitution (position i, symbol a != w[i]) uniform among those the DFA
// rejects; a uniform negative when w has none. So P(v) = sum over accepted w with v among
// w's rejected substitutions R(w) of 1 / (#accepted |R(w)|), plus P(R(w) empty) / #rejected.
Expected hard_negative_distribution(const Task& task, int n, int64_t draws) {
  std::vector<Word> accepted, rejected;
  for (const Word& w : all_words(task.num_symbols(), n)) (accepts(task, w) ? accepted : rejected).push_back(w);
  Expected p;
  for (const Word& w : accepted) {
    std::vector<Word> subs;
    for (int i = 0; i < n; ++i)
      for (int a = 0; a < task.num_symbols(); ++a) {
        if (a == w[i]) continue;
        Word v = w;
        v[i] = a;
        if (!accepts(task, v)) subs.push_back(v);
      }
    if (subs.empty())
      for (const Word& v : rejected) p[v] += 1.0 / (accepted.size() * rejected.size());
    for (const Word& v : subs) p[v] += 1.0 / (accepted.size() * subs.size());
  }
  for (auto& [w, x] : p) x *= static_cast<double>(draws);
  return p;
}

TEST(Sampler, HardNegativesFollowTheirDefinition) {
  for (const char* spec : {"tomita:3", "regex:(a|b)*a(a|b)(a|b)@ab"}) {
    const Task task = make_task(spec);
    const TaskBatchSource source(task, Objective::Accept);
    const Expected expected_shape = hard_negative_distribution(task, 8, 1);
    // Enough draws for the least likely string to expect >= 5, and for the power of a uniform test
    // over as many strings.
    double least = 1;
    for (const auto& [w, x] : expected_shape) least = std::min(least, x);
    const int64_t draws = std::max<int64_t>(power_samples(static_cast<int64_t>(expected_shape.size())),
                                            static_cast<int64_t>(5.0 / least) + 1);
    Counts counts;
    int hard = 0;
    const std::vector<Example> examples = source.examples(4 * draws, 8, 8, 17);
    for (size_t i = 3; i < examples.size(); i += 4) {
      ++counts[examples[i].symbols];
      hard += examples[i].kind == SampleKind::HardNegative;
    }
    EXPECT_GT(hard, draws / 2) << spec;
    expect_fits(task, counts, hard_negative_distribution(task, 8, draws), 1, std::string("hard negatives of ") + spec);
  }
}

TEST(Sampler, ClassSamplerIsUniformWithinEachClass) {
  // mod-arith, accept-final: sequence i is uniform among the strings whose value is i mod 5.
  const Task task = make_task("mod-arith");
  const TaskBatchSource source(task, Objective::AcceptFinal);
  for (int n : {3, 5}) {
    std::map<int, std::vector<Word>> classes;
    for (const Word& w : all_words(task.num_symbols(), n)) {
      const int out = task.output_of(task.dfa.run(std::vector<int>(w.begin(), w.end())));
      if (out >= 0) classes[out].push_back(w);
    }
    ASSERT_EQ(classes.size(), 5u);
    size_t largest = 0;
    for (const auto& [c, words] : classes) largest = std::max(largest, words.size());
    const int64_t per_class = power_samples(static_cast<int64_t>(largest));
    const std::vector<Example> examples = source.examples(5 * per_class, n, n, 23);
    for (int c = 0; c < 5; ++c) {
      Counts counts;
      for (size_t i = c; i < examples.size(); i += 5) ++counts[examples[i].symbols];
      Expected e;
      for (const Word& w : classes[c]) e[w] = static_cast<double>(per_class) / classes[c].size();
      expect_fits(task, counts, e, 1, "mod-arith class " + std::to_string(c) + " at length " + std::to_string(n));
    }
  }
}

// Live strings: uniform among those whose every prefix can still be completed.
TEST(Sampler, LiveStringsAreUniform) {
  const Task task = make_task("dyck:2:2");
  const TaskBatchSource source(task, Objective::State);
  // Live: a valid bracket prefix (every close matches, depth never above 2), checked with a stack.
  const auto is_live = [&](const Word& w) {
    std::string stack;
    for (int32_t a : w) {
      const std::string& s = task.dfa.alphabet[a];
      if (s == "(" || s == "[") {
        stack += s;
        if (stack.size() > 2) return false;
      } else {
        if (stack.empty() || stack.back() != (s == ")" ? '(' : '[')) return false;
        stack.pop_back();
      }
    }
    return true;
  };
  int64_t m = 0;
  uniform_over(task, 7, is_live, 1, &m);
  const int64_t draws = power_samples(m);
  Counts counts;
  for (const Example& ex : source.examples(draws, 7, 7, 5)) {
    ASSERT_EQ(ex.kind, SampleKind::Live);
    ++counts[ex.symbols];
  }
  expect_fits(task, counts, uniform_over(task, 7, is_live, draws), 1, "live dyck:2:2 strings");
}

// dyck:1:3 live strings of length 256 after the sampler's tables were built for 40: three
// windows of 8 symbols (the first, the last, and the one across remaining length 40, where
// the regrown rows meet the old ones) against the exact distribution from the depth
// recurrences C_r(h) (valid continuations of r symbols from depth h) and F_t(h) (valid
// prefixes of t symbols ending at depth h), computed here independently of the sampler.
TEST(Sampler, RegrownTablesStayUniform) {
  const Task task = make_task("dyck:1:3");
  ASSERT_EQ(task.dfa.alphabet, (std::vector<std::string>{"(", ")"}));
  const TaskBatchSource source(task, Objective::State);
  source.examples(4, 40, 40, 1);  // builds the counting table for length 40
  constexpr int kLen = 256, kWindow = 8, kDepth = 3;
  auto step = [&](const std::vector<long double>& v) {  // one symbol more, rescaled
    std::vector<long double> out(kDepth + 1, 0);
    long double top = 0;
    for (int h = 0; h <= kDepth; ++h) {
      out[h] = (h < kDepth ? v[h + 1] : 0) + (h > 0 ? v[h - 1] : 0);
      top = std::max(top, out[h]);
    }
    for (auto& x : out) x /= top;
    return out;
  };
  std::vector<std::vector<long double>> completions(1, std::vector<long double>(kDepth + 1, 1)),
      prefixes(1, std::vector<long double>(kDepth + 1, 0));
  prefixes[0][0] = 1;
  for (int r = 1; r <= kLen; ++r) {
    completions.push_back(step(completions.back()));
    prefixes.push_back(step(prefixes.back()));
  }
  // Depth after reading w from depth h, or -1 when w leaves [0, 3].
  auto walk = [&](int h, const Word& w) {
    for (int a : w) {
      h += a == 0 ? 1 : -1;
      if (h < 0 || h > kDepth) return -1;
    }
    return h;
  };
  const std::vector<int> starts = {0, kLen - 40 - kWindow / 2, kLen - kWindow};
  std::vector<Expected> shapes(starts.size());
  int64_t draws = 0;
  for (size_t k = 0; k < starts.size(); ++k) {
    for (const Word& w : all_words(2, kWindow)) {
      double p = 0;
      for (int h = 0; h <= kDepth; ++h) {
        const int end = walk(h, w);
        if (end >= 0)
          p += static_cast<double>(prefixes[starts[k]][h] * completions[kLen - starts[k] - kWindow][end]);
      }
      if (p > 0) shapes[k][w] = p;
    }
    draws = std::max(draws, power_samples(static_cast<int64_t>(shapes[k].size())));
  }
  std::vector<Counts> counts(starts.size());
  for (const Example& ex : source.examples(draws, kLen, kLen, 9)) {
    ASSERT_EQ(ex.kind, SampleKind::Live);
    for (size_t k = 0; k < starts.size(); ++k)
      ++counts[k][Word(ex.symbols.begin() + starts[k], ex.symbols.begin() + starts[k] + kWindow)];
  }
  for (size_t k = 0; k < starts.size(); ++k) {
    double total = 0;
    for (const auto& [w, x] : shapes[k]) total += x;
    for (auto& [w, x] : shapes[k]) x *= draws / total;
    expect_fits(task, counts[k], shapes[k], 1, "8 symbols from position " + std::to_string(starts[k]) + " of 256");
  }
}

// A table grown from 40 to 256 holds the same numbers as one built for 256 at once.
TEST(Sampler, RegrownTablesSampleLikeFreshOnes) {
  const Task task = make_task("dyck:2:3");
  std::vector<uint8_t> target(task.dfa.accepting.begin(), task.dfa.accepting.end());
  const CountingSampler grown(task.dfa, target), fresh(task.dfa, target);
  Rng warm(1);
  Word w(40);
  ASSERT_TRUE(grown.sample(40, warm, w.data()));
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Rng a(seed), b(seed);
    Word x(256), y(256);
    ASSERT_TRUE(grown.sample(256, a, x.data()));
    ASSERT_TRUE(fresh.sample(256, b, y.data()));
    ASSERT_EQ(x, y) << seed;
    EXPECT_TRUE(accepts(task, x));
  }
}

// The sizes above reject a sampler that draws one string twice as often as the others.
TEST(Sampler, PlantedBiasFails) {
  for (const char* spec : {"tomita:3", "regex:(a|bb)*"}) {
    const Task task = make_task(spec);
    const int n = 9;
    int64_t m = 0;
    Expected e = uniform_over(task, n, [&](const Word& w) { return accepts(task, w); }, 1, &m);
    const int64_t draws = power_samples(m);
    for (auto& [w, x] : e) x *= static_cast<double>(draws);
    std::vector<uint8_t> target(task.dfa.accepting.begin(), task.dfa.accepting.end());
    const CountingSampler sampler(task.dfa, target);
    Rng rng(99), coin(7);
    const Word planted = e.begin()->first;
    Counts fair, biased;
    for (int64_t i = 0; i < draws; ++i) {
      Word w(n);
      ASSERT_TRUE(sampler.sample(n, rng, w.data()));
      ++fair[w];
      // With probability 1/m the draw is replaced by `planted`: about twice as likely.
      ++biased[coin.below(static_cast<uint32_t>(m)) == 0 ? planted : w];
    }
    const auto name = [&](const Word& w) { return text(task, w); };
    EXPECT_TRUE(chi_square(fair, e, 1, name).passes()) << spec;
    const ChiSquare r = chi_square(biased, e, 1, name);
    EXPECT_FALSE(r.passes()) << spec << ": a planted bias went unnoticed (chi-square " << r.statistic
                             << ", critical " << r.critical << ", " << m << " strings, " << draws << " draws)";
  }
}

}  // namespace
}  // namespace goose::tasks
