// The two recurrences written as a user would without a kernel: a loop over time of batched
// LibTorch ops, differentiated by autograd. Impl::Loop runs these; the benchmarks use them as
// the no-kernel baseline. Callers normally go through wkv7() / selective_scan(), which validate.
#pragma once
#include <tuple>

#include <torch/torch.h>

#include "kernels/selective_scan_shape.h"

namespace goose::kernels {

// Same equations and contract as wkv7() (wkv7.h), without validation. The state is kept in
// s0's dtype (Float for Float inputs, Double for Double); y comes back in r's dtype.
// s0 may be undefined (zeros). Works on any device.
std::tuple<torch::Tensor, torch::Tensor> wkv7_loop(const torch::Tensor& r, const torch::Tensor& w,
                                                   const torch::Tensor& k, const torch::Tensor& v,
                                                   const torch::Tensor& a, const torch::Tensor& b,
                                                   const torch::Tensor& s0 = {});

// Same equations, layouts and contract as selective_scan() (selective_scan.h), all three
// modes, without validation. h0 may be undefined (zeros). Works on any device.
std::tuple<torch::Tensor, torch::Tensor> selective_scan_loop(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0 = {}, ScanMode mode = ScanMode::Real);

}  // namespace goose::kernels
