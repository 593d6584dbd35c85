// Plain reference of the diagonal selective scan (forward and backward): clear loops with
// double accumulation, for float and double tensors. Slow on purpose; tests compare the
// optimised kernels with it, and double gradchecks run through it. Never used by models.
#pragma once
#include <tuple>
#include <vector>

#include <torch/torch.h>

namespace goose::kernels {

// Shapes and equations as in selective_scan.h; all tensors contiguous, on the CPU, one dtype
// (float or double); h0 may be undefined (zeros). Returns {y (B,T,D), h_T (B,D,N)}.
std::tuple<torch::Tensor, torch::Tensor> selective_scan_reference_forward(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0, bool signed_decay);

// Gradients {dx, ddelta, dA, dBm, dCm, dDskip, dh0} of <dy, y> + <dhT, h_T>. dy and dhT may
// be undefined (zero). Recomputes and keeps every state (that is what makes it plain).
std::vector<torch::Tensor> selective_scan_reference_backward(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0, bool signed_decay, const torch::Tensor& dy,
    const torch::Tensor& dhT);

}  // namespace goose::kernels
