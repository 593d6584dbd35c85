// The fused causal depthwise convolution + SiLU (kernels/causal_conv.h) against the LibTorch
// chain it replaces in core/dssm.cpp (cat of the carried window, grouped conv1d, silu), its
// reference: outputs and the gradients of u, the window, weight and bias; sequences shorter than
// the window; u as a strided chunk of a wider projection; thread independence; bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/causal_conv.h"
#include "tests/support/gradcheck.h"

namespace goose::kernels {
namespace {

using goose::testing::rms_ratio;

// RMS(fused − LibTorch)/RMS(LibTorch): the sums run in a different order (and SiLU's sigmoid is
// vector_math.h's), about 1e-7 measured.
constexpr double kTol = 1e-6;

struct Case {
  int64_t B, T, D, K;
  bool window, strided;
};

struct Result {
  torch::Tensor x, du, dwindow, dweight, dbias;
};

// proj (B,T,2D) gives u = its first D channels, a strided chunk as in the DSSM; `fused` picks the op.
Result run(const Case& c, bool fused, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto proj = torch::randn({c.B, c.T, (c.strided ? 2 : 1) * c.D}, gen).requires_grad_(true);
  auto window = c.window ? torch::randn({c.B, c.D, c.K - 1}, gen).requires_grad_(true) : torch::Tensor();
  auto weight = (torch::randn({c.D, 1, c.K}, gen) * 0.5).requires_grad_(true);
  auto bias = (torch::randn({c.D}, gen) * 0.1).requires_grad_(true);
  auto cot = torch::randn({c.B, c.T, c.D}, gen);
  auto u = c.strided ? proj.chunk(2, -1)[0] : proj;
  torch::Tensor x;
  if (fused) {
    x = causal_conv_silu(u, window, weight, bias);
  } else {
    auto w = window.defined() ? window : torch::zeros({c.B, c.D, c.K - 1});
    auto ext = torch::cat({w, u.transpose(1, 2)}, 2);
    x = torch::silu(torch::nn::functional::conv1d(
                        ext, weight, torch::nn::functional::Conv1dFuncOptions().bias(bias).groups(c.D)))
            .transpose(1, 2);
  }
  (x * cot).sum().backward();
  auto du = c.strided ? proj.grad().chunk(2, -1)[0] : proj.grad();
  if (c.strided) {  // the other half of the projection gets nothing
    EXPECT_EQ(proj.grad().chunk(2, -1)[1].abs().max().item<float>(), 0.f);
  }
  return {x.detach(), du, window.defined() ? window.grad() : torch::Tensor(), weight.grad(), bias.grad()};
}

TEST(CausalConvSilu, MatchesLibTorchChain) {
  const std::vector<Case> cases = {
      {3, 17, 128, 4, true, true},    // the DSSM's shape: chunk of in_proj, carried window
      {2, 33, 40, 4, false, true},    // no window (zeros)
      {2, 1, 8, 4, true, false},      // step mode: T = 1 < K − 1
      {1, 2, 8, 4, true, true},       // T = 2 < K − 1
      {4, 9, 5, 1, false, false},     // K = 1: no window at all
      {2, 12, 70, 3, true, false},    // D not a multiple of the vector width
  };
  uint64_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "B=" << c.B << " T=" << c.T << " D=" << c.D << " K=" << c.K
                                      << " window=" << c.window << " strided=" << c.strided);
    const Result f = run(c, true, seed), r = run(c, false, seed);
    ++seed;
    EXPECT_LE(rms_ratio(f.x, r.x), kTol);
    EXPECT_LE(rms_ratio(f.du, r.du), kTol);
    EXPECT_LE(rms_ratio(f.dweight, r.dweight), kTol);
    EXPECT_LE(rms_ratio(f.dbias, r.dbias), kTol);
    ASSERT_EQ(f.dwindow.defined(), r.dwindow.defined());
    if (f.dwindow.defined()) {
      EXPECT_LE(rms_ratio(f.dwindow, r.dwindow), kTol);
    }
  }
}

TEST(CausalConvSilu, ThreadCountDoesNotChangeResults) {
  const Case c{4, 64, 256, 4, true, true};  // large enough to split the channels over threads
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const Result one = run(c, true, 7);
  at::set_num_threads(2);
  const Result two = run(c, true, 7);
  at::set_num_threads(threads);
  for (const auto& [a, b] : {std::pair{one.x, two.x}, {one.du, two.du}, {one.dwindow, two.dwindow},
                             {one.dweight, two.dweight}, {one.dbias, two.dbias}})
    EXPECT_TRUE(torch::equal(a, b));
}

TEST(CausalConvSilu, RejectsBadInput) {
  const auto u = torch::randn({2, 5, 8}), w = torch::randn({8, 1, 4}), b = torch::randn({8});
  EXPECT_THROW(causal_conv_silu(u.to(torch::kDouble), {}, w, b), std::invalid_argument);
  EXPECT_THROW(causal_conv_silu(u, torch::randn({2, 8, 2}), w, b), std::invalid_argument);
  EXPECT_THROW(causal_conv_silu(u, {}, torch::randn({7, 1, 4}), b), std::invalid_argument);
  EXPECT_THROW(causal_conv_silu(u[0], {}, w, b), std::invalid_argument);
}

}  // namespace
}  // namespace goose::kernels
