// Seeded inputs for the recurrence kernel tests (see recurrence_inputs.h).
#include "tests/support/recurrence_inputs.h"

#include <cmath>

namespace goose::testing {

using torch::Tensor;

std::string describe(const Wkv7Case& c) {
  return "B=" + std::to_string(c.B) + " T=" + std::to_string(c.T) + " H=" + std::to_string(c.H) +
         " N=" + std::to_string(c.N) + " seed=" + std::to_string(c.seed) +
         " decay=" + std::to_string(static_cast<int>(c.decay)) +
         " alpha_max=" + std::to_string(c.alpha_max);
}

std::vector<Tensor> wkv7_inputs(const Wkv7Case& c) {
  auto gen = at::detail::createCPUGenerator(c.seed);
  const auto opt = torch::TensorOptions().dtype(torch::kDouble);
  const std::vector<int64_t> shape = {c.B, c.T, c.H, c.N};
  Tensor r = torch::randn(shape, gen, opt);
  Tensor w;
  switch (c.decay) {
    case Decay::Released:
      w = torch::exp(-0.6065306597 * torch::sigmoid(torch::randn(shape, gen, opt)));
      break;
    case Decay::One: w = torch::ones(shape, opt); break;
    case Decay::Tiny: w = torch::full(shape, 1e-30, opt); break;
  }
  Tensor k = torch::randn(shape, gen, opt) / std::sqrt(static_cast<double>(c.N));
  Tensor v = torch::randn(shape, gen, opt);
  Tensor kk = torch::randn(shape, gen, opt);
  kk = kk / kk.norm(2, -1, true).clamp_min(1e-12);
  Tensor alpha = torch::rand(shape, gen, opt) * c.alpha_max;
  Tensor a = -kk;
  Tensor b = kk * alpha;
  Tensor s0 = 0.5 * torch::randn({c.B, c.H, c.N, c.N}, gen, opt);
  return {r, w, k, v, a, b, s0};
}

ScanInputs scan_inputs(int64_t B, int64_t T, int64_t D, int64_t N, uint64_t seed,
                       torch::Dtype dtype, bool with_h0, kernels::ScanMode mode, Regime regime) {
  const bool cx = mode == kernels::ScanMode::Complex;
  auto parts = [cx](std::vector<int64_t> sizes) {
    if (cx) sizes.push_back(2);
    return sizes;
  };
  auto gen = at::detail::createCPUGenerator(seed);
  auto opt = torch::TensorOptions().dtype(torch::kDouble);
  ScanInputs in;
  in.x = torch::randn({B, T, D}, gen, opt);
  in.delta = 0.05 + 0.95 * torch::rand({B, T, D}, gen, opt);
  Tensor a_re = -(0.1 + 2.0 * torch::rand({D, N}, gen, opt));
  const Tensor a_im = 2.0 * M_PI * (2.0 * torch::rand({D, N}, gen, opt) - 1.0);
  in.Bm = torch::randn(parts({B, T, N}), gen, opt);
  in.Cm = torch::randn(parts({B, T, N}), gen, opt);
  in.Dskip = torch::randn({D}, gen, opt);
  if (with_h0) in.h0 = torch::randn(parts({B, D, N}), gen, opt);
  if (regime == Regime::DecayToZero) {
    auto big = torch::rand({B, T, D}, gen, opt) < 0.5;
    in.delta = torch::where(big, torch::full_like(in.delta, 50.0), in.delta);
    a_re = -(1.5 + 0.5 * torch::rand({D, N}, gen, opt));  // Δ·A in (−100, −75) where big
  } else if (regime == Regime::SignedZero) {
    a_re = torch::full({D, N}, -std::log(2.0), opt);
    auto one = torch::rand({B, T, D}, gen, opt) < 0.5;
    in.delta = torch::where(one, torch::ones_like(in.delta), in.delta);
  } else if (regime == Regime::UnitModulus) {
    if (!cx) throw std::invalid_argument("scan_inputs: UnitModulus is a complex-mode regime");
    a_re = torch::zeros({D, N}, opt);
  } else if (regime == Regime::Long) {
    a_re = -(1e-4 + 1e-3 * torch::rand({D, N}, gen, opt));
  }
  in.A = cx ? torch::stack({a_re, a_im}, -1) : a_re;
  for (Tensor* t : {&in.x, &in.delta, &in.A, &in.Bm, &in.Cm, &in.Dskip, &in.h0})
    if (t->defined()) *t = t->to(dtype);
  return in;
}

std::string describe(kernels::ScanMode mode, Regime regime) {
  static const char* names[] = {"typical", "decay-to-zero", "signed-zero", "unit-modulus",
                                "long"};
  return kernels::to_string(mode) + " " + names[static_cast<int>(regime)];
}

}  // namespace goose::testing
