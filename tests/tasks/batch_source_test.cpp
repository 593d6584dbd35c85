// Batches: labels against step-by-step DFA runs and direct permutation products, class
// balance, hard negatives, per-sequence seeding through core::mix_seed, determinism, layout.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "automata/group.h"
#include "core/seed.h"
#include "tasks/batch_source.h"
#include "tasks/labeling.h"
#include "tasks/sampler.h"
#include "tasks/task.h"

namespace goose::tasks {
namespace {

using core::kFirstSymbolToken;
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
        q = task.dfa.next(q, static_cast<int>(tokens[b][t] - kFirstSymbolToken));
        ASSERT_EQ(targets[b][t], q) << spec << " row " << b << " position " << t;
      }
    }
  }
}

TEST(Labels, GroupLabelsAreRunningProducts) {
  for (const char* spec : {"group:S5", "group:S5@transpositions", "group:A4xZ5", "group:D6@generators"}) {
    const Task task = make_task(spec);
    const automata::FiniteGroup& g = *task.group;
    const TaskBatchSource source(task, Objective::State);
    EXPECT_EQ(source.num_classes(), g.order()) << spec;
    const core::Batch batch = source.sample(16, 1, 24, 5);
    const auto tokens = batch.tokens.accessor<int64_t, 2>();
    const auto targets = batch.targets.accessor<int64_t, 2>();
    for (int64_t b = 0; b < 16; ++b) {
      automata::Permutation product = g.elements[g.identity()];
      for (int64_t t = 1; t <= batch.lengths[b].item<int64_t>(); ++t) {
        const std::string& name = task.dfa.alphabet[tokens[b][t] - kFirstSymbolToken];
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
  EXPECT_EQ(source.vocab_size(), kFirstSymbolToken + 10);
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
        EXPECT_GE(tokens[b][t], kFirstSymbolToken);
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
      EXPECT_EQ(batch.tokens[i][t + 1].item<int64_t>(), kFirstSymbolToken + examples[i].symbols[t]);
      EXPECT_EQ(batch.targets[i][t + 1].item<int64_t>(), examples[i].labels[t]);
    }
  }
}

TEST(Batches, DescriptionAndSizes) {
  const TaskBatchSource parity(make_task("parity"), Objective::State);
  EXPECT_EQ(parity.num_classes(), 2);
  EXPECT_EQ(parity.vocab_size(), kFirstSymbolToken + 2);
  EXPECT_NE(parity.describe().find("parity"), std::string::npos);
  EXPECT_NE(parity.describe().find("objective state"), std::string::npos);
  const TaskBatchSource mod(make_task("mod-arith"), Objective::Accept);
  EXPECT_EQ(mod.num_classes(), 5);
  EXPECT_EQ(mod.vocab_size(), kFirstSymbolToken + 8);
}

// Sequence i is drawn from its own stream seeded with core::mix_seed(seed, i) (the one seed
// mixer): its length first, then its symbols.
TEST(Batches, SequenceStreamsAreSeededWithCoreMixSeed) {
  const Task task = make_task("tomita:5");
  const TaskBatchSource source(task, Objective::State);
  const std::vector<Example> examples = source.examples(6, 3, 9, 2024);
  for (int64_t i = 0; i < 6; ++i) {
    Rng rng(core::mix_seed(2024, static_cast<uint64_t>(i)));
    const int64_t n = 3 + rng.below(7);
    std::vector<int32_t> symbols(n), states(n);
    sample_uniform_states<int32_t>(task.dfa, n, rng, symbols.data(), states.data());
    EXPECT_EQ(examples[i].symbols, symbols) << i;
    EXPECT_EQ(examples[i].labels, std::vector<int64_t>(states.begin(), states.end())) << i;
  }
}

TEST(Batches, EmptyAlphabetIsAnError) {
  Task task;
  task.spec = "dfa:empty.json";
  task.dfa.num_states = 1;
  task.dfa.accepting = {1};
  EXPECT_EQ(error_of([&] { TaskBatchSource(task, Objective::State); }),
            "task dfa:empty.json has no input symbols (an empty alphabet)");
}

}  // namespace
}  // namespace goose::tasks
