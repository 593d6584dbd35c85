// Seeded inputs for the recurrence kernel tests (see recurrence_inputs.h).
#include "tests/support/recurrence_inputs.h"

#include <algorithm>
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

CountMod3 count_mod_3_inputs(int64_t T, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const Tensor counted = torch::rand({1, T, 1}, gen) < 0.5;
  CountMod3 out;
  ScanInputs& in = out.cos_run;
  in.x = torch::zeros({1, T, 1});
  in.delta = torch::where(counted, torch::ones({1, T, 1}), torch::full({1, T, 1}, 3.0f));
  in.A = torch::tensor({0.0f, static_cast<float>(2.0 * M_PI / 3.0)}).reshape({1, 1, 2});
  in.Bm = torch::zeros({1, T, 1, 2});
  in.Dskip = torch::zeros({1});
  in.h0 = torch::tensor({1.0f, 0.0f}).reshape({1, 1, 1, 2});
  out.sin_run = in;
  in.Cm = torch::stack({torch::ones({1, T, 1}), torch::zeros({1, T, 1})}, -1);
  out.sin_run.Cm = torch::stack({torch::zeros({1, T, 1}), -torch::ones({1, T, 1})}, -1);
  out.counts = counted.reshape({T}).to(torch::kLong).cumsum(0);
  return out;
}

CountMod3Result check_count_mod_3(const CountMod3& in, const Tensor& y_cos, const Tensor& y_sin) {
  const int64_t T = in.counts.size(0);
  const Tensor c = y_cos.detach().cpu().to(torch::kDouble).reshape({T});
  const Tensor s = y_sin.detach().cpu().to(torch::kDouble).reshape({T});
  const double step = 2.0 * M_PI / 3.0;
  CountMod3Result r;
  for (int64_t t = 0; t < T; ++t) {
    const double angle = std::atan2(s[t].item<double>(), c[t].item<double>());
    const int64_t k = in.counts[t].item<int64_t>() % 3;
    const int64_t decoded = (std::lround(angle / step) % 3 + 3) % 3;
    r.wrong += decoded != k;
    r.worst_phase_error = std::max(
        r.worst_phase_error, std::abs(std::remainder(angle - step * static_cast<double>(k),
                                                     2.0 * M_PI)));
  }
  return r;
}

}  // namespace goose::testing
