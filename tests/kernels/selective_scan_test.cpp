// Tests of the diagonal selective scan in its three modes (real, signed, complex): the
// reference against finite differences (double) and against the equations by hand, the CPU
// kernel against the reference (outputs, final state, every gradient) across shapes, decay
// regimes and T = 4096, thread-count independence, a rotation that keeps |h| over 4096 steps,
// counting mod 3 through an exact rotation by 2π/3, input validation per mode, and the CUDA
// kernel against the reference (skipped without a GPU). Seeds are fixed and printed.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/selective_scan.h"
#include "kernels/selective_scan_cuda.h"  // kScanCudaMaxNComplex (torch-free constants)
#include "tests/support/gradcheck.h"
#include "tests/support/recurrence_inputs.h"

namespace goose::kernels {
namespace {

using goose::testing::gradcheck;
using goose::testing::rms_ratio;
using torch::Tensor;

using goose::testing::kScanFp32GradTol;
using goose::testing::kScanFp32LongTol;
using goose::testing::kScanFp32Tol;
using goose::testing::Regime;
using goose::testing::scan_inputs;
using goose::testing::ScanInputs;

constexpr ScanMode kModes[] = {ScanMode::Real, ScanMode::Signed, ScanMode::Complex};

// (sizes..., 2) in the Complex mode.
std::vector<int64_t> parts(std::vector<int64_t> sizes, ScanMode mode) {
  if (mode == ScanMode::Complex) sizes.push_back(2);
  return sizes;
}

struct ScanResult {
  Tensor y, hT;
  std::vector<Tensor> grads;  // x, delta, A, Bm, Cm, Dskip, h0
};

const std::vector<std::string> kNames = {"x", "delta", "A", "Bm", "Cm", "Dskip", "h0"};

// Forward, then backward of <dy, y> + <dhT, h_T> (either cotangent may be undefined). The
// reference runs in double on the same values (fp32 inputs are exact in double), so it is the
// double oracle the tolerances are measured against.
ScanResult run(const ScanInputs& in, ScanMode mode, Impl impl, const Tensor& dy,
               const Tensor& dhT, torch::Device device = torch::kCPU) {
  const auto dtype = impl == Impl::Reference ? torch::kDouble : in.x.scalar_type();
  std::vector<Tensor> leaves;
  for (const Tensor* t : {&in.x, &in.delta, &in.A, &in.Bm, &in.Cm, &in.Dskip, &in.h0})
    leaves.push_back(t->defined() ? t->to(device, dtype).detach().requires_grad_(true)
                                  : Tensor());
  auto [y, hT] = selective_scan(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4],
                                leaves[5], leaves[6], mode, impl);
  Tensor loss = torch::zeros({}, y.options());
  if (dy.defined()) loss = loss + (y * dy.to(y.options())).sum();
  if (dhT.defined()) loss = loss + (hT * dhT.to(hT.options())).sum();
  if (loss.requires_grad()) loss.backward();
  ScanResult r{y.detach().cpu(), hT.detach().cpu(), {}};
  for (auto& l : leaves)
    r.grads.push_back(l.defined() && l.grad().defined() ? l.grad().cpu() : Tensor());
  return r;
}

// Compares got with ref: y and h_T at out_tol, gradients at grad_tol.
void expect_close(const ScanResult& got, const ScanResult& ref, const std::string& what,
                  double out_tol = kScanFp32Tol, double grad_tol = kScanFp32GradTol) {
  auto check = [&](const Tensor& g, const Tensor& r, const std::string& name, double tol) {
    ASSERT_TRUE(torch::isfinite(g).all().item<bool>()) << what << ": " << name;
    const double err = rms_ratio(g, r);
    if (std::getenv("GOOSE_PRINT_ERRORS"))
      std::printf("scan %s %s %.3g\n", what.c_str(), name.c_str(), err);
    EXPECT_LE(err, tol) << what << ": " << name;
  };
  check(got.y, ref.y, "y", out_tol);
  check(got.hT, ref.hT, "h_T", out_tol);
  for (size_t i = 0; i < ref.grads.size(); ++i) {
    ASSERT_EQ(got.grads[i].defined(), ref.grads[i].defined()) << what << ": d" << kNames[i];
    if (!ref.grads[i].defined()) continue;
    check(got.grads[i], ref.grads[i], "d" + kNames[i], grad_tol);
  }
}

std::function<std::vector<Tensor>(const std::vector<Tensor>&)> reference_fn(ScanMode mode) {
  return [mode](const std::vector<Tensor>& v) {
    auto [y, hT] =
        selective_scan(v[0], v[1], v[2], v[3], v[4], v[5], v[6], mode, Impl::Reference);
    return std::vector<Tensor>{y, hT};
  };
}

std::vector<Tensor> as_list(const ScanInputs& in) {
  return {in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip, in.h0};
}

TEST(SelectiveScanReference, GradientsMatchFiniteDifferences) {
  for (ScanMode mode : kModes) {
    for (bool with_h0 : {true, false}) {
      const uint64_t seed = 11 + static_cast<int>(mode) + 3 * with_h0;
      auto in = scan_inputs(2, 5, 3, 4, seed, torch::kDouble, with_h0, mode);
      EXPECT_TRUE(gradcheck(reference_fn(mode), as_list(in), kNames))
          << "seed " << seed << " " << to_string(mode) << " h0 " << with_h0;
    }
  }
}

TEST(SelectiveScanReference, GradientsMatchFiniteDifferencesAtExtremeDecay) {
  struct Case {
    ScanMode mode;
    Regime regime;
  };
  for (const Case& c : {Case{ScanMode::Real, Regime::DecayToZero},
                        Case{ScanMode::Signed, Regime::DecayToZero},
                        Case{ScanMode::Real, Regime::SignedZero},
                        Case{ScanMode::Signed, Regime::SignedZero},
                        Case{ScanMode::Complex, Regime::DecayToZero},
                        Case{ScanMode::Complex, Regime::UnitModulus}}) {
    const uint64_t seed = 21 + static_cast<int>(c.mode);
    auto in = scan_inputs(1, 6, 2, 3, seed, torch::kDouble, true, c.mode, c.regime);
    EXPECT_TRUE(gradcheck(reference_fn(c.mode), as_list(in), kNames))
        << "seed " << seed << " " << goose::testing::describe(c.mode, c.regime);
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
  for (ScanMode mode : {ScanMode::Real, ScanMode::Signed}) {
    const bool sgn = mode == ScanMode::Signed;
    auto lam = [&](double z) { return sgn ? 2 * std::exp(z) - 1 : std::exp(z); };
    const double h1 = lam(-0.5) * 4.0 + 0.5 * 1.0 * 3.0;
    const double h2 = lam(-0.25) * h1 + 0.25 * 2.0 * -1.0;
    auto [y, hT] = selective_scan(x, delta, A, Bm, Cm, Dskip, h0, mode, Impl::Reference);
    EXPECT_NEAR(y[0][0][0].item<double>(), 2.0 * h1 + 0.1, 1e-12);
    EXPECT_NEAR(y[0][1][0].item<double>(), 0.5 * h2 + 0.2, 1e-12);
    EXPECT_NEAR(hT.item<double>(), h2, 1e-12);
  }
  // Complex: A = −0.3 + 2i, B and C complex; λ = e^{Δ·A}, y = Re(C h) + Dskip x.
  using C = std::complex<double>;
  const C a(-0.3, 2.0), b1(3.0, 1.0), b2(-1.0, 0.5), c1(2.0, -1.0), c2(0.5, 0.25), g0(4.0, -2.0);
  auto Ac = t({a.real(), a.imag()}, {1, 1, 2});
  auto Bc = t({b1.real(), b1.imag(), b2.real(), b2.imag()}, {1, 2, 1, 2});
  auto Cc = t({c1.real(), c1.imag(), c2.real(), c2.imag()}, {1, 2, 1, 2});
  auto hc0 = t({g0.real(), g0.imag()}, {1, 1, 1, 2});
  const C h1 = std::exp(0.5 * a) * g0 + 0.5 * 1.0 * b1;
  const C h2 = std::exp(0.25 * a) * h1 + 0.25 * 2.0 * b2;
  auto [y, hT] = selective_scan(x, delta, Ac, Bc, Cc, Dskip, hc0, ScanMode::Complex,
                                Impl::Reference);
  EXPECT_NEAR(y[0][0][0].item<double>(), (c1 * h1).real() + 0.1, 1e-12);
  EXPECT_NEAR(y[0][1][0].item<double>(), (c2 * h2).real() + 0.2, 1e-12);
  EXPECT_NEAR(hT[0][0][0][0].item<double>(), h2.real(), 1e-12);
  EXPECT_NEAR(hT[0][0][0][1].item<double>(), h2.imag(), 1e-12);
}

struct Shape {
  int64_t B, T, D, N;
};

std::string describe(const Shape& s, ScanMode mode, Regime regime, uint64_t seed) {
  return "B=" + std::to_string(s.B) + " T=" + std::to_string(s.T) + " D=" + std::to_string(s.D) +
         " N=" + std::to_string(s.N) + " " + goose::testing::describe(mode, regime) +
         " seed=" + std::to_string(seed);
}

// Seeded cotangents for y and h_T.
std::pair<Tensor, Tensor> cotangents(const Shape& s, ScanMode mode, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed + 1000);
  auto dy = torch::randn({s.B, s.T, s.D}, gen);
  auto dhT = torch::randn(parts({s.B, s.D, s.N}, mode), gen);
  return {dy, dhT};
}

// T = 1, odd, not a multiple of the checkpoint interval, multiples of it; N in {1,4,16};
// D in {3,16,64}; B×channel-blocks below and above the 2 cores.
const std::vector<Shape> kShapes = {{1, 1, 3, 1},  {1, 7, 3, 4},   {2, 17, 16, 16},
                                    {3, 33, 64, 4}, {2, 48, 64, 16}, {4, 100, 16, 1},
                                    {1, 5, 64, 16}, {2, 64, 3, 16}};

void compare_cpu_with_reference(const std::vector<ScanMode>& modes, Regime regime,
                                uint64_t seed0) {
  uint64_t seed = seed0;
  for (const auto& s : kShapes) {
    for (ScanMode mode : modes) {
      ++seed;
      auto in = scan_inputs(s.B, s.T, s.D, s.N, seed, torch::kFloat, true, mode, regime);
      auto [dy, dhT] = cotangents(s, mode, seed);
      const auto ref = run(in, mode, Impl::Reference, dy, dhT);
      const auto got = run(in, mode, Impl::Cpu, dy, dhT);
      expect_close(got, ref, describe(s, mode, regime, seed));
    }
  }
}

TEST(SelectiveScanCpu, MatchesReference) {
  compare_cpu_with_reference({ScanMode::Real, ScanMode::Signed, ScanMode::Complex},
                             Regime::Typical, 100);
}

TEST(SelectiveScanCpu, MatchesReferenceWithDecayNearZeroOrMinusOne) {
  compare_cpu_with_reference({ScanMode::Real, ScanMode::Signed, ScanMode::Complex},
                             Regime::DecayToZero, 200);
}

TEST(SelectiveScanCpu, MatchesReferenceWithSignedDecayExactlyZero) {
  compare_cpu_with_reference({ScanMode::Real, ScanMode::Signed}, Regime::SignedZero, 300);
}

TEST(SelectiveScanCpu, MatchesReferenceOnTheUnitCircle) {
  compare_cpu_with_reference({ScanMode::Complex}, Regime::UnitModulus, 400);
}

double long_tol(ScanMode mode) {
  return mode == ScanMode::Complex ? goose::testing::kScanComplexFp32LongTol : kScanFp32LongTol;
}

// Error build-up over a long horizon: |λ| within 1e-3 of 1, so the state remembers thousands
// of steps (the typical regime forgets within tens).
TEST(SelectiveScanCpu, LongSequenceWithinTolerance) {
  const Shape s{1, 4096, 16, 16};
  uint64_t seed = 450;
  for (ScanMode mode : kModes) {
    ++seed;
    auto in = scan_inputs(s.B, s.T, s.D, s.N, seed, torch::kFloat, true, mode, Regime::Long);
    auto [dy, dhT] = cotangents(s, mode, seed);
    const double tol = long_tol(mode);
    expect_close(run(in, mode, Impl::Cpu, dy, dhT), run(in, mode, Impl::Reference, dy, dhT),
                 describe(s, mode, Regime::Long, seed), tol, tol);
  }
}

TEST(SelectiveScanCpu, MatchesReferenceWithoutH0AndWithOneCotangent) {
  const Shape s{2, 21, 16, 4};
  for (ScanMode mode : kModes) {
    auto in = scan_inputs(s.B, s.T, s.D, s.N, 7, torch::kFloat, false, mode);
    auto [dy, dhT] = cotangents(s, mode, 8);
    const std::string what = describe(s, mode, Regime::Typical, 7);
    expect_close(run(in, mode, Impl::Cpu, dy, Tensor()),
                 run(in, mode, Impl::Reference, dy, Tensor()), "y only, " + what);
    expect_close(run(in, mode, Impl::Cpu, Tensor(), dhT),
                 run(in, mode, Impl::Reference, Tensor(), dhT), "h_T only, " + what);
    // Without h0 the gradient list has no h0 entry, and the outputs still need a gradient.
    auto r = run(in, mode, Impl::Cpu, dy, dhT);
    EXPECT_FALSE(r.grads[6].defined());
    EXPECT_EQ(r.hT.sizes(), torch::IntArrayRef(parts({s.B, s.D, s.N}, mode)));
  }
}

TEST(SelectiveScanCpu, InferenceMatchesTrainingForward) {
  for (ScanMode mode : kModes) {
    auto in = scan_inputs(2, 40, 16, 16, 9, torch::kFloat, true, mode);
    auto ref = run(in, mode, Impl::Cpu, torch::ones({2, 40, 16}), Tensor());
    torch::NoGradGuard no_grad;
    auto [y, hT] = selective_scan(in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip, in.h0, mode);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(torch::equal(y, ref.y)) << to_string(mode);  // checkpoints change no arithmetic
    EXPECT_TRUE(torch::equal(hT, ref.hT)) << to_string(mode);
  }
}

TEST(SelectiveScanCpu, ThreadCountDoesNotChangeResults) {
  const int saved = torch::get_num_threads();
  for (ScanMode mode : kModes) {
    const Shape s{4, 37, 64, 16};
    auto in = scan_inputs(s.B, s.T, s.D, s.N, 31, torch::kFloat, true, mode);
    auto [dy, dhT] = cotangents(s, mode, 32);
    torch::set_num_threads(1);
    const auto one = run(in, mode, Impl::Cpu, dy, dhT);
    torch::set_num_threads(2);
    const auto two = run(in, mode, Impl::Cpu, dy, dhT);
    EXPECT_TRUE(torch::equal(one.y, two.y)) << to_string(mode);
    EXPECT_TRUE(torch::equal(one.hT, two.hT)) << to_string(mode);
    for (size_t i = 0; i < one.grads.size(); ++i)
      EXPECT_TRUE(torch::equal(one.grads[i], two.grads[i])) << to_string(mode) << " d"
                                                            << kNames[i];
  }
  torch::set_num_threads(saved);
}

// ---- the complex mode's two promises: a rotation neither decays nor grows, and an exact
// rotation by 2π/3 counts modulo 3 ----

// |h_T| / |h_0| − 1 over every state, after T steps of zero input with A_re = 0 (in double
// for the reference, which takes it).
double modulus_drift(Impl impl, torch::Device device, int64_t T) {
  auto in = scan_inputs(2, T, 16, 16, 61, impl == Impl::Reference ? torch::kDouble : torch::kFloat,
                        true, ScanMode::Complex, Regime::UnitModulus);
  in.x.zero_();
  torch::NoGradGuard no_grad;
  auto c = [&](const Tensor& t) { return t.to(device); };
  auto [y, hT] = selective_scan(c(in.x), c(in.delta), c(in.A), c(in.Bm), c(in.Cm), c(in.Dskip),
                                c(in.h0), ScanMode::Complex, impl);
  auto modulus = [](const Tensor& h) {
    return h.cpu().to(torch::kDouble).pow(2).sum(-1).sqrt();
  };
  const double drift = (modulus(hT) / modulus(in.h0) - 1.0).abs().max().item<double>();
  if (std::getenv("GOOSE_PRINT_ERRORS"))
    std::printf("scan unit-modulus drift %s T=%lld %.3g\n", to_string(impl).c_str(),
                static_cast<long long>(T), drift);
  return drift;
}


TEST(SelectiveScanComplex, UnitModulusKeepsTheStateOver4096Steps) {
  EXPECT_LE(modulus_drift(Impl::Reference, torch::kCPU, 4096), 1e-12);
  EXPECT_LE(modulus_drift(Impl::Cpu, torch::kCPU, 4096), goose::testing::kFp32UnitModulusDrift);
}

// One channel, one state, A = i·2π/3: a counted token (Δ = 1) rotates h by 2π/3, any other
// (Δ = 3) by 2π; y reads the cosine and the sine of the angle, which decode the count mod 3
// (tests/support/recurrence_inputs.h). Over 3000 random tokens the count never slips.
void expect_counts_mod_3(Impl impl, torch::Device device) {
  const auto in = goose::testing::count_mod_3_inputs(3000, 71);
  auto readout = [&](const ScanInputs& v) {
    torch::NoGradGuard no_grad;
    auto c = [&](const Tensor& t) { return t.to(device); };
    auto [y, hT] = selective_scan(c(v.x), c(v.delta), c(v.A), c(v.Bm), c(v.Cm), c(v.Dskip),
                                  c(v.h0), ScanMode::Complex, impl);
    return y;
  };
  const auto r = goose::testing::check_count_mod_3(in, readout(in.cos_run), readout(in.sin_run));
  if (std::getenv("GOOSE_PRINT_ERRORS"))
    std::printf("scan count-mod-3 phase error %s %.3g\n", to_string(impl).c_str(),
                r.worst_phase_error);
  EXPECT_EQ(r.wrong, 0) << to_string(impl) << ": positions whose count mod 3 was lost";
  // A = i·2π/3 rounded to fp32 is off by ~1e-7 per counted step: ~3.5e-4 after 3000 steps,
  // for the double reference too.
  EXPECT_LE(r.worst_phase_error, 1e-3) << to_string(impl);
}

TEST(SelectiveScanComplex, AnExactRotationBy2PiOver3CountsModulo3) {
  expect_counts_mod_3(Impl::Reference, torch::kCPU);
  expect_counts_mod_3(Impl::Cpu, torch::kCPU);
  expect_counts_mod_3(Impl::Loop, torch::kCPU);
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

auto call_with(const ScanInputs& v, ScanMode mode = ScanMode::Real, Impl impl = Impl::Auto) {
  return [v, mode, impl] {
    selective_scan(v.x, v.delta, v.A, v.Bm, v.Cm, v.Dskip, v.h0, mode, impl);
  };
}

ScanInputs with(const ScanInputs& in, Tensor ScanInputs::*field, Tensor value) {
  ScanInputs v = in;
  v.*field = value;
  return v;
}

TEST(SelectiveScan, RejectsBadInputsNamingTheTensor) {
  auto in = scan_inputs(2, 5, 3, 4, 1, torch::kFloat, true);
  auto call = [](const ScanInputs& v, Impl impl = Impl::Auto) {
    return call_with(v, ScanMode::Real, impl);
  };
  expect_invalid(call(with(in, &ScanInputs::x, torch::zeros({2, 5}))),
                 {"selective_scan: x must be 3-D (B,T,D), got shape (2,5)"});
  expect_invalid(call(with(in, &ScanInputs::delta, torch::zeros({2, 5, 4}))),
                 {"selective_scan: delta must have shape (B,T,D) = (2,5,3), got (2,5,4)"});
  expect_invalid(call(with(in, &ScanInputs::A, torch::zeros({3}))),
                 {"selective_scan: A must be 2-D (D,N) in the real mode, got shape (3)"});
  expect_invalid(call(with(in, &ScanInputs::A, torch::zeros({2, 4}))),
                 {"selective_scan: A must have shape (D,N) = (3,4) in the real mode, got (2,4)"});
  expect_invalid(call(with(in, &ScanInputs::Bm, torch::zeros({2, 5, 3}))), {"Bm", "(B,T,N)"});
  expect_invalid(call(with(in, &ScanInputs::Cm, torch::zeros({2, 4, 4}))), {"Cm", "(B,T,N)"});
  expect_invalid(call(with(in, &ScanInputs::Dskip, torch::zeros({4}))), {"Dskip", "(D)"});
  expect_invalid(call(with(in, &ScanInputs::h0, torch::zeros({2, 4, 3}))), {"h0", "(B,D,N)"});
  expect_invalid(call(with(in, &ScanInputs::Bm, in.Bm.to(torch::kDouble))),
                 {"selective_scan: Bm must have dtype Float like x, got Double"});
  expect_invalid(call(scan_inputs(2, 5, 3, 4, 1, torch::kDouble, true), Impl::Cpu),
                 {"selective_scan: the cpu kernel takes Float, got x Double (use the reference "
                  "for Double)"});
  expect_invalid(call(with(in, &ScanInputs::x, torch::zeros({2, 0, 3}))),
                 {"selective_scan: x must have B,T,D >= 1, got shape (2,0,3)"});
  expect_invalid(call(in, Impl::Cuda), {"cuda"});
  // The reference takes double, but not mixed dtypes.
  auto dbl = scan_inputs(2, 5, 3, 4, 1, torch::kDouble, true);
  EXPECT_NO_THROW(call(dbl, Impl::Reference)());
  dbl.Cm = dbl.Cm.to(torch::kFloat);
  expect_invalid(call(dbl, Impl::Reference), {"Cm"});
  // Auto picks the CPU kernel for CPU tensors, which takes only Float (one rule for every
  // wrapper: kernels/impl.h resolve_impl).
  expect_invalid(call(scan_inputs(2, 5, 3, 4, 1, torch::kDouble, true)), {"cpu kernel"});
}

TEST(SelectiveScan, ShapesMustFitTheMode) {
  auto real = scan_inputs(2, 5, 3, 4, 1, torch::kFloat, true, ScanMode::Real);
  auto cx = scan_inputs(2, 5, 3, 4, 1, torch::kFloat, true, ScanMode::Complex);
  // Real inputs in the complex mode and complex inputs in the real ones.
  expect_invalid(call_with(real, ScanMode::Complex),
                 {"selective_scan: A must be 3-D (D,N,2) in the complex mode, got shape (3,4)"});
  expect_invalid(call_with(cx, ScanMode::Signed),
                 {"selective_scan: A must be 2-D (D,N) in the signed mode, got shape (3,4,2)"});
  expect_invalid(call_with(with(cx, &ScanInputs::Bm, real.Bm), ScanMode::Complex),
                 {"selective_scan: Bm must have shape (B,T,N,2) = (2,5,4,2) in the complex "
                  "mode, got (2,5,4)"});
  expect_invalid(call_with(with(cx, &ScanInputs::Cm, real.Cm), ScanMode::Complex),
                 {"Cm", "(B,T,N,2)", "complex mode"});
  expect_invalid(call_with(with(cx, &ScanInputs::h0, real.h0), ScanMode::Complex),
                 {"h0", "(B,D,N,2)", "complex mode"});
  expect_invalid(call_with(with(cx, &ScanInputs::A, torch::zeros({3, 4, 3})), ScanMode::Complex),
                 {"A", "(D,N,2) = (3,4,2)", "complex mode", "got (3,4,3)"});
  expect_invalid(call_with(with(real, &ScanInputs::h0, cx.h0), ScanMode::Real),
                 {"h0", "(B,D,N)", "real mode"});
  EXPECT_NO_THROW(call_with(cx, ScanMode::Complex)());
  EXPECT_NO_THROW(call_with(with(cx, &ScanInputs::h0, Tensor()), ScanMode::Complex)());
}

TEST(ScanModes, ParseAndPrint) {
  for (ScanMode mode : kModes) EXPECT_EQ(parse_scan_mode(to_string(mode)), mode);
  try {
    parse_scan_mode("imaginary");
    FAIL() << "'imaginary' was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown scan mode 'imaginary' (use real, signed or complex)");
  }
}

TEST(SelectiveScan, AcceptsNonContiguousInputs) {
  for (ScanMode mode : kModes) {
    auto in = scan_inputs(2, 9, 16, 4, 41, torch::kFloat, true, mode);
    ScanInputs strided = in;
    strided.x = in.x.transpose(1, 2).contiguous().transpose(1, 2);
    strided.A = in.A.transpose(0, 1).contiguous().transpose(0, 1);
    ASSERT_FALSE(strided.x.is_contiguous());
    auto a = run(in, mode, Impl::Cpu, torch::ones({2, 9, 16}), Tensor());
    auto b = run(strided, mode, Impl::Cpu, torch::ones({2, 9, 16}), Tensor());
    EXPECT_TRUE(torch::equal(a.y, b.y));
    EXPECT_TRUE(torch::equal(a.grads[2], b.grads[2]));
  }
}

bool have_cuda() { return torch::cuda::is_available() && cuda_kernels_built(); }

TEST(SelectiveScanCuda, MatchesReference) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  uint64_t seed = 500;
  std::vector<Shape> shapes = kShapes;
  shapes.push_back({2, 70, 40, 33});
  shapes.push_back({3, 129, 100, 64});
  struct Run {
    ScanMode mode;
    Regime regime;
  };
  for (const Run& r : {Run{ScanMode::Real, Regime::Typical}, Run{ScanMode::Signed, Regime::Typical},
                       Run{ScanMode::Complex, Regime::Typical},
                       Run{ScanMode::Real, Regime::DecayToZero},
                       Run{ScanMode::Signed, Regime::DecayToZero},
                       Run{ScanMode::Complex, Regime::DecayToZero},
                       Run{ScanMode::Complex, Regime::UnitModulus}}) {
    for (Shape s : shapes) {
      if (r.mode == ScanMode::Complex) s.N = std::min(s.N, kScanCudaMaxNComplex);
      ++seed;
      auto in = scan_inputs(s.B, s.T, s.D, s.N, seed, torch::kFloat, true, r.mode, r.regime);
      auto [dy, dhT] = cotangents(s, r.mode, seed);
      const auto ref = run(in, r.mode, Impl::Reference, dy, dhT);
      const auto got = run(in, r.mode, Impl::Auto, dy, dhT, torch::kCUDA);
      expect_close(got, ref, "cuda " + describe(s, r.mode, r.regime, seed));
    }
  }
}

TEST(SelectiveScanCuda, LongSequenceWithinTolerance) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  const Shape s{1, 4096, 16, 16};
  uint64_t seed = 550;
  for (ScanMode mode : kModes) {
    ++seed;
    auto in = scan_inputs(s.B, s.T, s.D, s.N, seed, torch::kFloat, true, mode, Regime::Long);
    auto [dy, dhT] = cotangents(s, mode, seed);
    const double tol = long_tol(mode);
    expect_close(run(in, mode, Impl::Cuda, dy, dhT, torch::kCUDA),
                 run(in, mode, Impl::Reference, dy, dhT),
                 "cuda " + describe(s, mode, Regime::Long, seed), tol, tol);
  }
}

TEST(SelectiveScanCuda, UnitModulusAndCountingModulo3) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  EXPECT_LE(modulus_drift(Impl::Cuda, torch::kCUDA, 4096), goose::testing::kFp32UnitModulusDrift);
  expect_counts_mod_3(Impl::Cuda, torch::kCUDA);
}

TEST(SelectiveScanCuda, RejectsCpuTensorsAndLargeN) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  auto c = [](const Tensor& t) { return t.to(torch::kCUDA); };
  auto in = scan_inputs(1, 3, 2, 65, 1, torch::kFloat, false);
  expect_invalid([&] { selective_scan(c(in.x), c(in.delta), c(in.A), c(in.Bm), c(in.Cm),
                                      c(in.Dskip)); },
                 {"N <= 64 in the real mode"});
  auto cx = scan_inputs(1, 3, 2, 33, 1, torch::kFloat, false, ScanMode::Complex);
  expect_invalid([&] { selective_scan(c(cx.x), c(cx.delta), c(cx.A), c(cx.Bm), c(cx.Cm),
                                      c(cx.Dskip), {}, ScanMode::Complex); },
                 {"N <= 32 in the complex mode"});
  expect_invalid([&] { selective_scan(c(in.x), in.delta, c(in.A), c(in.Bm), c(in.Cm),
                                      c(in.Dskip)); },
                 {"delta"});
}

}  // namespace
}  // namespace goose::kernels
