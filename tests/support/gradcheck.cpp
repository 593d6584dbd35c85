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

}  // namespace goose::testing
