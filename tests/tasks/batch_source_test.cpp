// Samplers, labelings and batches: labels against step-by-step DFA runs and direct
// permutation products, uniformity of positives (chi-square), class balance, hard
// negatives, determinism, batch layout, length splits.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "automata/group.h"
#include "tasks/batch_source.h"
#include "tasks/labeling.h"
#include "tasks/sampler.h"
#include "tasks/split.h"
#include "tasks/task.h"

namespace goose::tasks {
namespace {

using core::kIgnoreIndex;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Labels, StateLabelsFollowTheDfaStepByStep) {
  for (const char* spec : {"parity", "tomita:3", "even-pairs", "mod-arith", "dyck:2:3", "regex:(a|bb)*c?"}) {
    const Task task = make_task(spec);
    const TaskBatchSource source(task, Objective::State);
    const core::Batch batch = source.sample(32, 1, 20, 11);
    const auto tokens = batch.tokens.accessor<int64_t, 2>();
    const auto targets = batch.targets.accessor<int64_t, 2>();
    for (int64_t b = 0; b < 32; ++b) {
      int q = task.dfa.start;
      const int64_t n = batch.lengths[b].item<int64_t>();
      for (int64_t t = 1; t <= n; ++t) {
        q = task.dfa.next(q, static_cast<int>(tokens[b][t] - 2));
        ASSERT_EQ(targets[b][t], q) << spec << " row " << b << " position " << t;
      }
    }
  }
}

TEST(Labels, AcceptLabels) {
  const Task task = make_task("tomita:4");
  const std::vector<int32_t> word = {0, 0, 1, 0, 0, 0, 1};  // 0010001: prefix 001000 onward rejected
  EXPECT_EQ(label_word(task, Objective::Accept, word), (std::vector<int64_t>{1, 1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(label_word(task, Objective::AcceptFinal, word),
            (std::vector<int64_t>{kIgnoreIndex, kIgnoreIndex, kIgnoreIndex, kIgnoreIndex, kIgnoreIndex,
                                  kIgnoreIndex, 0}));
}

TEST(Labels, GroupLabelsAreRunningProducts) {
  for (const char* spec : {"group:S5", "group:S5@transpositions", "group:A4xZ5", "group:D6@generators"}) {
    const Task task = make_task(spec);
    const automata::FiniteGroup& g = *task.group;
    const TaskBatchSource source(task, Objective::State);
    EXPECT_EQ(source.num_classes(), g.order()) << spec;
    EXPECT_DOUBLE_EQ(source.chance_accuracy(), 1.0 / g.order()) << spec;
    const core::Batch batch = source.sample(16, 1, 24, 5);
    const auto tokens = batch.tokens.accessor<int64_t, 2>();
    const auto targets = batch.targets.accessor<int64_t, 2>();
    for (int64_t b = 0; b < 16; ++b) {
      automata::Permutation product = g.elements[g.identity()];
      for (int64_t t = 1; t <= batch.lengths[b].item<int64_t>(); ++t) {
        const std::string& name = task.dfa.alphabet[tokens[b][t] - 2];
        product = automata::compose(product, g.elements[g.index_of(name)]);
        ASSERT_EQ(g.elements[targets[b][t]], product) << spec << " row " << b << " position " << t;
      }
    }
  }
}

TEST(Labels, TranspositionTaskLabelsCoverS5) {
  const TaskBatchSource source(make_task("group:S5@transpositions"), Objective::State);
  const core::Batch batch = source.sample(256, 12, 12, 3);
  std::set<int64_t> seen;
  const auto targets = batch.targets.accessor<int64_t, 2>();
  for (int64_t b = 0; b < 256; ++b)
    for (int64_t t = 1; t <= 12; ++t) seen.insert(targets[b][t]);
  EXPECT_EQ(seen.size(), 120u);
  EXPECT_EQ(source.vocab_size(), 12);
}

TEST(Sampler, PositivesAreUniform) {
  // (a|bb)* at length 6: 13 accepted strings, reached by paths of unequal branching.
  const Task task = make_task("regex:(a|bb)*");
  std::vector<uint8_t> target(task.dfa.accepting.begin(), task.dfa.accepting.end());
  const CountingSampler sampler(task.dfa, target);
  Rng rng(2024);
  std::map<std::vector<int32_t>, int> counts;
  constexpr int kSamples = 26000;
  for (int i = 0; i < kSamples; ++i) {
    std::vector<int32_t> w(6);
    ASSERT_TRUE(sampler.sample(6, rng, w.data()));
    ASSERT_TRUE(task.dfa.accepts(std::vector<int>(w.begin(), w.end())));
    ++counts[w];
  }
  ASSERT_EQ(counts.size(), 13u);
  const double expected = static_cast<double>(kSamples) / 13;
  double chi2 = 0;
  for (const auto& kv : counts) chi2 += (kv.second - expected) * (kv.second - expected) / expected;
  EXPECT_LT(chi2, 40.0);  // 12 degrees of freedom: p < 1e-4 above 40
}

TEST(Sampler, LongStringsOverLargeAlphabets) {
  // 120 symbols, length 300: counts near 120^300 overflow doubles unless rescaled.
  const Task task = make_task("group:S5");
  std::vector<uint8_t> target(task.dfa.accepting.begin(), task.dfa.accepting.end());
  const CountingSampler sampler(task.dfa, target);
  Rng rng(1);
  std::vector<int32_t> w(300);
  ASSERT_TRUE(sampler.sample(300, rng, w.data()));
  EXPECT_TRUE(task.dfa.accepts(std::vector<int>(w.begin(), w.end())));
}

TEST(Sampler, HardNegatives) {
  const Task task = make_task("tomita:5");
  Rng rng(9);
  std::vector<int32_t> positive = {0, 1, 1, 0, 0, 0, 1, 1};
  ASSERT_TRUE(task.dfa.accepts(std::vector<int>(positive.begin(), positive.end())));
  for (int i = 0; i < 50; ++i) {
    std::vector<int32_t> negative(positive.size());
    ASSERT_TRUE(hard_negative(task.dfa, positive.data(), 8, rng, negative.data()));
    int differences = 0;
    for (size_t j = 0; j < positive.size(); ++j) differences += positive[j] != negative[j];
    EXPECT_EQ(differences, 1);
    EXPECT_FALSE(task.dfa.accepts(std::vector<int>(negative.begin(), negative.end())));
  }
  // aa|ab|ba: every substitution of "aa" is accepted, so there is no hard negative.
  const Task small = make_task("regex:aa|ab|ba");
  const std::vector<int32_t> aa = {0, 0};
  std::vector<int32_t> out(2);
  EXPECT_FALSE(hard_negative(small.dfa, aa.data(), 2, rng, out.data()));
}

TEST(Batches, AcceptObjectivesAreBalanced) {
  const Task task = make_task("tomita:3");
  const TaskBatchSource source(task, Objective::AcceptFinal);
  EXPECT_DOUBLE_EQ(source.chance_accuracy(), 0.5);
  const std::vector<Example> examples = source.examples(400, 10, 30, 8);
  std::map<SampleKind, int> kinds;
  int accepted = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& ex = examples[i];
    ++kinds[ex.kind];
    const bool accepts = task.dfa.accepts(std::vector<int>(ex.symbols.begin(), ex.symbols.end()));
    accepted += accepts;
    EXPECT_EQ(accepts, ex.kind == SampleKind::Positive);
    EXPECT_EQ(ex.labels.back(), accepts ? 1 : 0);
    if (ex.kind == SampleKind::HardNegative) {
      // One substitution away from an accepted string.
      bool near = false;
      std::vector<int> w(ex.symbols.begin(), ex.symbols.end());
      for (size_t j = 0; j < w.size() && !near; ++j)
        for (int a = 0; a < task.num_symbols() && !near; ++a) {
          std::vector<int> v = w;
          v[j] = a;
          near = task.dfa.accepts(v);
        }
      EXPECT_TRUE(near);
    }
  }
  EXPECT_EQ(accepted, 200);
  EXPECT_EQ(kinds[SampleKind::Positive], 200);
  EXPECT_GT(kinds[SampleKind::HardNegative], 80);
  EXPECT_GT(kinds[SampleKind::Negative], 90);
}

TEST(Batches, ModArithValueLabelsAreBalanced) {
  const TaskBatchSource source(make_task("mod-arith"), Objective::AcceptFinal);
  EXPECT_EQ(source.num_classes(), 5);
  EXPECT_DOUBLE_EQ(source.chance_accuracy(), 0.2);
  std::map<int64_t, int> values;
  for (const Example& ex : source.examples(100, 1, 15, 4)) {
    EXPECT_EQ(ex.symbols.size() % 2, 1u);  // only odd lengths end in a number
    ++values[ex.labels.back()];
  }
  for (int v = 0; v < 5; ++v) EXPECT_EQ(values[v], 20) << v;
  // The state objective samples well-formed prefixes only.
  const Task task = make_task("mod-arith");
  const TaskBatchSource states(task, Objective::State);
  for (const Example& ex : states.examples(50, 8, 8, 1)) {
    EXPECT_EQ(ex.kind, SampleKind::Live);
    for (size_t i = 0; i < ex.symbols.size(); ++i) EXPECT_EQ(ex.symbols[i] < 5, i % 2 == 0);
  }
}

TEST(Batches, MissingClassesAreErrors) {
  const TaskBatchSource even(make_task("regex:(ab)*"), Objective::AcceptFinal);
  EXPECT_EQ(error_of([&] { even.sample(4, 3, 3, 1); }), "task regex:(ab)* has no positive string of length 3");
  EXPECT_NO_THROW(even.sample(4, 3, 4, 1));  // length 4 has both
  const TaskBatchSource all(make_task("regex:(a|b)*"), Objective::Accept);
  EXPECT_EQ(error_of([&] { all.sample(4, 2, 2, 1); }), "task regex:(a|b)* has no negative string of length 2");
  EXPECT_NE(error_of([&] { all.sample(4, 2, 5, 1); }).find("no length in [2, 5]"), std::string::npos);
  const TaskBatchSource parity(make_task("parity"), Objective::State);
  EXPECT_NE(error_of([&] { parity.sample(4, 0, 5, 1); }).find("at least 1"), std::string::npos);
  EXPECT_NE(error_of([&] { parity.sample(0, 1, 5, 1); }).find("batch size"), std::string::npos);
  EXPECT_NE(error_of([&] { parity.sample(4, 6, 5, 1); }).find("below minimum"), std::string::npos);
}

TEST(Batches, LayoutBosPaddingIgnore) {
  for (Objective objective : {Objective::State, Objective::Accept, Objective::AcceptFinal}) {
    const TaskBatchSource source(make_task("tomita:7"), objective);
    const core::Batch batch = source.sample(24, 1, 17, 99);
    ASSERT_EQ(batch.tokens.dim(), 2);
    ASSERT_EQ(batch.tokens.sizes(), batch.targets.sizes());
    ASSERT_EQ(batch.tokens.size(0), 24);
    EXPECT_EQ(batch.tokens.scalar_type(), torch::kInt64);
    EXPECT_EQ(batch.targets.scalar_type(), torch::kInt64);
    EXPECT_EQ(batch.lengths.scalar_type(), torch::kInt64);
    const int64_t longest = batch.lengths.max().item<int64_t>();
    EXPECT_EQ(batch.tokens.size(1), longest + 1);
    const auto tokens = batch.tokens.accessor<int64_t, 2>();
    const auto targets = batch.targets.accessor<int64_t, 2>();
    for (int64_t b = 0; b < 24; ++b) {
      const int64_t n = batch.lengths[b].item<int64_t>();
      EXPECT_GE(n, 1);
      EXPECT_LE(n, 17);
      EXPECT_EQ(tokens[b][0], core::kBosToken);
      EXPECT_EQ(targets[b][0], kIgnoreIndex);
      for (int64_t t = 1; t <= n; ++t) {
        EXPECT_GE(tokens[b][t], 2);
        EXPECT_LT(tokens[b][t], source.vocab_size());
        if (objective == Objective::AcceptFinal && t < n) {
          EXPECT_EQ(targets[b][t], kIgnoreIndex);
        } else {
          EXPECT_GE(targets[b][t], 0);
          EXPECT_LT(targets[b][t], source.num_classes());
        }
      }
      for (int64_t t = n + 1; t <= longest; ++t) {
        EXPECT_EQ(tokens[b][t], core::kPadToken);
        EXPECT_EQ(targets[b][t], kIgnoreIndex);
      }
    }
  }
}

TEST(Batches, Deterministic) {
  for (Objective objective : {Objective::State, Objective::AcceptFinal}) {
    const auto source = make_batch_source(make_task("tomita:4"), objective);
    const core::Batch a = source->sample(16, 4, 40, 123);
    const core::Batch b = make_batch_source(make_task("tomita:4"), objective)->sample(16, 4, 40, 123);
    const core::Batch c = source->sample(16, 4, 40, 124);
    EXPECT_TRUE(torch::equal(a.tokens, b.tokens));
    EXPECT_TRUE(torch::equal(a.targets, b.targets));
    EXPECT_TRUE(torch::equal(a.lengths, b.lengths));
    EXPECT_FALSE(a.tokens.sizes() == c.tokens.sizes() && torch::equal(a.tokens, c.tokens));
    // Sequence i depends only on (seed, i): a larger batch starts with the smaller one.
    const core::Batch big = source->sample(32, 4, 40, 123);
    for (int64_t i = 0; i < 16; ++i) {
      const int64_t n = a.lengths[i].item<int64_t>();
      EXPECT_TRUE(torch::equal(a.tokens[i].slice(0, 0, n + 1), big.tokens[i].slice(0, 0, n + 1)));
    }
  }
}

TEST(Batches, ExamplesMatchBatches) {
  const TaskBatchSource source(make_task("dyck:2:3"), Objective::Accept);
  const core::Batch batch = source.sample(12, 2, 20, 77);
  const std::vector<Example> examples = source.examples(12, 2, 20, 77);
  for (int64_t i = 0; i < 12; ++i) {
    ASSERT_EQ(batch.lengths[i].item<int64_t>(), static_cast<int64_t>(examples[i].symbols.size()));
    for (size_t t = 0; t < examples[i].symbols.size(); ++t) {
      EXPECT_EQ(batch.tokens[i][t + 1].item<int64_t>(), 2 + examples[i].symbols[t]);
      EXPECT_EQ(batch.targets[i][t + 1].item<int64_t>(), examples[i].labels[t]);
    }
  }
}

TEST(Batches, ChanceAndDescription) {
  const TaskBatchSource parity(make_task("parity"), Objective::State);
  EXPECT_NEAR(parity.chance_accuracy(), 0.5, 0.03);
  EXPECT_EQ(parity.num_classes(), 2);
  EXPECT_EQ(parity.vocab_size(), 4);
  // tomita:1 (1*): uniform strings fall into the dead state almost at once.
  const TaskBatchSource dead(make_task("tomita:1"), Objective::State);
  EXPECT_GT(dead.chance_accuracy(), 0.8);
  EXPECT_NE(parity.describe().find("parity"), std::string::npos);
}

TEST(Splits, RangesAndSeeds) {
  EXPECT_EQ(parse_length_range("3-40").min_len, 3);
  EXPECT_EQ(parse_length_range("3-40").max_len, 40);
  EXPECT_EQ(parse_length_range("3..40").max_len, 40);
  EXPECT_EQ(parse_length_range("16").min_len, 16);
  EXPECT_EQ(parse_length_range("16").to_string(), "16");
  EXPECT_EQ(parse_length_range("3-40").to_string(), "3-40");
  EXPECT_THROW(parse_length_range("0-4"), std::invalid_argument);
  EXPECT_THROW(parse_length_range("-3"), std::invalid_argument);
  EXPECT_THROW(parse_length_range("9-4"), std::invalid_argument);
  EXPECT_THROW(parse_length_range("x"), std::invalid_argument);
  EXPECT_THROW(parse_length_range(""), std::invalid_argument);
  const LengthSplit split = make_length_split(parse_length_range("3-40"), parse_length_range("41-256"), 5);
  const LengthSplit same = make_length_split(parse_length_range("3-40"), parse_length_range("41-256"), 5);
  const LengthSplit other = make_length_split(parse_length_range("3-40"), parse_length_range("41-256"), 6);
  EXPECT_EQ(split.train_seed(7), same.train_seed(7));
  EXPECT_NE(split.train_seed(7), split.test_seed(7));
  EXPECT_NE(split.train_seed(7), split.train_seed(8));
  EXPECT_NE(split.train_seed(7), other.train_seed(7));
}

}  // namespace
}  // namespace goose::tasks
