// The CUDA selective-scan kernels (kernels/selective_scan_cuda_kernels.cuh), run on the host by
// the CUDA emulation with the launcher's geometry, against the double reference: y, h_T and
// all seven gradients, in the real, signed and complex modes, λ ≈ 0 / −1 / exactly 0 and
// |λ| = 1, D below, at and above a warp, N in each register bucket (16/32/64; complex 16/32),
// T = 1, T not a multiple of the chunk and T = 4096, with and without h0 and cotangents; a
// rotation that keeps |h| over 4096 steps; and identical bits whatever order a block's threads
// run in.
#include "tests/cuda_emulation/cuda_emulation.h"  // first: what nvcc would provide

#include "kernels/selective_scan_cuda_kernels.cuh"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/selective_scan_reference.h"
#include "tests/support/gradcheck.h"
#include "tests/support/recurrence_inputs.h"

namespace goose::kernels {
namespace {

using cuda_emulation::DeviceBuffer;
using cuda_emulation::LaunchConfig;
using cuda_emulation::Order;
using testing::Regime;
using testing::ScanInputs;
using torch::Tensor;

const std::vector<std::string> kOutNames = {"y",  "h_T", "dx",     "ddelta", "dA",
                                            "dBm", "dCm", "dDskip", "dh0"};

DeviceBuffer<float> upload(const Tensor& t, const std::string& name) {
  // A one-element NaN buffer stands for an undefined tensor; callers pass null instead.
  if (!t.defined()) return DeviceBuffer<float>(1, name);
  Tensor c = t.contiguous().to(torch::kFloat);
  DeviceBuffer<float> buf(c.numel(), name);
  buf.fill(c.data_ptr<float>());
  return buf;
}

Tensor download(DeviceBuffer<float>& buf, std::vector<int64_t> shape) {
  buf.check_guards();
  return torch::from_blob(buf.data(), shape, torch::kFloat).to(torch::kDouble).clone();
}

struct Case {
  int64_t B, T, D, N;
  uint64_t seed;
  ScanMode mode = ScanMode::Real;
  Regime regime = Regime::Typical;
  bool with_h0 = true, with_dy = true, with_dhT = true;
};

std::string describe(const Case& c) {
  return "B=" + std::to_string(c.B) + " T=" + std::to_string(c.T) + " D=" + std::to_string(c.D) +
         " N=" + std::to_string(c.N) + " seed=" + std::to_string(c.seed) + " " +
         testing::describe(c.mode, c.regime) + " h0=" + std::to_string(c.with_h0) +
         " dy=" + std::to_string(c.with_dy) + " dhT=" + std::to_string(c.with_dhT);
}

std::vector<int64_t> parts(std::vector<int64_t> sizes, ScanMode mode) {
  if (mode == ScanMode::Complex) sizes.push_back(2);
  return sizes;
}

struct Problem {
  ScanDims shape;
  ScanInputs in;  // fp32 values held in double
  Tensor dy, dhT;
};

Problem make_problem(const Case& c) {
  Problem p;
  p.shape = ScanDims{c.B, c.T, c.D, c.N, c.mode};
  p.in = testing::scan_inputs(c.B, c.T, c.D, c.N, c.seed, torch::kFloat, c.with_h0, c.mode,
                              c.regime);
  for (Tensor* t : {&p.in.x, &p.in.delta, &p.in.A, &p.in.Bm, &p.in.Cm, &p.in.Dskip, &p.in.h0})
    if (t->defined()) *t = t->to(torch::kDouble);
  auto gen = at::detail::createCPUGenerator(c.seed + 1000);
  if (c.with_dy) p.dy = torch::randn({c.B, c.T, c.D}, gen).to(torch::kDouble);
  if (c.with_dhT) p.dhT = torch::randn(parts({c.B, c.D, c.N}, c.mode), gen).to(torch::kDouble);
  return p;
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// y, h_T and the seven gradients from the double reference (raw pointers, as the kernels).
std::vector<Tensor> run_reference(const Problem& p) {
  const ScanDims& s = p.shape;
  const auto& in = p.in;
  auto dbl = torch::TensorOptions().dtype(torch::kDouble);
  std::vector<Tensor> out = {torch::empty({s.B, s.T, s.D}, dbl),
                             torch::empty(parts({s.B, s.D, s.N}, s.mode), dbl)};
  for (const Tensor* t : {&in.x, &in.delta, &in.A, &in.Bm, &in.Cm, &in.Dskip})
    out.push_back(torch::empty_like(*t));
  out.push_back(torch::empty(parts({s.B, s.D, s.N}, s.mode), dbl));
  ScanForwardArgs<double> f;
  f.x = in.x.data_ptr<double>();
  f.delta = in.delta.data_ptr<double>();
  f.A = in.A.data_ptr<double>();
  f.Bm = in.Bm.data_ptr<double>();
  f.Cm = in.Cm.data_ptr<double>();
  f.Dskip = in.Dskip.data_ptr<double>();
  f.h0 = ptr_or_null<double>(in.h0);
  f.y = out[0].data_ptr<double>();
  f.hT = out[1].data_ptr<double>();
  selective_scan_reference_forward<double>(s, f);
  ScanBackwardArgs<double> b;
  b.x = f.x;
  b.delta = f.delta;
  b.A = f.A;
  b.Bm = f.Bm;
  b.Cm = f.Cm;
  b.Dskip = f.Dskip;
  b.h0 = f.h0;
  b.dy = ptr_or_null<double>(p.dy);
  b.dhT = ptr_or_null<double>(p.dhT);
  b.dx = out[2].data_ptr<double>();
  b.ddelta = out[3].data_ptr<double>();
  b.dA = out[4].data_ptr<double>();
  b.dBm = out[5].data_ptr<double>();
  b.dCm = out[6].data_ptr<double>();
  b.dDskip = out[7].data_ptr<double>();
  b.dh0 = out[8].data_ptr<double>();
  selective_scan_reference_backward<double>(s, b);
  return out;
}

// The forward and (unless forward_only) backward kernels launched as selective_scan_cuda.cu
// launches them; without the backward, the gradients come back NaN.
std::vector<Tensor> run_emulated(const Problem& p, Order order, uint64_t seed = 0,
                                 bool forward_only = false) {
  const ScanDims& s = p.shape;
  const int64_t c = scan_components(s.mode), NC = s.N * c;
  const auto& in = p.in;
  auto x = upload(in.x, "x"), delta = upload(in.delta, "delta"), A = upload(in.A, "A"),
       Bm = upload(in.Bm, "Bm"), Cm = upload(in.Cm, "Cm"), Dskip = upload(in.Dskip, "Dskip"),
       h0 = upload(in.h0, "h0"), dy = upload(p.dy, "dy"), dhT = upload(p.dhT, "dhT");
  DeviceBuffer<float> y(s.B * s.T * s.D, "y"), hT(s.B * s.D * NC, "hT"),
      ckpt(s.B * scan_checkpoint_count(s.T) * s.D * NC, "ckpt");
  DeviceBuffer<float> dx(s.B * s.T * s.D, "dx"), ddelta(s.B * s.T * s.D, "ddelta"),
      dA(s.D * NC, "dA"), dBm(s.B * s.T * NC, "dBm"), dCm(s.B * s.T * NC, "dCm"),
      dDskip(s.D, "dDskip"), dh0(s.B * s.D * NC, "dh0"),
      workspace(selective_scan_cuda_workspace_floats(s), "workspace");
  // The launcher zeroes the atomically reduced gradients first.
  for (auto* buf : {&dA, &dBm, &dCm, &dDskip}) std::fill_n(buf->data(), buf->size(), 0.0f);

  const float* h0_ptr = in.h0.defined() ? h0.data() : nullptr;
  const float* dy_ptr = p.dy.defined() ? dy.data() : nullptr;
  const float* dhT_ptr = p.dhT.defined() ? dhT.data() : nullptr;
  using namespace scan_cuda_detail;
  with_max_n(s, [&](auto max_n) {
    constexpr int M = decltype(max_n)::value;
    const LaunchConfig fwd{forward_grid(s), dim3(kForwardThreads), 0, order, seed};
    const LaunchConfig bwd{backward_grid(s), dim3(kWarp), 0, order, seed};
    if (s.mode == ScanMode::Complex) {
      if constexpr (M <= kScanCudaMaxNComplex) {
        cuda_emulation::launch(fwd, &forward_kernel_complex<M>, s, x.data(), delta.data(),
                               A.data(), Bm.data(), Cm.data(), Dskip.data(), h0_ptr, y.data(),
                               hT.data(), ckpt.data());
        if (!forward_only)
          cuda_emulation::launch(bwd, &backward_kernel_complex<M>, s, x.data(), delta.data(),
                               A.data(), Bm.data(), Cm.data(), Dskip.data(), ckpt.data(), dy_ptr,
                               dhT_ptr, dx.data(), ddelta.data(), dA.data(), dBm.data(),
                               dCm.data(), dDskip.data(), dh0.data(), workspace.data());
      } else {
        FAIL() << "with_max_n chose " << M << " for a complex scan";
      }
      return;
    }
    const bool sgn = s.mode == ScanMode::Signed;
    auto forward = sgn ? &forward_kernel<M, true> : &forward_kernel<M, false>;
    auto backward = sgn ? &backward_kernel<M, true> : &backward_kernel<M, false>;
    cuda_emulation::launch(fwd, forward, s, x.data(), delta.data(), A.data(), Bm.data(),
                           Cm.data(), Dskip.data(), h0_ptr, y.data(), hT.data(), ckpt.data());
    if (!forward_only)
      cuda_emulation::launch(bwd, backward, s, x.data(), delta.data(), A.data(), Bm.data(),
                           Cm.data(), Dskip.data(), ckpt.data(), dy_ptr, dhT_ptr, dx.data(),
                           ddelta.data(), dA.data(), dBm.data(), dCm.data(), dDskip.data(),
                           dh0.data(), workspace.data());
  });
  for (auto* buf : {&x, &delta, &A, &Bm, &Cm, &Dskip, &h0, &dy, &dhT, &ckpt, &workspace})
    buf->check_guards();
  const auto state = parts({s.B, s.D, s.N}, s.mode);
  std::vector<Tensor> out = {download(y, {s.B, s.T, s.D}),
                             download(hT, state),
                             download(dx, {s.B, s.T, s.D}),
                             download(ddelta, {s.B, s.T, s.D}),
                             download(dA, parts({s.D, s.N}, s.mode)),
                             download(dBm, parts({s.B, s.T, s.N}, s.mode)),
                             download(dCm, parts({s.B, s.T, s.N}, s.mode)),
                             download(dDskip, {s.D}),
                             download(dh0, state)};
  return out;
}

void expect_matches_reference(const Case& c, double out_tol = testing::kScanFp32Tol,
                              double grad_tol = testing::kScanFp32GradTol) {
  SCOPED_TRACE(describe(c));
  const Problem p = make_problem(c);
  const auto ref = run_reference(p);
  const auto got = run_emulated(p, Order::Ascending);
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_TRUE(torch::isfinite(got[i]).all().item<bool>()) << kOutNames[i] << " is not finite";
    const double err = testing::rms_ratio(got[i], ref[i]);
    if (std::getenv("GOOSE_PRINT_ERRORS"))
      std::printf("scan emulated %s %s %.3g\n", describe(c).c_str(), kOutNames[i].c_str(), err);
    EXPECT_LE(err, i < 2 ? out_tol : grad_tol) << kOutNames[i];
  }
}

TEST(SelectiveScanCudaEmulated, MatchesReference) {
  for (ScanMode mode : {ScanMode::Real, ScanMode::Signed, ScanMode::Complex}) {
    for (Case c : {Case{1, 1, 1, 1, 201}, Case{2, 17, 5, 4, 202}, Case{1, 33, 40, 16, 203},
                   Case{2, 20, 3, 64, 204}, Case{1, 9, 32, 20, 205}}) {
      c.mode = mode;
      if (mode == ScanMode::Complex && c.N > kScanCudaMaxNComplex) c.N = kScanCudaMaxNComplex;
      expect_matches_reference(c);
    }
  }
}

TEST(SelectiveScanCudaEmulated, MatchesReferenceAtTheEdgesOfTheDecay) {
  for (ScanMode mode : {ScanMode::Real, ScanMode::Signed})
    for (Regime regime : {Regime::DecayToZero, Regime::SignedZero})
      expect_matches_reference(Case{2, 18, 6, 8, 211, mode, regime});
  for (Regime regime : {Regime::DecayToZero, Regime::UnitModulus})
    expect_matches_reference(Case{2, 18, 6, 8, 212, ScanMode::Complex, regime});
}

TEST(SelectiveScanCudaEmulated, MatchesReferenceWithoutInitialStateOrCotangents) {
  for (ScanMode mode : {ScanMode::Real, ScanMode::Signed, ScanMode::Complex}) {
    expect_matches_reference(Case{2, 17, 5, 4, 221, mode, Regime::Typical, false, true, false});
    expect_matches_reference(Case{2, 17, 5, 4, 222, mode, Regime::Typical, true, false, true});
  }
}

// Error build-up over a long horizon: |λ| within 1e-3 of 1 for 4096 steps. N = 2 keeps the
// emulated backward (a warp shuffle round per state and step) to seconds.
TEST(SelectiveScanCudaEmulated, LongSequenceWithinTolerance) {
  for (ScanMode mode : {ScanMode::Real, ScanMode::Signed, ScanMode::Complex}) {
    const double tol = mode == ScanMode::Complex ? testing::kScanComplexFp32LongTol
                                                 : testing::kScanFp32LongTol;
    expect_matches_reference(Case{1, 4096, 8, 2, 241, mode, Regime::Long}, tol, tol);
  }
}

// A_re = 0 and zero input: every |h| must come out as it went in, after 4096 steps.
TEST(SelectiveScanCudaEmulated, UnitModulusKeepsTheStateOver4096Steps) {
  Problem p = make_problem(Case{1, 4096, 8, 16, 251, ScanMode::Complex, Regime::UnitModulus});
  p.in.x.zero_();
  const auto got = run_emulated(p, Order::Ascending, 0, /*forward_only=*/true);
  auto modulus = [](const Tensor& h) { return h.pow(2).sum(-1).sqrt(); };
  const double drift = (modulus(got[1]) / modulus(p.in.h0) - 1.0).abs().max().item<double>();
  if (std::getenv("GOOSE_PRINT_ERRORS")) std::printf("scan emulated unit-modulus drift %.3g\n", drift);
  EXPECT_LE(drift, testing::kFp32UnitModulusDrift);
}

// An exact rotation by 2π/3 counts a token sequence modulo 3 (tests/support/recurrence_inputs.h),
// through the emulated forward kernel.
TEST(SelectiveScanCudaEmulated, AnExactRotationBy2PiOver3CountsModulo3) {
  const int64_t T = 3000;
  const auto in = testing::count_mod_3_inputs(T, 71);
  auto readout = [&](const ScanInputs& v) {
    Problem p;
    p.shape = ScanDims{1, T, 1, 1, ScanMode::Complex};
    p.in = v;
    for (Tensor* t : {&p.in.x, &p.in.delta, &p.in.A, &p.in.Bm, &p.in.Cm, &p.in.Dskip, &p.in.h0})
      *t = t->to(torch::kDouble);
    return run_emulated(p, Order::Ascending, 0, /*forward_only=*/true)[0];
  };
  const auto r = testing::check_count_mod_3(in, readout(in.cos_run), readout(in.sin_run));
  EXPECT_EQ(r.wrong, 0) << "positions whose count mod 3 was lost";
  EXPECT_LE(r.worst_phase_error, 1e-3);
}

// A block's threads only meet at shuffles; the emulation runs blocks in a fixed order, so even
// the atomically reduced gradients must come out bit-identical in every thread order.
TEST(SelectiveScanCudaEmulated, ThreadOrderDoesNotChangeResults) {
  for (ScanMode mode : {ScanMode::Signed, ScanMode::Complex}) {
    const Problem p = make_problem(Case{2, 20, 40, 16, 231, mode});
    const auto ascending = run_emulated(p, Order::Ascending);
    for (auto [order, seed] : {std::pair{Order::Descending, 0}, std::pair{Order::Shuffled, 7}}) {
      const auto other = run_emulated(p, order, seed);
      for (size_t i = 0; i < ascending.size(); ++i)
        EXPECT_TRUE(torch::equal(ascending[i], other[i]))
            << to_string(mode) << " " << kOutNames[i] << " order " << static_cast<int>(order);
    }
  }
}

}  // namespace
}  // namespace goose::kernels
