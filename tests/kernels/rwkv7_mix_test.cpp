// The fused RWKV-7 mix kernels' own pieces: the vectorisable exp and sigmoid (kernels/
// vector_math.h) against the C library in double, over their whole range and at the edges, and
// the raw kernels' thread independence. Their outputs and gradients are tested against the
// unfused LibTorch chain in tests/core/rwkv7_fused_test.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/rwkv7_mix_cpu.h"
#include "kernels/vector_math.h"

namespace goose::kernels {
namespace {

// Distance in units in the last place between two finite floats of the same sign.
int64_t ulps(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::llabs(int64_t(ia) - int64_t(ib));
}

TEST(VectorMath, ExpWithinTwoUlpsWhereNormal) {
  // 4 million evenly spaced x in [-87.33, 88.72] and 1 million in [-1, 1], against exp in
  // double rounded to float.
  int64_t worst = 0;
  double worst_x = 0;
  auto check = [&](double lo, double hi, int64_t n) {
    for (int64_t i = 0; i <= n; ++i) {
      const float x = static_cast<float>(lo + (hi - lo) * double(i) / double(n));
      const float want = static_cast<float>(std::exp(static_cast<double>(x)));
      const int64_t d = ulps(fast_exp(x), want);
      if (d > worst) worst = d, worst_x = x;
    }
  };
  check(-87.33, 88.72, 4000000);
  check(-1.0, 1.0, 1000000);
  EXPECT_LE(worst, 2) << "at x = " << worst_x;
  if (std::getenv("GOOSE_PRINT_ERRORS")) std::printf("fast_exp: worst %lld ulp at %g\n", (long long)worst, worst_x);
}

TEST(VectorMath, ExpEdges) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_EQ(fast_exp(-inf), 0.0f);
  EXPECT_EQ(fast_exp(-200.0f), 0.0f);
  EXPECT_EQ(fast_exp(inf), inf);
  EXPECT_EQ(fast_exp(89.0f), inf);
  EXPECT_TRUE(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
  // Denormal results, as the C library's expf gives them (to within a few denormal steps).
  for (float x : {-88.0f, -95.0f, -100.0f, -103.5f}) {
    const double want = std::exp(static_cast<double>(x));
    EXPECT_NEAR(fast_exp(x), want, 4 * std::numeric_limits<float>::denorm_min()) << x;
    EXPECT_GT(fast_exp(x), 0.0f) << x;
  }
}

TEST(VectorMath, Sigmoid) {
  for (float x = -30.0f; x <= 30.0f; x += 0.01f) {
    const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    EXPECT_NEAR(fast_sigmoid(x), want, 2.5e-7 * want) << x;
  }
  EXPECT_EQ(fast_sigmoid(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(fast_sigmoid(std::numeric_limits<float>::infinity()), 1.0f);
  EXPECT_EQ(fast_sigmoid(100.0f), 1.0f);
}

// The kernels with one thread and two give identical bits (reductions over fixed row blocks).
TEST(Rwkv7MixKernels, ThreadsDoNotChangeResults) {
  const Rwkv7MixDims d{6, 100, 4, 16};  // 600 rows of 64 channels: split between two threads
  const int64_t R = d.rows(), C = d.C();
  auto gen = at::detail::createCPUGenerator(3);
  auto rnd = [&](std::vector<int64_t> shape) { return torch::randn(shape, gen); };
  const auto x = rnd({R, C}), x_prev = rnd({d.B, C}), mu = torch::rand({6, C}, gen);
  const auto dout = rnd({6, R, C});
  auto run = [&]() {
    auto dx = torch::empty({R, C}), dx_prev = torch::empty({d.B, C}), dmu = torch::empty({6, C});
    Rwkv7ShiftMixBackwardArgs a;
    a.M = 6;
    a.x = x.data_ptr<float>();
    a.x_prev = x_prev.data_ptr<float>();
    for (int m = 0; m < 6; ++m) {
      a.mu[m] = mu[m].data_ptr<float>();
      a.dout[m] = dout[m].data_ptr<float>();
      a.dmu[m] = dmu[m].data_ptr<float>();
    }
    a.dx = dx.data_ptr<float>();
    a.dx_prev = dx_prev.data_ptr<float>();
    rwkv7_shift_mix_backward(d, a);
    return std::vector<torch::Tensor>{dx, dx_prev, dmu};
  };
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = run();
  torch::set_num_threads(2);
  const auto two = run();
  torch::set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(torch::equal(one[i], two[i])) << i;
  // dμ_m = Σ dout_m ⊙ (shift(x) − x), against LibTorch.
  const auto x3 = x.view({d.B, d.T, C});
  const auto shifted = torch::cat({x_prev.unsqueeze(1), x3.slice(1, 0, d.T - 1)}, 1);
  const auto xx = (shifted - x3).reshape({R, C});
  for (int m = 0; m < 6; ++m)
    EXPECT_TRUE(torch::allclose(one[2][m], (dout[m] * xx).sum(0), 1e-4, 1e-4)) << m;
}

}  // namespace
}  // namespace goose::kernels
