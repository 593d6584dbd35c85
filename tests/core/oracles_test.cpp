// The baselines against independent double-precision oracles (tests/support/model_oracles.h):
// the Transformer in every positional mode, the diagonal SSM in every eigenvalue mode and the
// LSTM on perturbed weights; RoPE's dependence on relative positions only; and every
// architecture's whole-model gradient against central finite differences in double.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "core/dssm.h"
#include "core/model.h"
#include "core/transformer.h"
#include "tests/support/gradcheck.h"
#include "tests/support/model_oracles.h"

namespace goose::core {
namespace {

using goose::testing::gradcheck_parameters;
using goose::testing::rms_ratio;

constexpr int64_t kVocab = 7, kClasses = 5;

ModelConfig small(const std::string& arch) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = kVocab;
  c.num_classes = kClasses;
  c.layers = 2;
  c.dim = 16;
  c.head_size = 4;
  c.dssm_state = 4;
  c.max_len = 16;
  c.kernel = "reference";  // the kernels' double path
  return c;
}

// Seeded model (seed printed by the callers' traces), moved to double, then every parameter
// moved off its initialisation by seeded noise (so no zero-initialised matrix hides a term).
std::shared_ptr<SequenceModel> double_model(const ModelConfig& c, uint64_t seed, double noise = 0.3) {
  torch::manual_seed(seed);
  auto model = make_model(c);
  model->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed + 1000);
  for (auto& p : model->parameters()) p.add_(torch::randn(p.sizes(), gen, torch::kDouble) * noise);
  return model;
}

torch::Tensor tokens_of(int64_t B, int64_t T, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randint(0, kVocab, {B, T}, gen, torch::kLong);
}

// The oracle of every baseline uses the same inputs: 2 sequences of 9 tokens, seed 5.
const torch::Tensor& oracle_tokens() {
  static const torch::Tensor tokens = tokens_of(2, 9, 5);
  return tokens;
}

// In double the model and its oracle differ only by rounding: measured 1e-15 to 3e-15 here.
constexpr double kOracleTol = 1e-11;

TEST(Oracle, TransformerEveryPositionalEncoding) {
  for (const std::string pe : {"rope", "learned", "sinusoidal", "none"}) {
    SCOPED_TRACE("pos_encoding " + pe + ", seed 11");
    auto c = small("transformer");
    c.pos_encoding = pe;
    auto model = double_model(c, 11);
    torch::NoGradGuard no_grad;
    const auto got = model->forward(oracle_tokens());
    const auto want = goose::testing::transformer_oracle(*model, c, oracle_tokens());
    EXPECT_LE(rms_ratio(got, want), kOracleTol);
  }
}

TEST(Oracle, DssmEveryEigenvalueMode) {
  for (const std::string eigen : {"real", "signed", "complex", "complex-unit"}) {
    SCOPED_TRACE("dssm_eigen " + eigen + ", seed 12");
    auto c = small("dssm");
    c.dssm_eigen = eigen;
    auto model = double_model(c, 12, 0.2);
    torch::NoGradGuard no_grad;
    const auto got = model->forward(oracle_tokens());
    const auto want = goose::testing::dssm_oracle(*model, c, oracle_tokens());
    EXPECT_LE(rms_ratio(got, want), kOracleTol);
  }
}

// The fp32 model with the optimised CPU scan, against the same double oracle: the kernels'
// own tolerances apply (README, Kernels), here end to end.
TEST(Oracle, DssmCpuKernelInFloat) {
  for (const std::string eigen : {"real", "signed", "complex", "complex-unit"}) {
    SCOPED_TRACE("dssm_eigen " + eigen + ", seed 13");
    auto c = small("dssm");
    c.dssm_eigen = eigen;
    c.kernel = "cpu";
    auto model = double_model(c, 13, 0.2);
    const auto want = goose::testing::dssm_oracle(*model, c, oracle_tokens());
    model->to(torch::kFloat);
    torch::NoGradGuard no_grad;
    EXPECT_LE(rms_ratio(model->forward(oracle_tokens()), want), 1e-5);
  }
}

TEST(Oracle, Lstm) {
  for (const int64_t layers : {1, 2}) {
    SCOPED_TRACE("layers " + std::to_string(layers) + ", seed 14");
    auto c = small("lstm");
    c.layers = layers;
    auto model = double_model(c, 14);
    torch::NoGradGuard no_grad;
    const auto got = model->forward(oracle_tokens());
    EXPECT_LE(rms_ratio(got, goose::testing::lstm_oracle(*model, c, oracle_tokens())), kOracleTol);
  }
}

// RoPE rotates q_i and k_j by angles iθ and jθ, so q_i·k_j depends on i − j only: a block fed
// position tables shifted by any offset gives the same output. Positions that are not a shift
// of each other must change it (or the comparison could not fail).
TEST(Transformer, RopeScoresDependOnlyOnRelativePositions) {
  auto c = small("transformer");
  torch::manual_seed(21);
  TransformerBlock block(c);
  block->to(torch::kDouble);
  const int64_t T = 9, half = c.head_size / 2;
  auto tables = [&](auto position) {
    auto angle = torch::zeros({T, half}, torch::kDouble);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t i = 0; i < half; ++i)
        angle[t][i] = double(position(t)) * std::pow(10000.0, -2.0 * double(i) / double(c.head_size));
    return std::make_pair(torch::cos(angle), torch::sin(angle));
  };
  auto x = torch::randn({2, T, c.dim}, at::detail::createCPUGenerator(22), torch::kDouble);
  torch::NoGradGuard no_grad;
  const auto [cos0, sin0] = tables([](int64_t t) { return t; });
  const auto base = block->forward(x, cos0, sin0);
  for (const int64_t offset : {1, 17, 1000}) {
    const auto [cos, sin] = tables([&](int64_t t) { return t + offset; });
    EXPECT_LE((block->forward(x, cos, sin) - base).abs().max().item<double>(), 1e-10) << "offset " << offset;
  }
  const auto [cos2, sin2] = tables([](int64_t t) { return t * t; });
  EXPECT_GT((block->forward(x, cos2, sin2) - base).abs().max().item<double>(), 1e-3);
}

// d<cot, logits>/dθ by autograd (through the recurrence kernels' own backward passes) against
// central differences, for every architecture and mode, in double on tiny models.
TEST(Gradients, WholeModelMatchesFiniteDifferences) {
  struct Case {
    std::string what, arch, knob, value;
  };
  const Case cases[] = {
      {"rwkv7 relaxed unclamped", "rwkv7", "rwkv_decay", "unclamped"},
      {"rwkv7 released", "rwkv7", "rwkv_rate", "released"},
      {"transformer rope", "transformer", "pos_encoding", "rope"},
      {"transformer learned", "transformer", "pos_encoding", "learned"},
      {"dssm real", "dssm", "dssm_eigen", "real"},
      {"dssm signed", "dssm", "dssm_eigen", "signed"},
      {"dssm complex", "dssm", "dssm_eigen", "complex"},
      {"dssm complex-unit", "dssm", "dssm_eigen", "complex-unit"},
      {"lstm", "lstm", "", ""},
  };
  const auto tokens = tokens_of(2, 5, 31);
  for (const auto& k : cases) {
    SCOPED_TRACE(k.what + ", seed 32, tokens seed 31");
    auto c = small(k.arch);
    c.dim = 8;
    if (k.knob == "rwkv_decay") {
      c.rwkv_rate = "relaxed";
      c.rwkv_decay = k.value;
    }
    if (k.knob == "pos_encoding") c.pos_encoding = k.value;
    if (k.knob == "dssm_eigen") c.dssm_eigen = k.value;
    auto model = double_model(c, 32);
    EXPECT_TRUE(gradcheck_parameters(*model, [&] { return model->forward(tokens); }, /*per_parameter=*/6));
  }
}

}  // namespace
}  // namespace goose::core
