// The exact constructions (theory/construction.h), run through the real core::Rwkv7Model and
// its CPU kernel: exact agreement with the DFA / group product on every string up to length 10
// (or all of the longest length that fits a count limit, plus random strings of length 10),
// random strings at length 3000 through the chunked evaluation, the mod-arith cascade on every
// string up to length 6, λ* = −1 for swap tokens, a state norm that stays put to length 10⁵,
// failure under the released rate range, w = 1 in both decay parametrisations, the
// co-automaton's invariant, errors for what is not covered.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/batch.h"
#include "core/metrics.h"
#include "core/rwkv7.h"
#include "tasks/labeling.h"
#include "tasks/task.h"
#include "theory/construction.h"
#include "theory/regular_construction.h"
#include "theory/swap_construction.h"

namespace goose::theory {
namespace {

struct Built {
  tasks::Task task;
  tasks::Objective objective;
  ConstructionPlan plan;
  std::shared_ptr<core::Rwkv7Model> model;
};

std::string fixture(const std::string& name) {
  const char* root = std::getenv("GOOSE_SOURCE_DIR");
  return std::string(root ? root : ".") + "/tests/fixtures/constructions/" + name;
}

Built build(const std::string& spec, tasks::Objective objective, const std::string& kind = "auto",
            const std::string& rate = "relaxed", const std::string& decay = "clamped") {
  Built b{tasks::make_task(spec), objective, {}, nullptr};
  ConstructOptions options;
  options.kind = kind;
  b.plan = plan_construction(b.task, objective, options);
  core::ModelConfig config = b.plan.model;
  config.rwkv_rate = rate;
  config.rwkv_decay = decay;
  config.kernel = "cpu";
  b.model = std::make_shared<core::Rwkv7Model>(config);
  b.plan.build(*b.model);
  b.model->eval();
  return b;
}

// Tokens (B, 1+L) of equal-length words and the label of every prefix, the label the
// construction computes at every position (accept objectives: the accept-style label of each
// prefix, which accept-final also computes at every position).
struct Words {
  torch::Tensor tokens, targets;
};
Words label_words(const Built& b, const std::vector<std::vector<int32_t>>& words) {
  const int64_t B = static_cast<int64_t>(words.size()), L = static_cast<int64_t>(words[0].size());
  Words out{torch::full({B, L + 1}, core::kBosToken, torch::kLong), torch::full({B, L + 1}, core::kIgnoreIndex, torch::kLong)};
  auto tok = out.tokens.accessor<int64_t, 2>();
  auto tgt = out.targets.accessor<int64_t, 2>();
  const tasks::Objective every = b.objective == tasks::Objective::AcceptFinal ? tasks::Objective::Accept : b.objective;
  for (int64_t i = 0; i < B; ++i) {
    const auto labels = tasks::label_word(b.task, every, words[i]);
    for (int64_t t = 0; t < L; ++t) {
      tok[i][t + 1] = core::kFirstSymbolToken + words[i][t];
      tgt[i][t + 1] = labels[t];
    }
  }
  return out;
}

// Every word of length L over k symbols when k^L <= limit, else every word of the longest
// length that fits plus `extra` random words of length L, plus the words `more` (of one length).
// Returns how many positions were checked; every labelled position must be right.
int64_t check_exhaustive(const Built& b, int64_t L, int64_t limit = 1 << 16, int64_t extra = 4000,
                         const std::vector<std::vector<int32_t>>& more = {}) {
  torch::NoGradGuard no_grad;
  const int64_t k = b.task.num_symbols();
  int64_t full = L;
  while (std::pow(double(k), double(full)) > double(limit)) --full;
  std::vector<std::vector<std::vector<int32_t>>> sets;
  {
    std::vector<std::vector<int32_t>> all;
    std::vector<int32_t> w(full, 0);
    while (true) {
      all.push_back(w);
      int64_t i = full - 1;
      while (i >= 0 && w[i] == k - 1) w[i--] = 0;
      if (i < 0) break;
      ++w[i];
    }
    sets.push_back(all);
  }
  if (full < L) {
    std::mt19937_64 rng(20261201);
    std::vector<std::vector<int32_t>> random(extra, std::vector<int32_t>(L));
    for (auto& w : random)
      for (auto& s : w) s = int32_t(rng() % uint64_t(k));
    sets.push_back(random);
  }
  if (!more.empty()) sets.push_back(more);
  int64_t checked = 0;
  for (const auto& words : sets) {
    for (size_t start = 0; start < words.size(); start += 4096) {
      const std::vector<std::vector<int32_t>> part(words.begin() + start,
                                                   words.begin() + std::min(words.size(), start + 4096));
      const Words w = label_words(b, part);
      const torch::Tensor predicted = b.model->forward(w.tokens).argmax(-1);
      const torch::Tensor labelled = w.targets.ne(core::kIgnoreIndex);
      const torch::Tensor wrong = predicted.ne(w.targets).logical_and(labelled);
      if (wrong.any().item<bool>()) {
        const auto where = wrong.nonzero()[0];
        const int64_t row = where[0].item<int64_t>(), t = where[1].item<int64_t>();
        std::string word;
        for (int64_t i = 0; i < t; ++i) word += b.task.dfa.alphabet[part[row][i]] + " ";
        ADD_FAILURE() << b.task.spec << ": wrong at position " << t << " of " << word << "(label "
                      << w.targets[row][t].item<int64_t>() << ", predicted " << predicted[row][t].item<int64_t>() << ")";
        return checked;
      }
      checked += labelled.sum().item<int64_t>();
    }
  }
  return checked;
}

double sequence_accuracy(const Built& b, int64_t length, int64_t count, int64_t chunk) {
  const auto source = tasks::make_batch_source(b.task, b.objective);
  return core::evaluate_range(*b.model, *source, length, length, count, count, 77, chunk).sequence_accuracy;
}

// ---- the swap construction ------------------------------------------------------------

TEST(SwapConstruction, S5WithTranspositionsIsExact) {
  const Built b = build("group:S5@transpositions", tasks::Objective::State);
  EXPECT_EQ(b.plan.kind, "swap");
  EXPECT_EQ(b.model->config().layers, 1);
  EXPECT_EQ(b.model->config().head_size, 5);
  EXPECT_EQ(b.model->config().dim, 100);  // 4 tracked points × 5 targets, heads of 5
  EXPECT_GT(check_exhaustive(b, 10), 50000);  // all 10^4 words of length 4, 4000 random of length 10
  EXPECT_EQ(sequence_accuracy(b, 3000, 8, 512), 1.0);
}

TEST(SwapConstruction, ParityAndGroupsFromCyclesAreExact) {
  for (const auto& [spec, objective] :
       std::vector<std::pair<std::string, tasks::Objective>>{{"parity", tasks::Objective::State},
                                                             {"parity", tasks::Objective::Accept},
                                                             {"group:(1,2),(2,3),(3,4)@generators", tasks::Objective::State},
                                                             {"group:S3@transpositions", tasks::Objective::State}}) {
    SCOPED_TRACE(spec);
    const Built b = build(spec, objective, "swap");
    EXPECT_GT(check_exhaustive(b, 10), 0);
    EXPECT_EQ(sequence_accuracy(b, 3000, 8, 700), 1.0);
  }
}

TEST(SwapConstruction, SwapTokensHaveSpecialEigenvalueMinusOne) {
  const Built b = build("group:S5@transpositions", tasks::Objective::State);
  std::vector<int64_t> ids = {core::kBosToken};
  for (int i = 0; i < 40; ++i) ids.push_back(core::kFirstSymbolToken + (i * 7) % 10);
  const torch::Tensor tokens = torch::tensor(ids).unsqueeze(0);
  const auto rates = b.model->rates(tokens);
  const torch::Tensor lambda = core::rwkv7_special_eigenvalues(rates[0], b.model->config().head_size);  // (1,T,H)
  const int64_t used = 20;
  const torch::Tensor swaps = lambda.slice(1, 1).slice(2, 0, used);
  EXPECT_LE((swaps + 1.0).abs().max().item<double>(), 1e-6);  // 1 − 2·2·fl(1/√2)² = −1 + 2.4e-7
  EXPECT_NEAR(lambda[0][0][0].item<double>(), 1.0, 1e-6);     // BOS: a ≈ 0, the identity
  EXPECT_TRUE(torch::all(rates[0].w.eq(1.0f)).item<bool>());
}

TEST(SwapConstruction, StateNormIsBoundedAtLength100000) {
  // 10⁵ random transpositions through forward_from in chunks: the WKV state of every head stays
  // a permuted row of norm 64 (the value pattern's ±64 times a unit key).
  torch::NoGradGuard no_grad;
  const Built b = build("group:S5@transpositions", tasks::Objective::State);
  std::vector<torch::Tensor> state = b.model->initial_state(1);
  b.model->forward_from(torch::full({1, 1}, core::kBosToken, torch::kLong), state);
  const double start = state[2].norm().item<double>();
  std::mt19937_64 rng(5);
  double low = start, high = start;
  for (int64_t done = 0; done < 100000; done += 5000) {
    const torch::Tensor chunk = torch::randint(core::kFirstSymbolToken, core::kFirstSymbolToken + 10, {1, 5000},
                                               at::detail::createCPUGenerator(rng()), torch::kLong);
    b.model->forward_from(chunk, state);
    const double norm = state[2].norm().item<double>();
    low = std::min(low, norm);
    high = std::max(high, norm);
  }
  EXPECT_GT(start, 0.0);
  EXPECT_LE(high / start - 1.0, 1e-3) << "norm " << start << " grew to " << high;
  EXPECT_LE(1.0 - low / start, 1e-2) << "norm " << start << " shrank to " << low;
  std::printf("S5 swap construction, WKV state norm: %.7g after BOS, %.7g after 10^5 transpositions "
              "(min %.7g, max %.7g)\n", start, state[2].norm().item<double>(), low, high);
}

TEST(SwapConstruction, ReleasedRateBreaksIt) {
  const Built relaxed = build("group:S5@transpositions", tasks::Objective::State);
  const Built released = build("group:S5@transpositions", tasks::Objective::State, "auto", "released");
  EXPECT_EQ(sequence_accuracy(relaxed, 32, 64, 0), 1.0);
  EXPECT_LE(sequence_accuracy(released, 32, 64, 0), 0.1);
}

TEST(SwapConstruction, DecayIsExactlyOneInBothParametrisations) {
  for (const char* decay : {"clamped", "unclamped"}) {
    const Built b = build("parity", tasks::Objective::State, "swap", "relaxed", decay);
    const auto rates = b.model->rates(torch::tensor(std::vector<int64_t>{1, 2, 3, 3, 2}).unsqueeze(0));
    EXPECT_TRUE(torch::all(rates[0].w.eq(1.0f)).item<bool>()) << decay;
    EXPECT_EQ(sequence_accuracy(b, 500, 8, 0), 1.0) << decay;
  }
}

TEST(SwapConstruction, RefusesWhatItDoesNotCover) {
  auto fails = [](const std::string& spec, tasks::Objective objective, const std::string& needle) {
    try {
      build(spec, objective, "swap");
      ADD_FAILURE() << spec << ": no error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fails("group:S5", tasks::Objective::State, "neither a transposition nor the identity");
  fails("group:S5@transpositions", tasks::Objective::Accept, "objective state");
  fails("tomita:3", tasks::Objective::Accept, "does not act on the DFA's states as one swap");
  ConstructOptions narrow;
  narrow.kind = "swap";
  narrow.dim = 50;
  EXPECT_THROW(plan_construction(tasks::make_task("group:S5@transpositions"), tasks::Objective::State, narrow),
               std::invalid_argument);
}

// ---- the regular construction ---------------------------------------------------------

TEST(CoAutomaton, LabelIsTheValueOfTheComposedPreimages) {
  for (const std::string spec : {"tomita:3", "regex:(a|b)*a(a|b)(a|b)@ab", "mod-arith", "tomita:6"}) {
    SCOPED_TRACE(spec);
    const tasks::Task task = tasks::make_task(spec);
    std::vector<int64_t> labels;
    for (int q = 0; q < task.dfa.num_states; ++q) labels.push_back(task.output_of(q));
    const CoAutomaton co = co_automaton(task.dfa, labels, task.num_outputs());
    std::mt19937_64 rng(1);
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<int> word(rng() % 12);
      for (int& s : word) s = int(rng() % uint64_t(task.num_symbols()));
      int q = task.dfa.start;
      for (int s : word) q = task.dfa.next(q, s);
      for (int64_t c = 0; c < task.num_outputs(); ++c) {
        if (co.class_point[c] < 0) continue;
        EXPECT_EQ(co.value[co.compose(word, co.class_point[c])] != 0, labels[q] == c);
      }
    }
  }
}

TEST(RegularConstruction, TomitaParityRegexAndAFiveStateFileAreExact) {
  std::vector<std::string> specs = {"parity", "regex:(a|b)*a(a|b)(a|b)@ab", "dfa:" + fixture("five_state.json")};
  for (int i = 1; i <= 7; ++i) specs.push_back("tomita:" + std::to_string(i));
  for (const auto& spec : specs) {
    SCOPED_TRACE(spec);
    const Built b = build(spec, tasks::Objective::Accept, "regular");
    EXPECT_EQ(b.model->config().layers, 4);
    EXPECT_GT(check_exhaustive(b, 10), 1000);
    EXPECT_EQ(sequence_accuracy(b, 1000, 4, 300), 1.0);
  }
}

TEST(RegularConstruction, StateNormsAreBoundedAtLength100000) {
  // Every layer's WKV state after 10³ and after 10⁵ random symbols (after 10³ both buffers of
  // the execution row are filled): parity and execution rows are permuted or copied exactly,
  // the ring buffer holds one-hots, and only the phase rotation drifts, by fp32 rounding.
  torch::NoGradGuard no_grad;
  const Built b = build("tomita:3", tasks::Objective::Accept, "regular");
  std::vector<torch::Tensor> state = b.model->initial_state(1);
  auto gen = at::detail::createCPUGenerator(9);
  auto random_symbols = [&](int64_t count) {
    return torch::randint(core::kFirstSymbolToken, core::kFirstSymbolToken + 2, {1, count}, gen, torch::kLong);
  };
  b.model->forward_from(torch::cat({torch::full({1, 1}, core::kBosToken, torch::kLong), random_symbols(1000)}, 1), state);
  std::vector<double> early;
  for (int l = 0; l < 4; ++l) early.push_back(state[3 * l + 2].norm().item<double>());
  for (int64_t done = 1000; done < 100000; done += 9900) b.model->forward_from(random_symbols(9900), state);
  const double tolerance[4] = {1e-6, 1e-2, 1e-3, 1e-6};  // layer 2 rotates by irrational angles
  for (int l = 0; l < 4; ++l) {
    const double late = state[3 * l + 2].norm().item<double>();
    std::printf("tomita:3 regular construction, layer %d WKV state norm: %.7g after 10^3 symbols, %.7g after 10^5\n",
                l + 1, early[l], late);
    EXPECT_NEAR(late / early[l], 1.0, tolerance[l]) << "layer " << l + 1;
  }
}

TEST(RegularConstruction, AcceptFinalAndReleasedRate) {
  const Built final = build("tomita:3", tasks::Objective::AcceptFinal, "regular");
  EXPECT_EQ(sequence_accuracy(final, 200, 32, 0), 1.0);
  const Built released = build("tomita:3", tasks::Objective::Accept, "regular", "released");
  EXPECT_LE(sequence_accuracy(released, 200, 32, 0), 0.5);
}

TEST(RegularConstruction, RefusesWhatDoesNotFit) {
  // mod-arith's co-automaton is too large for the lookup; kind auto takes the cascade instead.
  try {
    build("mod-arith", tasks::Objective::Accept, "regular");
    ADD_FAILURE() << "mod-arith: no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("detectors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(build("group:S5@transpositions", tasks::Objective::State, "regular"), std::invalid_argument);
  ConstructOptions narrow;
  narrow.kind = "regular";
  narrow.dim = 40;
  EXPECT_THROW(plan_construction(tasks::make_task("tomita:3"), tasks::Objective::Accept, narrow), std::invalid_argument);
}

// ---- the mod-arith cascade -------------------------------------------------------------

TEST(CascadeConstruction, ModArithIsExactOnEveryStringUpToLength5AndEveryValidOneOfLength7) {
  // All 8^5 = 32,768 strings of length 5 (so every string up to length 5, as a prefix), valid or
  // not, and all 5^4·3^3 = 16,875 valid strings of length 7 (digit, operator, …, digit: every
  // labelled position of every string up to length 7 lies in one of their prefixes), against the
  // DFA's labels at every labelled position; then the task's own strings at length 1001. (All
  // 8^6 strings of length 6 also pass, in 2 minutes here: check_exhaustive(b, 6, 1 << 18, 0).)
  const Built b = build("mod-arith", tasks::Objective::Accept);
  EXPECT_EQ(b.plan.kind, "cascade");
  EXPECT_EQ(b.model->config().layers, 3);
  EXPECT_LE(b.model->config().dim, 128);
  std::vector<std::vector<int32_t>> valid = {{}};
  for (int i = 0; i < 7; ++i) {
    std::vector<std::vector<int32_t>> longer;
    for (const auto& w : valid)
      for (int32_t s = i % 2 == 0 ? 0 : 5; s < (i % 2 == 0 ? 5 : 8); ++s) {
        longer.push_back(w);
        longer.back().push_back(s);
      }
    valid = std::move(longer);
  }
  ASSERT_EQ(valid.size(), 16875u);
  EXPECT_GT(check_exhaustive(b, 5, 1 << 15, 0, valid), 60000);
  EXPECT_EQ(sequence_accuracy(b, 1001, 16, 250), 1.0);
}

TEST(CascadeConstruction, RandomStringsAtLength1000AndAcceptFinal) {
  // 100 uniformly random strings of length 1000 (most die within a few symbols; what is labelled
  // is a valid prefix), then valid strings labelled at the last position only.
  const Built b = build("mod-arith", tasks::Objective::Accept, "cascade");
  EXPECT_GE(check_exhaustive(b, 1000, 1, 100), 0);
  const Built final = build("mod-arith", tasks::Objective::AcceptFinal, "cascade");
  EXPECT_EQ(sequence_accuracy(final, 301, 32, 0), 1.0);
}

TEST(CascadeConstruction, ReleasedRateBreaksIt) {
  const Built released = build("mod-arith", tasks::Objective::Accept, "cascade", "released");
  EXPECT_LE(sequence_accuracy(released, 101, 32, 0), 0.5);
}

TEST(CascadeConstruction, StateNormsAreBoundedAtLength100000) {
  // A valid string of 10⁵ symbols (random digits and operators, alternating): the ± parity,
  // exponent counter and register are exact (swaps, signed swaps, replacement of a one-hot), and
  // only s's reflections about axes at multiples of π/5 round, by fp32 rounding.
  torch::NoGradGuard no_grad;
  const Built b = build("mod-arith", tasks::Objective::Accept);
  std::vector<torch::Tensor> state = b.model->initial_state(1);
  std::mt19937_64 rng(11);
  int64_t position = 0;
  auto valid_symbols = [&](int64_t count) {
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < count; ++i, ++position)
      ids.push_back(core::kFirstSymbolToken + (position % 2 == 0 ? int64_t(rng() % 5) : 5 + int64_t(rng() % 3)));
    return torch::tensor(ids).unsqueeze(0);
  };
  b.model->forward_from(torch::cat({torch::full({1, 1}, core::kBosToken, torch::kLong), valid_symbols(1000)}, 1), state);
  std::vector<double> early;
  for (int l = 0; l < 3; ++l) early.push_back(state[3 * l + 2].norm().item<double>());
  for (int64_t done = 1000; done < 100000; done += 9900) b.model->forward_from(valid_symbols(9900), state);
  const double tolerance[3] = {1e-5, 1e-5, 1e-3};
  for (int l = 0; l < 3; ++l) {
    const double late = state[3 * l + 2].norm().item<double>();
    std::printf("mod-arith cascade construction, layer %d WKV state norm: %.7g after 10^3 symbols, %.7g after 10^5\n",
                l + 1, early[l], late);
    EXPECT_NEAR(late / early[l], 1.0, tolerance[l]) << "layer " << l + 1;
  }
}

TEST(CascadeConstruction, RefusesOtherTasks) {
  EXPECT_THROW(build("tomita:3", tasks::Objective::Accept, "cascade"), std::invalid_argument);
  EXPECT_THROW(build("mod-arith", tasks::Objective::State, "cascade"), std::invalid_argument);
  ConstructOptions narrow;
  narrow.kind = "cascade";
  narrow.dim = 40;
  EXPECT_THROW(plan_construction(tasks::make_task("mod-arith"), tasks::Objective::Accept, narrow), std::invalid_argument);
}

// ---- pinned weights and outputs -------------------------------------------------------

// Per parameter: Σw, Σw², Σ c_i·w with c_i = sin(12.9898·i + 78.233) fixed, and the count of
// non-zeros. A weight moved by more than 1e-5 moves Σw (or, if other weights compensate,
// Σ c_i·w), so the construction is pinned to that tolerance.
nlohmann::json fingerprint(core::Rwkv7Model& model) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& p : model.named_parameters()) {
    const torch::Tensor w = p.value().detach().to(torch::kDouble).flatten();
    const torch::Tensor c = torch::sin(torch::arange(w.numel(), torch::kDouble) * 12.9898 + 78.233);
    out[p.key()] = {w.sum().item<double>(), (w * w).sum().item<double>(), (w * c).sum().item<double>(),
                    w.ne(0).sum().item<int64_t>()};
  }
  return out;
}

// The logits of a fixed input: if the forward path computes another function (a fused kernel,
// a changed norm), they move even where the argmax does not.
std::vector<double> probe_logits(const Built& b) {
  std::vector<int64_t> ids = {core::kBosToken};
  for (int i = 0; i < 23; ++i) ids.push_back(core::kFirstSymbolToken + (i * 5 + i / 3) % b.task.num_symbols());
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = b.model->forward(torch::tensor(ids).unsqueeze(0)).to(torch::kDouble).flatten();
  return std::vector<double>(logits.data_ptr<double>(), logits.data_ptr<double>() + logits.numel());
}

// tests/fixtures/constructions/pins.json holds the fingerprints and probe logits; run with
// GOOSE_UPDATE_PINS=1 to rewrite it after a deliberate change of a construction.
TEST(Constructions, WeightsAndOutputsArePinned) {
  const std::vector<std::tuple<std::string, tasks::Objective, std::string>> cases = {
      {"group:S5@transpositions", tasks::Objective::State, "swap"},
      {"parity", tasks::Objective::State, "swap"},
      {"tomita:3", tasks::Objective::Accept, "regular"},
      {"mod-arith", tasks::Objective::Accept, "cascade"}};
  const std::string path = fixture("pins.json");
  nlohmann::json pins = nlohmann::json::object();
  for (const auto& [spec, objective, kind] : cases) {
    const Built b = build(spec, objective, kind);
    pins[spec] = {{"kind", kind}, {"weights", fingerprint(*b.model)}, {"logits", probe_logits(b)}};
  }
  if (std::getenv("GOOSE_UPDATE_PINS")) {
    std::ofstream(path) << pins.dump(1) << "\n";
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path << " (GOOSE_UPDATE_PINS=1 writes it)";
  const nlohmann::json golden = nlohmann::json::parse(in);
  for (const auto& [spec, objective, kind] : cases) {
    SCOPED_TRACE(spec);
    ASSERT_TRUE(golden.contains(spec));
    const auto& want = golden[spec]["weights"];
    const auto& got = pins[spec]["weights"];
    ASSERT_EQ(want.size(), got.size());
    for (const auto& item : want.items()) {
      ASSERT_TRUE(got.contains(item.key())) << item.key();
      for (int i = 0; i < 3; ++i)
        EXPECT_NEAR(got[item.key()][i].get<double>(), item.value()[i].get<double>(), 1e-5) << item.key() << " stat " << i;
      EXPECT_EQ(got[item.key()][3].get<int64_t>(), item.value()[3].get<int64_t>()) << item.key() << " non-zeros";
    }
    const auto want_logits = golden[spec]["logits"].get<std::vector<double>>();
    const auto got_logits = pins[spec]["logits"].get<std::vector<double>>();
    ASSERT_EQ(want_logits.size(), got_logits.size());
    for (size_t i = 0; i < want_logits.size(); ++i) EXPECT_NEAR(got_logits[i], want_logits[i], 1e-3) << "logit " << i;
  }
}

}  // namespace
}  // namespace goose::theory
