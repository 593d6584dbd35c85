// Finite-difference gradient checking and the RMS-ratio metric (see gradcheck.h).
#include "tests/support/gradcheck.h"

#include <cmath>
#include <sstream>

namespace goose::testing {

double rms_ratio(const torch::Tensor& got, const torch::Tensor& ref) {
  auto g = got.detach().to(torch::kCPU, torch::kDouble);
  auto r = ref.detach().to(torch::kCPU, torch::kDouble);
  const double diff = (g - r).pow(2).mean().sqrt().item<double>();
  const double base = r.pow(2).mean().sqrt().item<double>();
  if (base == 0.0) return diff == 0.0 ? 0.0 : INFINITY;
  return diff / base;
}

namespace {

// <cot, f(x)> summed over outputs, with cotangents fixed for the whole check.
double weighted_sum(const DiffFn& f, const std::vector<torch::Tensor>& inputs,
                    const std::vector<torch::Tensor>& cots) {
  torch::NoGradGuard no_grad;
  auto outs = f(inputs);
  double total = 0.0;
  for (size_t i = 0; i < outs.size(); ++i) total += (outs[i] * cots[i]).sum().item<double>();
  return total;
}

}  // namespace

::testing::AssertionResult gradcheck(const DiffFn& f, const std::vector<torch::Tensor>& inputs,
                                     const std::vector<std::string>& names, double eps,
                                     double atol, double rtol) {
  std::vector<torch::Tensor> leaves;
  for (const auto& t : inputs) {
    if (!t.defined()) {
      leaves.emplace_back();
      continue;
    }
    if (t.scalar_type() != torch::kDouble)
      return ::testing::AssertionFailure() << "gradcheck needs double inputs";
    leaves.push_back(t.detach().clone().requires_grad_(true));
  }
  auto outs = f(leaves);
  auto gen = at::detail::createCPUGenerator(1234);
  std::vector<torch::Tensor> cots;
  torch::Tensor loss = torch::zeros({}, torch::kDouble);
  for (auto& o : outs) {
    cots.push_back(torch::randn(o.sizes(), gen, torch::kDouble));
    loss = loss + (o * cots.back()).sum();
  }
  std::vector<torch::Tensor> with_grad;
  for (auto& l : leaves)
    if (l.defined()) with_grad.push_back(l);
  auto grads = torch::autograd::grad({loss}, with_grad, {}, false, false, true);

  size_t gi = 0;
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (!leaves[i].defined()) continue;
    auto analytic = grads[gi++];
    if (!analytic.defined()) analytic = torch::zeros_like(leaves[i]);
    analytic = analytic.contiguous();
    std::vector<torch::Tensor> probe;
    for (auto& l : leaves) probe.push_back(l.defined() ? l.detach().clone() : l);
    auto flat = probe[i].view({-1});
    auto a_flat = analytic.view({-1});
    for (int64_t j = 0; j < flat.numel(); ++j) {
      const double x0 = flat[j].item<double>();
      flat[j] = x0 + eps;
      const double up = weighted_sum(f, probe, cots);
      flat[j] = x0 - eps;
      const double down = weighted_sum(f, probe, cots);
      flat[j] = x0;
      const double numeric = (up - down) / (2 * eps);
      const double got = a_flat[j].item<double>();
      if (!(std::fabs(got - numeric) <= atol + rtol * std::fabs(numeric))) {
        return ::testing::AssertionFailure()
               << "gradient of input '" << (i < names.size() ? names[i] : std::to_string(i))
               << "' at flat index " << j << ": autograd " << got << ", finite difference "
               << numeric;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult gradcheck_parameters(torch::nn::Module& module,
                                                const std::function<torch::Tensor()>& f,
                                                int64_t per_parameter, double eps, double atol,
                                                double rtol, uint64_t seed) {
  auto named = module.named_parameters();
  std::vector<torch::Tensor> params;
  for (const auto& p : named) {
    if (p.value().scalar_type() != torch::kDouble)
      return ::testing::AssertionFailure() << "gradcheck_parameters needs a double module (" << p.key() << ")";
    params.push_back(p.value());
  }
  auto gen = at::detail::createCPUGenerator(seed);
  const torch::Tensor out = f();
  const torch::Tensor cot = torch::randn(out.sizes(), gen, torch::kDouble);
  auto grads = torch::autograd::grad({(out * cot).sum()}, params, {}, false, false, /*allow_unused=*/true);
  auto objective = [&] {
    torch::NoGradGuard no_grad;
    return (f() * cot).sum().item<double>();
  };
  size_t i = 0;
  for (const auto& p : named) {
    const torch::Tensor analytic =
        grads[i].defined() ? grads[i].contiguous().view({-1}) : torch::zeros({p.value().numel()}, torch::kDouble);
    ++i;
    torch::Tensor flat = p.value().detach().view({-1});  // shares the parameter's storage
    const int64_t n = flat.numel();
    std::vector<int64_t> probes;
    if (n <= per_parameter) {
      for (int64_t j = 0; j < n; ++j) probes.push_back(j);
    } else {
      const auto pick = torch::randperm(n, gen, torch::kLong).slice(0, 0, per_parameter);
      for (int64_t k = 0; k < per_parameter; ++k) probes.push_back(pick[k].item<int64_t>());
    }
    for (const int64_t j : probes) {
      torch::NoGradGuard no_grad;
      const double x0 = flat[j].item<double>();
      flat[j] = x0 + eps;
      const double up = objective();
      flat[j] = x0 - eps;
      const double down = objective();
      flat[j] = x0;
      const double numeric = (up - down) / (2 * eps);
      const double got = analytic[j].item<double>();
      if (!(std::fabs(got - numeric) <= atol + rtol * std::fabs(numeric)))
        return ::testing::AssertionFailure() << "gradient of parameter '" << p.key() << "' at flat index " << j
                                             << ": autograd " << got << ", finite difference " << numeric;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace goose::testing
