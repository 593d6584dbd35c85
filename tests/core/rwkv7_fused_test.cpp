// The fused RWKV-7 time mix, channel mix and LayerNorm (kernels/rwkv7_mix.h) against the unfused
// LibTorch chain of core/rwkv7.cpp (and torch::layer_norm), their reference: outputs, final state and every input and parameter
// gradient, for every rate × decay knob, layer 0 and a value-residual layer, a carried x_prev
// and s0 (step mode) or none, T = 1 and odd T, head sizes 8 to 64, and edge cases (a head whose
// removal key is zero, unclamped decay logits beyond the clamp). Both are also compared with the
// unfused chain in double: the fused op must not be less accurate than the chain it replaces.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/rwkv7.h"
#include "tests/support/gradcheck.h"

namespace goose::core {
namespace {

using goose::testing::rms_ratio;

// RMS(fused − unfused fp32)/RMS(unfused fp32) over outputs, states and gradients. Measured on
// this machine (GOOSE_PRINT_ERRORS=1 prints each): 1e-7 to 1e-6 typically, worst 7.6e-6 (dk_a of
// a stable-rate layer, where the unfused chain is the inexact one: 7.4e-6 from the double chain
// against the fused op's 3.8e-7); the bound is 2.6× that worst. The zero-key edge case
// (gradients scaled by 1/eps = 1e12 through κ̂'s normalisation) is held to the same bound.
constexpr double kFusedTol = 2e-5;
// Against the double chain: per tensor, the fused error may exceed the unfused fp32 error by
// kAccuracyFactor plus kAccuracyFloor (single tensors vary either way: measured up to 5×, at
// errors near 1e-6); over a case's tensors, the geometric mean of fused/unfused errors must stay
// below kMeanAccuracyFactor (measured 0.36 to 1.35 per case).
constexpr double kAccuracyFactor = 3.0;
constexpr double kAccuracyFloor = 5e-6;
constexpr double kMeanAccuracyFactor = 1.5;

bool print_errors() { return std::getenv("GOOSE_PRINT_ERRORS") != nullptr; }

struct MixCase {
  int64_t B, T, C, N;
  int64_t layer;  // 0 (produces v_first) or 1 (value residual)
  std::string rate, decay;
  bool carried;   // x_prev and s0 given (step mode), else a sequence start
  uint64_t seed;
  std::string edge = "";  // "" | "zero-key-head" | "beyond-clamp"
};

std::string describe(const MixCase& c) {
  return "B" + std::to_string(c.B) + " T" + std::to_string(c.T) + " C" + std::to_string(c.C) +
         " N" + std::to_string(c.N) + " layer" + std::to_string(c.layer) + " " + c.rate + " " +
         c.decay + (c.carried ? " carried" : " fresh") + (c.edge.empty() ? "" : " " + c.edge) +
         " seed " + std::to_string(c.seed);
}

ModelConfig config_of(const MixCase& c, const std::string& kernel) {
  ModelConfig config;
  config.arch = "rwkv7";
  config.vocab_size = 5;
  config.num_classes = 3;
  config.layers = 2;
  config.dim = c.C;
  config.head_size = c.N;
  config.rwkv_rate = c.rate;
  config.rwkv_decay = c.decay;
  config.kernel = kernel;
  return config;
}

// Seeded noise on every parameter (the official init zeroes Wo and the low-rank A matrices,
// which would hide most gradients), then the edge case's settings.
void perturb(torch::nn::Module& m, uint64_t seed, const MixCase& c) {
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  for (auto& p : m.named_parameters()) p.value().add_(torch::randn(p.value().sizes(), gen) * 0.3);
  auto params = m.named_parameters();
  if (c.edge == "zero-key-head") params["k_k"].slice(0, 0, c.N).zero_();  // κ̂ = 0 in head 0
  if (c.edge == "beyond-clamp") params["w0"].slice(0, 0, c.C / 2).fill_(25.0);  // z > 20
}

void copy_parameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src[p.key()]);
}

struct Compared {
  std::vector<std::string> names;
  std::vector<torch::Tensor> values;  // outputs then gradients
};

// Runs `m` on the case's inputs (in `dtype`) with fixed cotangents; returns outputs, state and
// the gradients of every input and parameter.
Compared run_time_mix(Rwkv7TimeMix& m, const MixCase& c, torch::Dtype dtype) {
  auto gen = at::detail::createCPUGenerator(c.seed + 100);
  const int64_t H = c.C / c.N;
  auto make = [&](std::vector<int64_t> shape, double scale) {
    return (torch::randn(shape, gen) * scale).to(dtype).requires_grad_(true);
  };
  auto x = make({c.B, c.T, c.C}, 1.0);
  auto v_first = make({c.B, c.T, c.C}, 1.0);
  auto x_prev = make({c.B, c.C}, 1.0);
  auto s0 = make({c.B, H, c.N, c.N}, 0.3);
  auto cot_out = torch::randn({c.B, c.T, c.C}, gen).to(dtype);
  auto cot_state = torch::randn({c.B, H, c.N, c.N}, gen).to(dtype);
  auto cot_vfirst = torch::randn({c.B, c.T, c.C}, gen).to(dtype);
  for (auto& p : m->parameters()) p.mutable_grad() = torch::Tensor();
  auto result = m->forward(x, c.layer > 0 ? v_first : torch::Tensor(),
                           c.carried ? x_prev : torch::Tensor(), c.carried ? s0 : torch::Tensor());
  auto loss = (result.out * cot_out).sum() + (result.state * cot_state).sum();
  if (c.layer == 0) loss = loss + (result.v_first * cot_vfirst).sum();
  loss.backward();
  Compared out;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    out.names.push_back(name);
    out.values.push_back(t.detach().to(torch::kDouble));
  };
  add("out", result.out);
  add("state", result.state);
  if (c.layer == 0) add("v_first (out)", result.v_first);
  add("dx", x.grad());
  if (c.layer > 0) add("dv_first", v_first.grad());
  if (c.carried) {
    add("dx_prev", x_prev.grad());
    add("ds0", s0.grad());
  }
  for (const auto& p : m->named_parameters()) add("d" + p.key(), p.value().grad());
  return out;
}

void expect_close(const Compared& fused, const Compared& unfused, const Compared& exact,
                  const std::string& what) {
  ASSERT_EQ(fused.names, unfused.names) << what;
  double log_ratio = 0;
  int64_t ratios = 0;
  for (size_t i = 0; i < fused.values.size(); ++i) {
    const std::string name = what + ": " + fused.names[i];
    ASSERT_TRUE(fused.values[i].defined()) << name;
    ASSERT_TRUE(unfused.values[i].defined()) << name;
    ASSERT_TRUE(torch::isfinite(fused.values[i]).all().item<bool>()) << name;
    const double err = rms_ratio(fused.values[i], unfused.values[i]);
    const double fused_vs_exact = rms_ratio(fused.values[i], exact.values[i]);
    const double unfused_vs_exact = rms_ratio(unfused.values[i], exact.values[i]);
    if (print_errors())
      std::printf("%-70s fused-unfused %.2e  fused-double %.2e  unfused-double %.2e\n",
                  name.c_str(), err, fused_vs_exact, unfused_vs_exact);
    EXPECT_LE(err, kFusedTol) << name;
    EXPECT_LE(fused_vs_exact, kAccuracyFactor * unfused_vs_exact + kAccuracyFloor) << name;
    if (unfused_vs_exact > 1e-9) {
      log_ratio += std::log((fused_vs_exact + 1e-12) / unfused_vs_exact);
      ++ratios;
    }
  }
  const double mean_ratio = ratios ? std::exp(log_ratio / ratios) : 1.0;
  if (print_errors()) std::printf("%s: geometric mean of fused/unfused errors %.2f\n", what.c_str(), mean_ratio);
  EXPECT_LE(mean_ratio, kMeanAccuracyFactor) << what;
}

void check_time_mix(const MixCase& c) {
  torch::manual_seed(c.seed);
  Rwkv7TimeMix fused(config_of(c, "fused"), c.layer);
  perturb(*fused, c.seed + 1, c);
  Rwkv7TimeMix unfused(config_of(c, "cpu"), c.layer);
  copy_parameters(*fused, *unfused);
  Rwkv7TimeMix exact(config_of(c, "reference"), c.layer);
  copy_parameters(*fused, *exact);
  exact->to(torch::kDouble);
  expect_close(run_time_mix(fused, c, torch::kFloat), run_time_mix(unfused, c, torch::kFloat),
               run_time_mix(exact, c, torch::kDouble), "time mix " + describe(c));
}

TEST(Rwkv7Fused, TimeMixMatchesUnfusedForEveryKnob) {
  uint64_t seed = 1;
  for (const char* rate : {"released", "relaxed", "stable"})
    for (const char* decay : {"clamped", "unclamped"})
      for (int64_t layer : {0, 1})
        for (bool carried : {false, true})
          check_time_mix({2, 7, 32, 8, layer, rate, decay, carried, seed++});
}

TEST(Rwkv7Fused, TimeMixMatchesUnfusedAcrossShapes) {
  // T = 1 (step mode), T beyond the WKV checkpoint chunk (16) and not a multiple of it, head
  // sizes 8 to 64, a batch of one, one head and several.
  const std::vector<std::array<int64_t, 4>> shapes = {
      {3, 1, 16, 16}, {1, 37, 64, 64}, {2, 16, 48, 16}, {4, 5, 128, 32}, {1, 3, 8, 8}};
  uint64_t seed = 50;
  for (const auto& s : shapes)
    for (int64_t layer : {0, 1})
      check_time_mix({s[0], s[1], s[2], s[3], layer, "relaxed", "unclamped", true, seed++});
}

TEST(Rwkv7Fused, TimeMixEdgeCases) {
  for (const char* decay : {"clamped", "unclamped"})
    check_time_mix({2, 6, 32, 8, 1, "stable", decay, false, 70, "zero-key-head"});
  check_time_mix({2, 6, 32, 8, 0, "relaxed", "unclamped", true, 71, "beyond-clamp"});
  check_time_mix({2, 6, 32, 8, 1, "stable", "unclamped", false, 72, "beyond-clamp"});
  check_time_mix({3, 9, 32, 16, 0, "released", "unclamped", true, 73, "beyond-clamp"});
}

Compared run_channel_mix(Rwkv7ChannelMix& m, const MixCase& c, torch::Dtype dtype) {
  auto gen = at::detail::createCPUGenerator(c.seed + 200);
  auto x = torch::randn({c.B, c.T, c.C}, gen).to(dtype).requires_grad_(true);
  auto x_prev = torch::randn({c.B, c.C}, gen).to(dtype).requires_grad_(true);
  auto cot = torch::randn({c.B, c.T, c.C}, gen).to(dtype);
  for (auto& p : m->parameters()) p.mutable_grad() = torch::Tensor();
  auto [out, last] = m->forward(x, c.carried ? x_prev : torch::Tensor());
  (out * cot).sum().backward();
  Compared r;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    r.names.push_back(name);
    r.values.push_back(t.detach().to(torch::kDouble));
  };
  add("out", out);
  add("last_x", last);
  add("dx", x.grad());
  if (c.carried) add("dx_prev", x_prev.grad());
  for (const auto& p : m->named_parameters()) add("d" + p.key(), p.value().grad());
  return r;
}

TEST(Rwkv7Fused, ChannelMixMatchesUnfused) {
  uint64_t seed = 80;
  for (const auto& s : std::vector<std::array<int64_t, 3>>{{2, 7, 32}, {3, 1, 16}, {1, 33, 64}})
    for (bool carried : {false, true}) {
      MixCase c{s[0], s[1], s[2], s[2], 1, "released", "clamped", carried, seed++};
      torch::manual_seed(c.seed);
      Rwkv7ChannelMix fused(config_of(c, "fused"), 1);
      perturb(*fused, c.seed + 1, c);
      Rwkv7ChannelMix unfused(config_of(c, "cpu"), 1);
      copy_parameters(*fused, *unfused);
      Rwkv7ChannelMix exact(config_of(c, "reference"), 1);
      copy_parameters(*fused, *exact);
      exact->to(torch::kDouble);
      expect_close(run_channel_mix(fused, c, torch::kFloat),
                   run_channel_mix(unfused, c, torch::kFloat),
                   run_channel_mix(exact, c, torch::kDouble), "channel mix " + describe(c));
    }
}

TEST(Rwkv7Fused, LayerNormMatchesTorch) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{{2, 7, 32}, {3, 1, 64}, {70, 48}}) {
    const int64_t C = shape.back();
    Compared fused, torch_fp32, exact;
    for (int run = 0; run < 3; ++run) {
      const auto dtype = run == 2 ? torch::kDouble : torch::kFloat;
      auto x = (torch::randn(shape, at::detail::createCPUGenerator(86)) * 3 + 1).to(dtype).requires_grad_(true);
      auto w = (1 + 0.3 * torch::randn({C}, at::detail::createCPUGenerator(87))).to(dtype).requires_grad_(true);
      auto b = (0.3 * torch::randn({C}, at::detail::createCPUGenerator(88))).to(dtype).requires_grad_(true);
      const auto cot = torch::randn(shape, at::detail::createCPUGenerator(89)).to(dtype);
      const auto y = run == 0 ? kernels::rwkv7_layer_norm(x, w, b, 1e-5)
                              : torch::layer_norm(x, {C}, w, b, 1e-5);
      (y * cot).sum().backward();
      Compared& out = run == 0 ? fused : run == 1 ? torch_fp32 : exact;
      out.names = {"y", "dx", "dweight", "dbias"};
      for (const auto& t : {y, x.grad(), w.grad(), b.grad()}) out.values.push_back(t.detach().to(torch::kDouble));
    }
    expect_close(fused, torch_fp32, exact, "layer norm (" + std::to_string(shape[0]) + ",...," + std::to_string(C) + ")");
  }
}

// Threads never change the fused results: every reduction runs over fixed blocks of rows.
// (560 rows of 64 channels: the kernels split them between two threads.)
TEST(Rwkv7Fused, ResultsDoNotDependOnTheThreadCount) {
  const MixCase c{8, 70, 64, 16, 1, "stable", "unclamped", true, 90};
  torch::manual_seed(c.seed);
  Rwkv7TimeMix m(config_of(c, "fused"), c.layer);
  perturb(*m, c.seed + 1, c);
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const Compared one = run_time_mix(m, c, torch::kFloat);
  torch::set_num_threads(2);
  const Compared two = run_time_mix(m, c, torch::kFloat);
  torch::set_num_threads(threads);
  for (size_t i = 0; i < one.values.size(); ++i)
    EXPECT_TRUE(torch::equal(one.values[i], two.values[i])) << one.names[i];
}

TEST(Rwkv7Fused, KernelChoice) {
  EXPECT_TRUE(kernel_choice("auto").fused);
  EXPECT_FALSE(kernel_choice("auto").fused_only);
  EXPECT_TRUE(kernel_choice("fused").fused_only);
  EXPECT_EQ(kernel_choice("fused").recurrence, kernels::Impl::Auto);
  for (const char* name : {"reference", "cpu", "cuda", "loop"})
    EXPECT_FALSE(kernel_choice(name).fused) << name;
  EXPECT_EQ(kernel_choice("reference").recurrence, kernels::Impl::Reference);
  EXPECT_THROW(kernel_choice("fast"), std::invalid_argument);
  // "fused" refuses what it cannot run (double here; CUDA tensors alike).
  const MixCase c{2, 3, 16, 8, 0, "released", "clamped", false, 95};
  torch::manual_seed(c.seed);
  Rwkv7TimeMix fused(config_of(c, "fused"), 0);
  perturb(*fused, c.seed, c);
  const auto x = torch::randn({2, 3, 16});
  EXPECT_THROW(fused->forward(x.to(torch::kDouble), {}, {}, {}), std::invalid_argument);
  // "auto" on CPU fp32 is the fused op: the same numbers bit for bit.
  Rwkv7TimeMix automatic(config_of(c, "auto"), 0);
  copy_parameters(*fused, *automatic);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(fused->forward(x, {}, {}, {}).out, automatic->forward(x, {}, {}, {}).out));
}

}  // namespace
}  // namespace goose::core
