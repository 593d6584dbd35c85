// Test helpers for differentiable ops: central finite-difference gradient checks in double
// (LibTorch C++ has no gradcheck) and the RMS-ratio error metric of REFERENCE.md §6.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace goose::testing {

using DiffFn = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>&)>;

// RMS(got - ref) / RMS(ref), computed in double; 0 when both are zero.
double rms_ratio(const torch::Tensor& got, const torch::Tensor& ref);

// Checks d<cot, f(inputs)>/d inputs from autograd against central differences with step eps.
// inputs must be double tensors; cot is a fixed seeded random cotangent per output.
// Passes when |analytic - numeric| <= atol + rtol * |numeric| for every element; the failure
// message names the input, the index and both values. Undefined inputs are skipped.
::testing::AssertionResult gradcheck(const DiffFn& f, const std::vector<torch::Tensor>& inputs,
                                     const std::vector<std::string>& names, double eps = 1e-6,
                                     double atol = 1e-6, double rtol = 1e-5);

}  // namespace goose::testing
