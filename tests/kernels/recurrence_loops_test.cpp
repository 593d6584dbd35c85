// Tests for Impl::Loop (kernels/recurrence_loops.h): the per-step LibTorch loops of wkv7() and
// selective_scan() against the reference kernels (outputs, final state, every input gradient
// through autograd), the name "loop", and its dtype checks. Fixed seeds.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "kernels/recurrence_loops.h"
#include "kernels/selective_scan.h"
#include "kernels/wkv7.h"
#include "tests/support/gradcheck.h"
#include "tests/support/recurrence_inputs.h"

namespace goose::kernels {
namespace {

using goose::testing::rms_ratio;
using torch::Tensor;

using goose::testing::kLoopFp32Tol;

using Runner = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

// Runs f on fresh leaf copies of the inputs (undefined ones stay undefined), backpropagates
// fixed seeded cotangents for every output and returns outputs followed by input gradients.
std::vector<Tensor> outputs_and_grads(const Runner& f, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> leaves;
  for (const Tensor& t : inputs)
    leaves.push_back(t.defined() ? t.detach().clone().requires_grad_(true) : Tensor());
  const std::vector<Tensor> outs = f(leaves);
  torch::manual_seed(99);
  Tensor loss = torch::zeros({}, torch::kDouble);
  for (const Tensor& o : outs) loss = loss + (o.to(torch::kDouble) * torch::randn_like(o, torch::kDouble)).sum();
  loss.backward();
  std::vector<Tensor> result;
  for (const Tensor& o : outs) result.push_back(o.detach());
  for (const Tensor& l : leaves) result.push_back(l.defined() ? l.grad() : Tensor());
  return result;
}

void expect_match(const Runner& loop, const Runner& ref, const std::vector<Tensor>& inputs,
                  const std::vector<std::string>& names, const std::string& what) {
  const auto got = outputs_and_grads(loop, inputs);
  const auto want = outputs_and_grads(ref, inputs);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.size(), names.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (!want[i].defined()) {
      EXPECT_FALSE(got[i].defined()) << what << ": " << names[i];
      continue;
    }
    ASSERT_TRUE(got[i].defined()) << what << ": " << names[i] << " has no gradient";
    ASSERT_EQ(got[i].sizes(), want[i].sizes()) << what << ": " << names[i];
    EXPECT_EQ(got[i].scalar_type(), want[i].scalar_type()) << what << ": " << names[i];
    const double err = rms_ratio(got[i], want[i]);
    if (std::getenv("GOOSE_PRINT_ERRORS")) std::printf("loop %s %s %.3g\n", what.c_str(), names[i].c_str(), err);
    EXPECT_LE(err, kLoopFp32Tol) << what << ": " << names[i];
  }
}

// wkv7 inputs in the model's domain (decay in (e^{-0.61}, 1), a = −κ̂, b = κ̂·α).
std::vector<Tensor> wkv7_inputs(int64_t B, int64_t T, int64_t H, int64_t N, bool with_s0,
                                uint64_t seed) {
  torch::manual_seed(seed);
  const std::vector<int64_t> shape = {B, T, H, N};
  Tensor r = torch::randn(shape);
  Tensor w = torch::exp(-0.6065306597 * torch::sigmoid(torch::randn(shape)));
  Tensor k = torch::randn(shape) / std::sqrt(static_cast<double>(N));
  Tensor v = torch::randn(shape);
  Tensor kk = torch::randn(shape);
  kk = kk / kk.norm(2, -1, true).clamp_min(1e-12);
  Tensor s0 = with_s0 ? 0.3 * torch::randn({B, H, N, N}) : Tensor();
  return {r, w, k, v, -kk, kk * torch::rand(shape), s0};
}

Runner wkv7_with(Impl impl) {
  return [impl](const std::vector<Tensor>& x) {
    auto [y, s] = wkv7(x[0], x[1], x[2], x[3], x[4], x[5], x[6], impl);
    return std::vector<Tensor>{y, s};
  };
}

const std::vector<std::string> kWkv7Names = {"y",  "s_T", "dr", "dw", "dk",
                                             "dv", "da",  "db", "ds0"};

TEST(Wkv7Loop, MatchesReference) {
  struct Case {
    int64_t B, T, H, N;
    bool with_s0;
    uint64_t seed;
  };
  for (const Case& c : {Case{2, 17, 2, 8, true, 1}, Case{1, 1, 3, 4, true, 2},
                        Case{3, 1, 1, 16, false, 3}, Case{2, 40, 1, 16, false, 4}}) {
    const std::string what = "B=" + std::to_string(c.B) + " T=" + std::to_string(c.T) +
                             " H=" + std::to_string(c.H) + " N=" + std::to_string(c.N) +
                             (c.with_s0 ? " with s0" : " no s0");
    expect_match(wkv7_with(Impl::Loop), wkv7_with(Impl::Reference),
                 wkv7_inputs(c.B, c.T, c.H, c.N, c.with_s0, c.seed), kWkv7Names, what);
  }
}

TEST(Wkv7Loop, DoubleInputsKeepADoubleState) {
  auto x = wkv7_inputs(1, 5, 2, 4, true, 5);
  for (Tensor& t : x) t = t.to(torch::kDouble);
  auto [y, s] = wkv7(x[0], x[1], x[2], x[3], x[4], x[5], x[6], Impl::Loop);
  auto [yr, sr] = wkv7(x[0], x[1], x[2], x[3], x[4], x[5], x[6], Impl::Reference);
  EXPECT_EQ(y.scalar_type(), torch::kDouble);
  EXPECT_EQ(s.scalar_type(), torch::kDouble);
  EXPECT_LE(rms_ratio(y, yr), 1e-12);
  EXPECT_LE(rms_ratio(s, sr), 1e-12);
}

TEST(Wkv7Loop, ValidatesLikeTheKernels) {
  auto x = wkv7_inputs(1, 3, 1, 4, false, 6);
  const Tensor bad = torch::zeros({1, 3, 1, 5});
  EXPECT_THROW(wkv7(x[0], bad, x[2], x[3], x[4], x[5], {}, Impl::Loop), std::invalid_argument);
  for (Tensor& t : x) t = t.defined() ? t.to(torch::kHalf) : t;
  try {
    wkv7(x[0], x[1], x[2], x[3], x[4], x[5], {}, Impl::Loop);
    FAIL() << "Half inputs were accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("loop"), std::string::npos) << e.what();
  }
}

// Scan inputs from the shared generator: Δ > 0, A < 0 (A_re < 0), as a list.
std::vector<Tensor> scan_inputs(int64_t B, int64_t T, int64_t D, int64_t N, bool with_h0,
                                uint64_t seed, ScanMode mode = ScanMode::Real) {
  auto in = goose::testing::scan_inputs(B, T, D, N, seed, torch::kFloat, with_h0, mode);
  return {in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip, in.h0};
}

Runner scan_with(Impl impl, ScanMode mode) {
  return [impl, mode](const std::vector<Tensor>& x) {
    auto [y, h] = selective_scan(x[0], x[1], x[2], x[3], x[4], x[5], x[6], mode, impl);
    return std::vector<Tensor>{y, h};
  };
}

const std::vector<std::string> kScanNames = {"y",   "h_T", "dx",     "ddelta", "dA",
                                             "dBm", "dCm", "dDskip", "dh0"};

TEST(SelectiveScanLoop, MatchesReference) {
  struct Case {
    int64_t B, T, D, N;
    bool with_h0;
    ScanMode mode;
    uint64_t seed;
  };
  for (const Case& c :
       {Case{2, 19, 6, 4, true, ScanMode::Real, 11}, Case{2, 23, 5, 3, true, ScanMode::Signed, 12},
        Case{1, 1, 4, 8, true, ScanMode::Signed, 13}, Case{3, 1, 3, 2, false, ScanMode::Real, 14},
        Case{2, 30, 8, 16, false, ScanMode::Real, 15},
        Case{2, 21, 5, 4, true, ScanMode::Complex, 18},
        Case{1, 1, 3, 2, false, ScanMode::Complex, 19}}) {
    const std::string what = "B=" + std::to_string(c.B) + " T=" + std::to_string(c.T) +
                             " D=" + std::to_string(c.D) + " N=" + std::to_string(c.N) +
                             (c.with_h0 ? " with h0 " : " no h0 ") + to_string(c.mode);
    expect_match(scan_with(Impl::Loop, c.mode), scan_with(Impl::Reference, c.mode),
                 scan_inputs(c.B, c.T, c.D, c.N, c.with_h0, c.seed, c.mode), kScanNames, what);
  }
}

TEST(SelectiveScanLoop, AcceptsDouble) {
  for (ScanMode mode : {ScanMode::Signed, ScanMode::Complex}) {
    auto x = scan_inputs(2, 6, 3, 4, true, 16, mode);
    for (Tensor& t : x) t = t.to(torch::kDouble);
    auto [y, h] = selective_scan(x[0], x[1], x[2], x[3], x[4], x[5], x[6], mode, Impl::Loop);
    auto [yr, hr] =
        selective_scan(x[0], x[1], x[2], x[3], x[4], x[5], x[6], mode, Impl::Reference);
    EXPECT_EQ(y.scalar_type(), torch::kDouble);
    EXPECT_LE(rms_ratio(y, yr), 1e-12) << to_string(mode);
    EXPECT_LE(rms_ratio(h, hr), 1e-12) << to_string(mode);
  }
}

TEST(SelectiveScanLoop, ValidatesLikeTheKernels) {
  auto x = scan_inputs(1, 3, 2, 2, false, 17);
  EXPECT_THROW(selective_scan(x[0], x[1], x[2], x[3].narrow(2, 0, 1), x[4], x[5], {},
                              ScanMode::Real, Impl::Loop),
               std::invalid_argument);
  EXPECT_THROW(selective_scan(x[0], x[1], x[2], x[3], x[4], x[5], {}, ScanMode::Complex,
                              Impl::Loop),
               std::invalid_argument);
}

TEST(ImplNames, LoopParsesAndPrints) {
  EXPECT_EQ(parse_impl("loop"), Impl::Loop);
  EXPECT_EQ(to_string(Impl::Loop), "loop");
  for (const char* name : {"auto", "reference", "cpu", "cuda", "loop"})
    EXPECT_EQ(to_string(parse_impl(name)), name);
  try {
    parse_impl("loops");
    FAIL() << "'loops' was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("loop)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace goose::kernels
