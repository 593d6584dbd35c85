// The true chance level (TaskBatchSource::chance_accuracy): known values (S5 with
// transpositions, parity, Z60, a position-dependent regex), the steady-state tail against a
// plain propagation, a brute-force enumeration of every string for small lengths on many
// tasks and every objective (an independent computation), an empirical check on batches from
// sample(), and lengths of 10,000.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "automata/dfa_build.h"
#include "tasks/batch_source.h"
#include "tasks/chance.h"
#include "tasks/labeling.h"
#include "tasks/task.h"

namespace goose::tasks {
namespace {

using Word = std::vector<int32_t>;

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

struct Sums {
  double correct = 0;
  double labelled = 0;
  bool usable = true;  // every class sample() needs has a string of this length
};

// Enumerates every string of length n with the probability sample() gives it, then the best
// guess per position: sum_t max_label P(label at t), and sum_t P(labelled at t).
Sums brute_force(const TaskBatchSource& source, int n) {
  const Task& task = source.task();
  const Objective objective = source.objective();
  const std::vector<Word> words = all_words(task.num_symbols(), n);
  auto final_output = [&](const Word& w) { return task.output_of(task.dfa.run(std::vector<int>(w.begin(), w.end()))); };
  std::vector<double> p(words.size(), 0.0);
  auto spread = [&](double weight, const std::function<bool(const Word&)>& keep) {
    size_t kept = 0;
    for (const Word& w : words) kept += keep(w);
    if (kept == 0) return false;
    for (size_t i = 0; i < words.size(); ++i)
      if (keep(words[i])) p[i] += weight / kept;
    return true;
  };
  Sums sums;
  if (objective == Objective::State) {
    const std::vector<uint8_t> live = automata::live_states(task.dfa);
    const auto is_live = [&](const Word& w) { return live[task.dfa.run(std::vector<int>(w.begin(), w.end()))] != 0; };
    if (!task.live_only || !spread(1.0, is_live)) spread(1.0, [](const Word&) { return true; });
  } else if (!task.outputs.empty()) {
    const int classes = task.num_outputs();
    for (int c = 0; c < classes; ++c)
      sums.usable = spread(1.0 / classes, [&](const Word& w) { return final_output(w) == c; }) && sums.usable;
  } else {
    sums.usable = spread(0.5, [&](const Word& w) { return final_output(w) == 1; });
    sums.usable = spread(0.25, [&](const Word& w) { return final_output(w) == 0; }) && sums.usable;
    if (!sums.usable) return sums;
    // Hard negatives: uniform positive, then a uniform rejected substitution (else a uniform negative).
    std::map<Word, size_t> index;
    for (size_t i = 0; i < words.size(); ++i) index[words[i]] = i;
    size_t accepted = 0, rejected = 0;
    for (const Word& w : words) (final_output(w) == 1 ? accepted : rejected)++;
    for (const Word& w : words) {
      if (final_output(w) != 1) continue;
      std::vector<size_t> subs;
      for (int i = 0; i < n; ++i)
        for (int a = 0; a < task.num_symbols(); ++a) {
          if (a == w[i]) continue;
          Word v = w;
          v[i] = a;
          if (final_output(v) == 0) subs.push_back(index[v]);
        }
      if (subs.empty()) {
        for (size_t i = 0; i < words.size(); ++i)
          if (final_output(words[i]) == 0) p[i] += 0.25 / (accepted * rejected);
      }
      for (size_t v : subs) p[v] += 0.25 / (accepted * subs.size());
    }
  }
  for (int t = 0; t < n; ++t) {
    std::map<int64_t, double> label_p;
    for (size_t i = 0; i < words.size(); ++i) {
      if (p[i] == 0) continue;
      const int64_t label = label_word(task, objective, words[i])[t];
      if (label != core::kIgnoreIndex) label_p[label] += p[i];
    }
    double best = 0;
    for (const auto& [label, q] : label_p) {
      best = std::max(best, q);
      sums.labelled += q;
    }
    sums.correct += best;
  }
  return sums;
}

double brute_force_chance(const TaskBatchSource& source, int min_len, int max_len) {
  double correct = 0, labelled = 0;
  for (int n = min_len; n <= max_len; ++n) {
    const Sums s = brute_force(source, n);
    if (!s.usable) continue;  // sample() never draws this length
    correct += s.correct;
    labelled += s.labelled;
  }
  return correct / labelled;
}

TEST(Chance, S5WithTranspositionsIsOneSixtiethNotOneHundredTwentieth) {
  // The sign of the prefix product is fixed by the position, so only 60 labels are possible.
  const Task task = make_task("group:S5@transpositions");
  const UniformStateChance chance(task.dfa);
  EXPECT_DOUBLE_EQ(chance.best_at(1), 0.1);  // one of the 10 transpositions
  EXPECT_DOUBLE_EQ(chance.best_at(2), 0.1);  // the identity: the same transposition twice
  for (int t = 60; t <= 1000; t += 47) EXPECT_NEAR(chance.best_at(t), 1.0 / 60, 1e-12) << t;
  EXPECT_EQ(chance.period(), 2);  // the steady state alternates even and odd permutations
  const TaskBatchSource source(task, Objective::State);
  EXPECT_NEAR(source.chance_accuracy(10000, 10000), 1.0 / 60, 1e-4);
  EXPECT_GT(source.chance_accuracy(10000, 10000), 1.0 / 60);  // early positions are easier
  EXPECT_LT(source.chance_accuracy(100, 100), 1.0 / 60 + 0.01);
  EXPECT_GT(source.chance_accuracy(100, 100), 1.0 / 100);  // never the 1/120 of a constant guess
  EXPECT_NEAR(source.chance_accuracy(1, 1), 0.1, 1e-15);
  EXPECT_NEAR(source.chance_accuracy(2, 2), 0.1, 1e-15);
}

TEST(Chance, KnownConstantLevels) {
  const TaskBatchSource parity(make_task("parity"), Objective::State);
  for (auto [lo, hi] : {std::pair{1, 1}, {3, 40}, {256, 256}}) EXPECT_NEAR(parity.chance_accuracy(lo, hi), 0.5, 1e-14);
  const TaskBatchSource z60(make_task("group:Z60"), Objective::State);
  for (auto [lo, hi] : {std::pair{1, 1}, {5, 9}, {100, 100}}) EXPECT_NEAR(z60.chance_accuracy(lo, hi), 1.0 / 60, 1e-14);
  // Accept-final batches are balanced: 1 / classes.
  EXPECT_DOUBLE_EQ(TaskBatchSource(make_task("tomita:3"), Objective::AcceptFinal).chance_accuracy(3, 40), 0.5);
  EXPECT_DOUBLE_EQ(TaskBatchSource(make_task("mod-arith"), Objective::AcceptFinal).chance_accuracy(1, 21), 0.2);
  // A single generator of Z97: every label is determined by the position (period 97 > 64, so
  // no steady-state shortcut: computed position by position).
  const Task z97 = make_task("group:Z97@1");
  const TaskBatchSource cycle(z97, Objective::State);
  EXPECT_NEAR(cycle.chance_accuracy(1, 10000), 1.0, 1e-12);
  const UniformStateChance z97_chance(z97.dfa);
  z97_chance.best_sum(1000);
  EXPECT_EQ(z97_chance.period(), 0);
}

TEST(Chance, VariesWithPosition) {
  // State labels of "third symbol from the end is a": the minimal DFA remembers the last three
  // symbols, so after t symbols 2^min(t,3) states are equally likely.
  const TaskBatchSource source(make_task("regex:(a|b)*a(a|b)(a|b)@ab"), Objective::State);
  EXPECT_NEAR(source.chance_accuracy(1, 1), 0.5, 1e-15);
  EXPECT_NEAR(source.chance_accuracy(2, 2), (0.5 + 0.25) / 2, 1e-15);
  EXPECT_NEAR(source.chance_accuracy(3, 3), (0.5 + 0.25 + 0.125) / 3, 1e-15);
  EXPECT_NEAR(source.chance_accuracy(1, 3), (0.5 + 0.75 + 0.875) / (1 + 2 + 3), 1e-15);
  EXPECT_NEAR(source.chance_accuracy(1000, 1000), (0.5 + 0.25 + 0.125 * 998) / 1000, 1e-12);
  // tomita:4: the dead state takes over as the length grows.
  const TaskBatchSource t4(make_task("tomita:4"), Objective::State);
  EXPECT_LT(t4.chance_accuracy(2, 2), t4.chance_accuracy(50, 50));
  EXPECT_GT(t4.chance_accuracy(500, 500), 0.95);
}

// The steady-state tail (copying values one period back) against plain propagation.
TEST(Chance, SteadyStateTailMatchesPlainPropagation) {
  for (const char* spec : {"group:S5@transpositions", "parity", "tomita:4", "group:Z60@1", "cycle-nav",
                           "regex:(a|b)*a(a|b)(a|b)@ab", "group:D4@s0,s1"}) {
    const Task task = make_task(spec);
    const UniformStateChance chance(task.dfa);
    std::vector<double> pi(task.dfa.num_states, 0.0), next;
    pi[task.dfa.start] = 1;
    double sum = 0;
    for (int t = 1; t <= 3000; ++t) {
      next.assign(pi.size(), 0.0);
      for (int q = 0; q < task.dfa.num_states; ++q)
        for (int a = 0; a < task.num_symbols(); ++a) next[task.dfa.next(q, a)] += pi[q] / task.num_symbols();
      pi = next;
      const double best = *std::max_element(pi.begin(), pi.end());
      sum += best;
      ASSERT_NEAR(chance.best_at(t), best, 1e-12) << spec << " position " << t;
    }
    EXPECT_NEAR(chance.best_sum(3000), sum, 1e-9) << spec;
  }
}

struct BruteCase {
  std::string spec;
  Objective objective;
  int min_len, max_len;
};

TEST(Chance, AgreesWithBruteForceEnumeration) {
  const std::vector<BruteCase> cases = {
      {"parity", Objective::State, 1, 10},         {"parity", Objective::Accept, 2, 9},
      {"tomita:1", Objective::State, 1, 9},        {"tomita:2", Objective::Accept, 1, 9},
      {"tomita:3", Objective::State, 3, 10},       {"tomita:3", Objective::Accept, 1, 9},
      {"tomita:4", Objective::State, 1, 10},       {"tomita:4", Objective::Accept, 4, 9},
      {"tomita:5", Objective::Accept, 2, 8},       {"tomita:6", Objective::State, 1, 9},
      {"tomita:7", Objective::Accept, 1, 9},       {"even-pairs", Objective::Accept, 2, 9},
      {"cycle-nav", Objective::State, 1, 7},       {"cycle-nav", Objective::Accept, 1, 7},
      {"mod-arith", Objective::State, 1, 5},       {"mod-arith", Objective::Accept, 1, 5},
      {"mod-arith", Objective::AcceptFinal, 1, 5}, {"dyck:2:2", Objective::State, 1, 7},
      {"dyck:1:3", Objective::Accept, 2, 10},      {"dyck:2:2", Objective::Accept, 2, 6},
      {"group:S3", Objective::State, 1, 5},        {"group:D4@s0,s1", Objective::Accept, 1, 9},
      {"regex:(a|b)*a(a|b)(a|b)@ab", Objective::Accept, 3, 10},
      {"regex:(ab)*", Objective::AcceptFinal, 1, 8},
  };
  for (const auto& c : cases) {
    const TaskBatchSource source(make_task(c.spec), c.objective);
    const double exact = brute_force_chance(source, c.min_len, c.max_len);
    const double computed = source.chance_accuracy(c.min_len, c.max_len);
    // Accept/reject tasks under `accept` estimate their hard-negative quarter by Monte Carlo.
    const bool monte_carlo = c.objective == Objective::Accept && source.task().outputs.empty();
    EXPECT_NEAR(computed, exact, monte_carlo ? 0.01 : 1e-9)
        << c.spec << " " << to_string(c.objective) << " " << c.min_len << ".." << c.max_len;
    // Single lengths too: each length is weighted by its own labelled positions.
    if (brute_force(source, c.max_len).usable)
      EXPECT_NEAR(source.chance_accuracy(c.max_len, c.max_len), brute_force_chance(source, c.max_len, c.max_len),
                monte_carlo ? 0.01 : 1e-9)
        << c.spec << " " << to_string(c.objective) << " at " << c.max_len;
  }
}

// Batches from sample(): the best (length, position)-aware guess measured on them matches.
TEST(Chance, MatchesTheBestGuessOnSampledBatches) {
  const std::vector<BruteCase> cases = {
      {"tomita:3", Objective::Accept, 6, 10}, {"tomita:4", Objective::State, 1, 12},
      {"mod-arith", Objective::Accept, 3, 9}, {"dyck:2:3", Objective::State, 4, 8},
      {"group:S3", Objective::State, 2, 6},
  };
  for (const auto& c : cases) {
    const TaskBatchSource source(make_task(c.spec), c.objective);
    std::map<std::pair<int64_t, int64_t>, std::map<int64_t, int64_t>> counts;  // (n, t) -> label -> count
    for (uint64_t batch = 0; batch < 100; ++batch) {
      const core::Batch b = source.sample(400, c.min_len, c.max_len, batch);
      const auto targets = b.targets.accessor<int64_t, 2>();
      for (int64_t i = 0; i < 400; ++i) {
        const int64_t n = b.lengths[i].item<int64_t>();
        for (int64_t t = 1; t <= n; ++t)
          if (targets[i][t] != core::kIgnoreIndex) ++counts[{n, t}][targets[i][t]];
      }
    }
    double correct = 0, labelled = 0;
    for (const auto& [key, labels] : counts) {
      int64_t best = 0;
      for (const auto& [label, k] : labels) {
        best = std::max(best, k);
        labelled += static_cast<double>(k);
      }
      correct += static_cast<double>(best);
    }
    EXPECT_NEAR(source.chance_accuracy(c.min_len, c.max_len), correct / labelled, 0.01)
        << c.spec << " " << to_string(c.objective);
  }
}

// Languages whose random strings mostly die (mod-arith, dyck): the distribution of the strings
// actually drawn must not fade with the dead strings' share as the length grows.
TEST(Chance, LongStringsOfMostlyDeadLanguages) {
  const std::vector<std::pair<std::string, Objective>> cases = {
      {"mod-arith", Objective::State}, {"dyck:2:3", Objective::State}, {"mod-arith", Objective::Accept},
      {"dyck:1:4", Objective::Accept}};
  for (const auto& [spec, objective] : cases) {
    const TaskBatchSource source(make_task(spec), objective);
    // The best label at a position has probability at least 1 / (number of labels). Two
    // lengths each, as only odd (mod-arith) or even (dyck) ones have every class.
    const double near = source.chance_accuracy(2000, 2001), far = source.chance_accuracy(8000, 8001);
    EXPECT_GE(far, 1.0 / source.num_classes()) << spec;
    EXPECT_NEAR(near, far, 0.01) << spec << " " << to_string(objective);  // a steady level, not a fade
  }
  // Against the best guess measured on 3000 drawn strings of length 3001.
  for (const char* spec : {"mod-arith", "dyck:2:3"}) {
    const TaskBatchSource source(make_task(spec), Objective::State);
    const int64_t n = 3001;
    std::vector<std::map<int64_t, int64_t>> counts(n);
    for (const Example& ex : source.examples(3000, n, n, 77))
      for (int64_t t = 0; t < n; ++t) ++counts[t][ex.labels[t]];
    double best = 0;
    for (const auto& c : counts) {
      int64_t top = 0;
      for (const auto& [label, k] : c) top = std::max(top, k);
      best += static_cast<double>(top) / 3000;
    }
    EXPECT_NEAR(source.chance_accuracy(n, n), best / n, 0.02) << spec;
  }
}

TEST(Chance, LongLengthsAreQuick) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::pair<std::string, Objective>> cases = {
      {"group:S5@transpositions", Objective::State}, {"group:S5", Objective::State},
      {"mod-arith", Objective::State},               {"dyck:2:3", Objective::State},
      {"tomita:3", Objective::Accept},               {"mod-arith", Objective::Accept},
      {"group:A4xZ5", Objective::AcceptFinal}};
  for (const auto& [spec, objective] : cases) {
    const TaskBatchSource source(make_task(spec), objective);
    const double chance = source.chance_accuracy(10001, 10001);  // odd: mod-arith ends in a number
    EXPECT_GT(chance, 0) << spec;
    EXPECT_LE(chance, 1) << spec;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("chance at length 10001 for %zu task/objective pairs: %.2f s\n", cases.size(), seconds);
  EXPECT_LT(seconds, 60.0);  // generous: a quadratic algorithm would take hours
  // Repeated calls are served from the cache.
  const TaskBatchSource dyck(make_task("dyck:2:3"), Objective::State);
  dyck.chance_accuracy(3000, 3000);
  const auto again = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) dyck.chance_accuracy(3000, 3000);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - again).count(), 1.0);
}

TEST(Chance, BadRangesAreErrors) {
  const TaskBatchSource parity(make_task("parity"), Objective::State);
  EXPECT_THROW(parity.chance_accuracy(0, 5), std::invalid_argument);
  EXPECT_THROW(parity.chance_accuracy(6, 5), std::invalid_argument);
  const TaskBatchSource even(make_task("regex:(ab)*"), Objective::AcceptFinal);
  EXPECT_THROW(even.chance_accuracy(3, 3), std::invalid_argument);  // no positive of length 3
}

}  // namespace
}  // namespace goose::tasks
