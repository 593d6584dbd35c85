// Test helpers for differentiable ops: central finite-difference gradient checks in double
// (LibTorch C++ has no gradcheck), of a function's inputs or of a whole module's parameters,
// and the RMS-ratio error metric of REFERENCE.md §6.
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

// The same check for the parameters of `module` (double): d<cot, f()>/dθ from autograd against
// central differences, where f() runs the module (e.g. a whole model's forward on fixed tokens).
// Every element of a parameter with at most `per_parameter` elements is probed, else a seeded
// sample of that many. The failure message names the parameter, the index and both values.
::testing::AssertionResult gradcheck_parameters(torch::nn::Module& module,
                                                const std::function<torch::Tensor()>& f,
                                                int64_t per_parameter = 6, double eps = 1e-6,
                                                double atol = 1e-7, double rtol = 1e-5,
                                                uint64_t seed = 1);

}  // namespace goose::testing
