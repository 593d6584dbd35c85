// The fused CPU cross-entropy (kernels/cross_entropy.h) against LibTorch's cross_entropy, its
// reference: loss and logit gradients with ignored rows, large and tiny logits, one labelled row
// and none (NaN, as LibTorch), bad targets, and thread independence.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "kernels/cross_entropy.h"
#include "tests/support/gradcheck.h"

namespace goose::kernels {
namespace {

using goose::testing::rms_ratio;

constexpr int64_t kIgnore = -100;
// RMS(fused − LibTorch)/RMS(LibTorch) of the loss and the gradient; measured 1.1e-7 at worst
// (GOOSE_PRINT_ERRORS=1 prints them).
constexpr double kTol = 1e-6;

struct Result {
  torch::Tensor loss, grad;
};

Result run(const torch::Tensor& logits_in, const torch::Tensor& targets, bool fused) {
  auto logits = logits_in.clone().requires_grad_(true);
  auto loss = cross_entropy(logits, targets, kIgnore, fused);
  (loss * 1.7).backward();
  return {loss.detach(), logits.grad()};
}

TEST(CrossEntropy, MatchesLibTorch) {
  auto gen = at::detail::createCPUGenerator(5);
  for (const auto& [rows, K, scale] : std::vector<std::tuple<int64_t, int64_t, double>>{
           {2048, 120, 3.0}, {37, 2, 1.0}, {5, 1, 1.0}, {64, 33, 40.0}}) {
    const auto logits = torch::randn({rows, K}, gen) * scale;
    auto targets = torch::randint(0, K, {rows}, gen, torch::kLong);
    targets.masked_fill_(torch::rand({rows}, gen) < 0.3, kIgnore);
    targets[0] = 0;  // at least one labelled row
    const Result f = run(logits, targets, true), r = run(logits, targets, false);
    EXPECT_LE(rms_ratio(f.loss, r.loss), kTol) << rows << "x" << K;
    EXPECT_LE(rms_ratio(f.grad, r.grad), kTol) << rows << "x" << K;
    if (std::getenv("GOOSE_PRINT_ERRORS"))
      std::printf("cross entropy %lldx%lld scale %g: loss %.2e grad %.2e\n", (long long)rows,
                  (long long)K, scale, rms_ratio(f.loss, r.loss), rms_ratio(f.grad, r.grad));
    // Ignored rows get no gradient.
    const auto ignored = targets.eq(kIgnore);
    if (ignored.any().item<bool>())
      EXPECT_EQ(f.grad.index({ignored}).abs().max().item<double>(), 0.0);
  }
}

TEST(CrossEntropy, EdgeCases) {
  // No labelled row: NaN, as LibTorch; a zero gradient.
  const auto logits = torch::randn({4, 3});
  const auto none = torch::full({4}, kIgnore, torch::kLong);
  const Result f = run(logits, none, true);
  EXPECT_TRUE(std::isnan(f.loss.item<double>()));
  EXPECT_TRUE(std::isnan(run(logits, none, false).loss.item<double>()));
  EXPECT_EQ(f.grad.abs().max().item<double>(), 0.0);
  // A target outside [0, K) is refused.
  EXPECT_THROW(cross_entropy(logits, torch::tensor({0, 1, 3, 0}, torch::kLong), kIgnore),
               std::invalid_argument);
  // Double logits run LibTorch's op.
  EXPECT_EQ(cross_entropy(logits.to(torch::kDouble), torch::tensor({0, 1, 2, 0}, torch::kLong), kIgnore)
                .scalar_type(),
            torch::kDouble);
}

TEST(CrossEntropy, ThreadsDoNotChangeResults) {
  auto gen = at::detail::createCPUGenerator(6);
  const auto logits = torch::randn({4096, 40}, gen);
  const auto targets = torch::randint(0, 40, {4096}, gen, torch::kLong);
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const Result one = run(logits, targets, true);
  torch::set_num_threads(2);
  const Result two = run(logits, targets, true);
  torch::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.loss, two.loss));
  EXPECT_TRUE(torch::equal(one.grad, two.grad));
}

}  // namespace
}  // namespace goose::kernels
