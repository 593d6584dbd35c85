// The CUDA selective-scan kernels (kernels/selective_scan_cuda_kernels.cuh), run on the host by
// the CUDA emulation with the launcher's geometry, against the double reference: y, h_T and
// all seven gradients, (0,1) and signed decay, λ ≈ 0 / −1 / exactly 0, D below, at and above
// a warp, N in each register bucket (16/32/64), T = 1 and T not a multiple of the chunk, with
// and without h0 and cotangents; and identical bits whatever order a block's threads run in.
#include "tests/cuda_emulation/cuda_emulation.h"  // first: what nvcc would provide

#include "kernels/selective_scan_cuda_kernels.cuh"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
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
  bool signed_decay = false;
  Regime regime = Regime::Typical;
  bool with_h0 = true, with_dy = true, with_dhT = true;
};

std::string describe(const Case& c) {
  return "B=" + std::to_string(c.B) + " T=" + std::to_string(c.T) + " D=" + std::to_string(c.D) +
         " N=" + std::to_string(c.N) + " seed=" + std::to_string(c.seed) +
         " signed=" + std::to_string(c.signed_decay) +
         " regime=" + std::to_string(static_cast<int>(c.regime)) +
         " h0=" + std::to_string(c.with_h0) + " dy=" + std::to_string(c.with_dy) +
         " dhT=" + std::to_string(c.with_dhT);
}

struct Problem {
  ScanShape shape;
  ScanInputs in;  // fp32 values held in double
  Tensor dy, dhT;
};

Problem make_problem(const Case& c) {
  Problem p;
  p.shape = ScanShape{c.B, c.T, c.D, c.N, c.signed_decay};
  p.in = testing::scan_inputs(c.B, c.T, c.D, c.N, c.seed, torch::kFloat, c.with_h0, c.regime);
  for (Tensor* t : {&p.in.x, &p.in.delta, &p.in.A, &p.in.Bm, &p.in.Cm, &p.in.Dskip, &p.in.h0})
    if (t->defined()) *t = t->to(torch::kDouble);
  auto gen = at::detail::createCPUGenerator(c.seed + 1000);
  if (c.with_dy) p.dy = torch::randn({c.B, c.T, c.D}, gen).to(torch::kDouble);
  if (c.with_dhT) p.dhT = torch::randn({c.B, c.D, c.N}, gen).to(torch::kDouble);
  return p;
}

std::vector<Tensor> run_reference(const Problem& p) {
  const auto& in = p.in;
  auto [y, hT] = selective_scan_reference_forward(in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip,
                                                  in.h0, p.shape.signed_decay);
  auto grads = selective_scan_reference_backward(in.x, in.delta, in.A, in.Bm, in.Cm, in.Dskip,
                                                 in.h0, p.shape.signed_decay, p.dy, p.dhT);
  std::vector<Tensor> out = {y, hT};
  out.insert(out.end(), grads.begin(), grads.end());
  return out;
}

// The forward and backward kernels launched as selective_scan_cuda.cu launches them.
std::vector<Tensor> run_emulated(const Problem& p, Order order, uint64_t seed = 0) {
  const ScanShape& s = p.shape;
  const auto& in = p.in;
  auto x = upload(in.x, "x"), delta = upload(in.delta, "delta"), A = upload(in.A, "A"),
       Bm = upload(in.Bm, "Bm"), Cm = upload(in.Cm, "Cm"), Dskip = upload(in.Dskip, "Dskip"),
       h0 = upload(in.h0, "h0"), dy = upload(p.dy, "dy"), dhT = upload(p.dhT, "dhT");
  DeviceBuffer<float> y(s.B * s.T * s.D, "y"), hT(s.B * s.D * s.N, "hT"),
      ckpt(s.B * scan_checkpoint_count(s.T) * s.D * s.N, "ckpt");
  DeviceBuffer<float> dx(s.B * s.T * s.D, "dx"), ddelta(s.B * s.T * s.D, "ddelta"),
      dA(s.D * s.N, "dA"), dBm(s.B * s.T * s.N, "dBm"), dCm(s.B * s.T * s.N, "dCm"),
      dDskip(s.D, "dDskip"), dh0(s.B * s.D * s.N, "dh0"),
      workspace(selective_scan_cuda_workspace_floats(s), "workspace");
  // The launcher zeroes the atomically reduced gradients first.
  for (auto* buf : {&dA, &dBm, &dCm, &dDskip}) std::fill_n(buf->data(), buf->size(), 0.0f);

  const float* h0_ptr = in.h0.defined() ? h0.data() : nullptr;
  const float* dy_ptr = p.dy.defined() ? dy.data() : nullptr;
  const float* dhT_ptr = p.dhT.defined() ? dhT.data() : nullptr;
  using namespace scan_cuda_detail;
  with_max_n(s.N, [&](auto max_n) {
    constexpr int M = decltype(max_n)::value;
    const LaunchConfig fwd{forward_grid(s), dim3(kForwardThreads), 0, order, seed};
    const LaunchConfig bwd{backward_grid(s), dim3(kWarp), 0, order, seed};
    auto forward = s.signed_decay ? &forward_kernel<M, true> : &forward_kernel<M, false>;
    auto backward = s.signed_decay ? &backward_kernel<M, true> : &backward_kernel<M, false>;
    cuda_emulation::launch(fwd, forward, s, x.data(), delta.data(), A.data(), Bm.data(),
                           Cm.data(), Dskip.data(), h0_ptr, y.data(), hT.data(), ckpt.data());
    cuda_emulation::launch(bwd, backward, s, x.data(), delta.data(), A.data(), Bm.data(),
                           Cm.data(), Dskip.data(), ckpt.data(), dy_ptr, dhT_ptr, dx.data(),
                           ddelta.data(), dA.data(), dBm.data(), dCm.data(), dDskip.data(),
                           dh0.data(), workspace.data());
  });
  for (auto* buf : {&x, &delta, &A, &Bm, &Cm, &Dskip, &h0, &dy, &dhT, &ckpt, &workspace})
    buf->check_guards();
  std::vector<Tensor> out = {download(y, {s.B, s.T, s.D}),   download(hT, {s.B, s.D, s.N}),
                             download(dx, {s.B, s.T, s.D}),  download(ddelta, {s.B, s.T, s.D}),
                             download(dA, {s.D, s.N}),       download(dBm, {s.B, s.T, s.N}),
                             download(dCm, {s.B, s.T, s.N}), download(dDskip, {s.D}),
                             download(dh0, {s.B, s.D, s.N})};
  return out;
}

void expect_matches_reference(const Case& c) {
  SCOPED_TRACE(describe(c));
  const Problem p = make_problem(c);
  const auto ref = run_reference(p);
  const auto got = run_emulated(p, Order::Ascending);
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_EQ(got[i].defined(), ref[i].defined()) << kOutNames[i];
    if (!ref[i].defined()) continue;
    ASSERT_TRUE(torch::isfinite(got[i]).all().item<bool>()) << kOutNames[i] << " is not finite";
    const double tol = i < 2 ? testing::kFp32Tol : testing::kFp32GradTol;
    EXPECT_LE(testing::rms_ratio(got[i], ref[i]), tol) << kOutNames[i];
  }
}

TEST(SelectiveScanCudaEmulated, MatchesReference) {
  for (bool signed_decay : {false, true}) {
    for (const Case& c : {Case{1, 1, 1, 1, 201}, Case{2, 17, 5, 4, 202}, Case{1, 33, 40, 16, 203},
                          Case{2, 20, 3, 64, 204}, Case{1, 9, 32, 20, 205}}) {
      Case with_sign = c;
      with_sign.signed_decay = signed_decay;
      expect_matches_reference(with_sign);
    }
  }
}

TEST(SelectiveScanCudaEmulated, MatchesReferenceAtTheEdgesOfTheDecay) {
  for (bool signed_decay : {false, true})
    for (Regime regime : {Regime::DecayToZero, Regime::SignedZero})
      expect_matches_reference(Case{2, 18, 6, 8, 211, signed_decay, regime});
}

TEST(SelectiveScanCudaEmulated, MatchesReferenceWithoutInitialStateOrCotangents) {
  expect_matches_reference(Case{2, 17, 5, 4, 221, false, Regime::Typical, false, true, false});
  expect_matches_reference(Case{2, 17, 5, 4, 222, true, Regime::Typical, true, false, true});
}

// A block's threads only meet at shuffles; the emulation runs blocks in a fixed order, so even
// the atomically reduced gradients must come out bit-identical in every thread order.
TEST(SelectiveScanCudaEmulated, ThreadOrderDoesNotChangeResults) {
  const Problem p = make_problem(Case{2, 20, 40, 16, 231, true});
  const auto ascending = run_emulated(p, Order::Ascending);
  for (auto [order, seed] : {std::pair{Order::Descending, 0}, std::pair{Order::Shuffled, 7}}) {
    const auto other = run_emulated(p, order, seed);
    for (size_t i = 0; i < ascending.size(); ++i)
      EXPECT_TRUE(torch::equal(ascending[i], other[i]))
          << kOutNames[i] << " order " << static_cast<int>(order);
  }
}

}  // namespace
}  // namespace goose::kernels
