// Tests of the diagonal selective scan: the reference against finite differences (double),
// the CPU kernel against the reference (outputs, final state, every gradient), thread-count
// independence, input validation, and the CUDA kernel against the reference (skipped without
// a GPU). Seeds are fixed and printed in failure messages.
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/selective_scan.h"
#include "tests/support/gradcheck.h"
#include "tests/support/recurrence_inputs.h"

namespace goose::kernels {
namespace {

using goose::testing::gradcheck;
using goose::testing::rms_ratio;
using torch::Tensor;

using goose::testing::Regime;
using goose::testing::ScanInputs;
using goose::testing::kFp32GradTol;
using goose::testing::kFp32Tol;
using goose::testing::scan_inputs;

struct ScanResult {
  Tensor y, hT;
  std::vector<Tensor> grads;  // x, delta, A, Bm, Cm, Dskip, h0
};

const std::vector<std::string> kNames = {"x", "delta", "A", "Bm", "Cm", "Dskip", "h0"};

// Forward, then backward of <dy, y> + <dhT, h_T> (either cotangent may be undefined).
ScanResult run(const ScanInputs& in, bool signed_decay, Impl impl, const Tensor& dy,
               const Tensor& dhT, torch::Device device = torch::kCPU) {
  std::vector<Tensor> leaves;
  for (const Tensor* t : {&in.x, &in.delta, &in.A, &in.Bm, &in.Cm, &in.Dskip, &in.h0})
    leaves.push_back(t->defined() ? t->to(device).detach().requires_grad_(true) : Tensor());
  auto [y, hT] = selective_scan(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4],
                                leaves[5], leaves[6], signed_decay, impl);
  Tensor loss = torch::zeros({}, y.options());
  if (dy.defined()) loss = loss + (y * dy.to(y.options())).sum();
  if (dhT.defined()) loss = loss + (hT * dhT.to(hT.options())).sum();
  if (loss.requires_grad()) loss.backward();
  ScanResult r{y.detach().cpu(), hT.detach().cpu(), {}};
  for (auto& l : leaves)
    r.grads.push_back(l.defined() && l.grad().defined() ? l.grad().cpu() : Tensor());
  return r;
}

// Compares got with ref: outputs at kFp32Tol, gradients at kFp32GradTol.
void expect_close(const ScanResult& got, const ScanResult& ref, const std::string& what) {
  EXPECT_LT(rms_ratio(got.y, ref.y), kFp32Tol) << what << ": y";
  EXPECT_LT(rms_ratio(got.hT, ref.hT), kFp32Tol) << what << ": h_T";
  for (size_t i = 0; i < ref.grads.size(); ++i) {
    ASSERT_EQ(got.grads[i].defined(), ref.grads[i].defined()) << what << ": d" << kNames[i];
    if (!ref.grads[i].defined()) continue;
    EXPECT_LT(rms_ratio(got.grads[i], ref.grads[i]), kFp32GradTol) << what << ": d" << kNames[i];
  }
}

std::function<std::vector<Tensor>(const std::vector<Tensor>&)> reference_fn(bool signed_decay) {
  return [signed_decay](const std::vector<Tensor>& v) {
    auto [y, hT] =
        selective_scan(v[0], v[1], v[2], v[3], v[4], v[5], v[6], signed_decay, Impl::Reference);
    return std::vector<Tensor>{y, hT};
  };
}

std::vector<Tensor> as_list(const ScanInputs& in) {
  return {in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip, in.h0};
}

TEST(SelectiveScanReference, GradientsMatchFiniteDifferences) {
  for (bool sgn : {false, true}) {
    for (bool with_h0 : {true, false}) {
      const uint64_t seed = 11 + sgn + 2 * with_h0;
      auto in = scan_inputs(2, 5, 3, 4, seed, torch::kDouble, with_h0);
      EXPECT_TRUE(gradcheck(reference_fn(sgn), as_list(in), kNames))
          << "seed " << seed << " signed " << sgn << " h0 " << with_h0;
    }
  }
}

TEST(SelectiveScanReference, GradientsMatchFiniteDifferencesAtExtremeDecay) {
  for (auto regime : {Regime::DecayToZero, Regime::SignedZero}) {
    for (bool sgn : {false, true}) {
      const uint64_t seed = 21 + sgn;
      auto in = scan_inputs(1, 6, 2, 3, seed, torch::kDouble, true, regime);
      EXPECT_TRUE(gradcheck(reference_fn(sgn), as_list(in), kNames))
          << "seed " << seed << " signed " << sgn << " regime " << int(regime);
    }
  }
}

TEST(SelectiveScanReference, MatchesTheEquationsByHand) {
  // B=T=D=N=1, two steps: h1 = λ1·h0 + Δ1 x1 B1, y1 = C1 h1 + Dskip x1, and so on.
  auto t = [](std::vector<double> v, std::vector<int64_t> shape) {
    return torch::tensor(v, torch::kDouble).reshape(shape);
  };
  auto x = t({1.0, 2.0}, {1, 2, 1}), delta = t({0.5, 0.25}, {1, 2, 1}), A = t({-1.0}, {1, 1});
  auto Bm = t({3.0, -1.0}, {1, 2, 1}), Cm = t({2.0, 0.5}, {1, 2, 1}), Dskip = t({0.1}, {1});
  auto h0 = t({4.0}, {1, 1, 1});
  for (bool sgn : {false, true}) {
    auto lam = [&](double z) { return sgn ? 2 * std::exp(z) - 1 : std::exp(z); };
    const double h1 = lam(-0.5) * 4.0 + 0.5 * 1.0 * 3.0;
    const double h2 = lam(-0.25) * h1 + 0.25 * 2.0 * -1.0;
    auto [y, hT] = selective_scan(x, delta, A, Bm, Cm, Dskip, h0, sgn, Impl::Reference);
    EXPECT_NEAR(y[0][0][0].item<double>(), 2.0 * h1 + 0.1, 1e-12);
    EXPECT_NEAR(y[0][1][0].item<double>(), 0.5 * h2 + 0.2, 1e-12);
    EXPECT_NEAR(hT.item<double>(), h2, 1e-12);
  }
}

struct Shape {
  int64_t B, T, D, N;
};

std::string describe(const Shape& s, bool sgn, uint64_t seed) {
  return "B=" + std::to_string(s.B) + " T=" + std::to_string(s.T) + " D=" + std::to_string(s.D) +
         " N=" + std::to_string(s.N) + (sgn ? " signed" : " unsigned") +
         " seed=" + std::to_string(seed);
}

// T = 1, odd, not a multiple of the checkpoint interval, multiples of it; N in {1,4,16};
// D in {3,16,64}; B×channel-blocks below and above the 2 cores.
const std::vector<Shape> kShapes = {{1, 1, 3, 1},  {1, 7, 3, 4},   {2, 17, 16, 16},
                                    {3, 33, 64, 4}, {2, 48, 64, 16}, {4, 100, 16, 1},
                                    {1, 5, 64, 16}, {2, 64, 3, 16}};

void compare_cpu_with_reference(Regime regime, uint64_t seed0) {
  uint64_t seed = seed0;
  for (const auto& s : kShapes) {
    for (bool sgn : {false, true}) {
      ++seed;
      auto in = scan_inputs(s.B, s.T, s.D, s.N, seed, torch::kFloat, true, regime);
      auto gen = at::detail::createCPUGenerator(seed + 1000);
      auto dy = torch::randn({s.B, s.T, s.D}, gen);
      auto dhT = torch::randn({s.B, s.D, s.N}, gen);
      const auto ref = run(in, sgn, Impl::Reference, dy, dhT);
      const auto got = run(in, sgn, Impl::Cpu, dy, dhT);
      expect_close(got, ref, describe(s, sgn, seed));
    }
  }
}

TEST(SelectiveScanCpu, MatchesReference) { compare_cpu_with_reference(Regime::Typical, 100); }

TEST(SelectiveScanCpu, MatchesReferenceWithDecayNearZeroOrMinusOne) {
  compare_cpu_with_reference(Regime::DecayToZero, 200);
}

TEST(SelectiveScanCpu, MatchesReferenceWithSignedDecayExactlyZero) {
  compare_cpu_with_reference(Regime::SignedZero, 300);
}

TEST(SelectiveScanCpu, MatchesReferenceWithoutH0AndWithOneCotangent) {
  const Shape s{2, 21, 16, 4};
  auto in = scan_inputs(s.B, s.T, s.D, s.N, 7, torch::kFloat, false);
  auto gen = at::detail::createCPUGenerator(8);
  auto dy = torch::randn({s.B, s.T, s.D}, gen);
  auto dhT = torch::randn({s.B, s.D, s.N}, gen);
  for (bool sgn : {false, true}) {
    expect_close(run(in, sgn, Impl::Cpu, dy, Tensor()), run(in, sgn, Impl::Reference, dy, Tensor()),
                 "y only, " + describe(s, sgn, 7));
    expect_close(run(in, sgn, Impl::Cpu, Tensor(), dhT),
                 run(in, sgn, Impl::Reference, Tensor(), dhT), "h_T only, " + describe(s, sgn, 7));
  }
  // Without h0 the gradient list has no h0 entry, and the outputs still need a gradient.
  auto r = run(in, false, Impl::Cpu, dy, dhT);
  EXPECT_FALSE(r.grads[6].defined());
}

TEST(SelectiveScanCpu, InferenceMatchesTrainingForward) {
  auto in = scan_inputs(2, 40, 16, 16, 9, torch::kFloat, true);
  for (bool sgn : {false, true}) {
    auto ref = run(in, sgn, Impl::Cpu, torch::ones({2, 40, 16}), Tensor());
    torch::NoGradGuard no_grad;
    auto [y, hT] = selective_scan(in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip, in.h0, sgn);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(torch::equal(y, ref.y));  // the checkpoint stores change no arithmetic
    EXPECT_TRUE(torch::equal(hT, ref.hT));
  }
}

TEST(SelectiveScanCpu, ThreadCountDoesNotChangeResults) {
  const int saved = torch::get_num_threads();
  auto in = scan_inputs(4, 37, 64, 16, 31, torch::kFloat, true);
  auto gen = at::detail::createCPUGenerator(32);
  auto dy = torch::randn({4, 37, 64}, gen);
  auto dhT = torch::randn({4, 64, 16}, gen);
  for (bool sgn : {false, true}) {
    torch::set_num_threads(1);
    const auto one = run(in, sgn, Impl::Cpu, dy, dhT);
    torch::set_num_threads(2);
    const auto two = run(in, sgn, Impl::Cpu, dy, dhT);
    EXPECT_TRUE(torch::equal(one.y, two.y));
    EXPECT_TRUE(torch::equal(one.hT, two.hT));
    for (size_t i = 0; i < one.grads.size(); ++i)
      EXPECT_TRUE(torch::equal(one.grads[i], two.grads[i])) << "d" << kNames[i];
  }
  torch::set_num_threads(saved);
}

// The error message of selective_scan(args...) must contain every needle.
template <typename F>
void expect_invalid(F&& call, const std::vector<std::string>& needles) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one mentioning " << needles.front();
  } catch (const std::invalid_argument& e) {
    for (const auto& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what() << " lacks " << n;
  }
}

TEST(SelectiveScan, RejectsBadInputsNamingTheTensor) {
  auto in = scan_inputs(2, 5, 3, 4, 1, torch::kFloat, true);
  auto call = [&](const ScanInputs& v, Impl impl = Impl::Auto) {
    return [v, impl] {
      selective_scan(v.x, v.delta, v.A, v.Bm, v.Cm, v.Dskip, v.h0, false, impl);
    };
  };
  auto with = [&](Tensor ScanInputs::*field, Tensor value) {
    ScanInputs v = in;
    v.*field = value;
    return v;
  };
  expect_invalid(call(with(&ScanInputs::x, torch::zeros({2, 5}))), {"x", "(B,T,D)"});
  expect_invalid(call(with(&ScanInputs::delta, torch::zeros({2, 5, 4}))), {"delta", "[2,5,4]"});
  expect_invalid(call(with(&ScanInputs::A, torch::zeros({3}))), {"A", "(D,N)"});
  expect_invalid(call(with(&ScanInputs::A, torch::zeros({2, 4}))), {"A", "[2,4]"});
  expect_invalid(call(with(&ScanInputs::Bm, torch::zeros({2, 5, 3}))), {"Bm", "(B,T,N)"});
  expect_invalid(call(with(&ScanInputs::Cm, torch::zeros({2, 4, 4}))), {"Cm", "(B,T,N)"});
  expect_invalid(call(with(&ScanInputs::Dskip, torch::zeros({4}))), {"Dskip", "(D)"});
  expect_invalid(call(with(&ScanInputs::h0, torch::zeros({2, 4, 3}))), {"h0", "(B,D,N)"});
  expect_invalid(call(with(&ScanInputs::Bm, in.Bm.to(torch::kDouble))), {"Bm", "float32"});
  expect_invalid(call(scan_inputs(2, 5, 3, 4, 1, torch::kDouble, true), Impl::Cpu),
                 {"x", "float32"});
  expect_invalid(call(with(&ScanInputs::x, torch::zeros({2, 0, 3}))), {">= 1"});
  expect_invalid(call(in, Impl::Cuda), {"cuda"});
  // The reference takes double, but not mixed dtypes.
  auto dbl = scan_inputs(2, 5, 3, 4, 1, torch::kDouble, true);
  EXPECT_NO_THROW(call(dbl, Impl::Reference)());
  dbl.Cm = dbl.Cm.to(torch::kFloat);
  expect_invalid(call(dbl, Impl::Reference), {"Cm"});
}

TEST(SelectiveScan, AcceptsNonContiguousInputs) {
  auto in = scan_inputs(2, 9, 16, 4, 41, torch::kFloat, true);
  ScanInputs strided = in;
  strided.x = in.x.transpose(1, 2).contiguous().transpose(1, 2);
  strided.A = in.A.t().contiguous().t();
  ASSERT_FALSE(strided.x.is_contiguous());
  auto a = run(in, true, Impl::Cpu, torch::ones({2, 9, 16}), Tensor());
  auto b = run(strided, true, Impl::Cpu, torch::ones({2, 9, 16}), Tensor());
  EXPECT_TRUE(torch::equal(a.y, b.y));
  EXPECT_TRUE(torch::equal(a.grads[2], b.grads[2]));
}

TEST(SelectiveScanCuda, MatchesReference) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (!cuda_kernels_built()) GTEST_SKIP() << "built without CUDA kernels";
  uint64_t seed = 500;
  std::vector<Shape> shapes = kShapes;
  shapes.push_back({2, 70, 40, 33});
  shapes.push_back({3, 129, 100, 64});
  for (auto regime : {Regime::Typical, Regime::DecayToZero}) {
    for (const auto& s : shapes) {
      for (bool sgn : {false, true}) {
        ++seed;
        auto in = scan_inputs(s.B, s.T, s.D, s.N, seed, torch::kFloat, true, regime);
        auto gen = at::detail::createCPUGenerator(seed + 1000);
        auto dy = torch::randn({s.B, s.T, s.D}, gen);
        auto dhT = torch::randn({s.B, s.D, s.N}, gen);
        const auto ref = run(in, sgn, Impl::Reference, dy, dhT);
        const auto got = run(in, sgn, Impl::Auto, dy, dhT, torch::kCUDA);
        expect_close(got, ref, "cuda " + describe(s, sgn, seed));
      }
    }
  }
}

TEST(SelectiveScanCuda, RejectsCpuTensorsAndLargeN) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto in = scan_inputs(1, 3, 2, 65, 1, torch::kFloat, false);
  auto c = [](const Tensor& t) { return t.to(torch::kCUDA); };
  expect_invalid([&] { selective_scan(c(in.x), c(in.delta), c(in.A), c(in.Bm), c(in.Cm),
                                      c(in.Dskip)); },
                 {"N <= 64"});
  expect_invalid([&] { selective_scan(c(in.x), in.delta, c(in.A), c(in.Bm), c(in.Cm),
                                      c(in.Dskip)); },
                 {"delta"});
}

}  // namespace
}  // namespace goose::kernels
