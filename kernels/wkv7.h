// RWKV-7's WKV recurrence (the generalised delta rule) as a differentiable LibTorch op,
// dispatching to the plain reference, the optimised CPU kernel, the CUDA kernel or the
// per-step LibTorch loop. Exports wkv7() (and, through kernels/impl.h, Impl).
#pragma once
#include <tuple>

#include <torch/torch.h>

#include "kernels/impl.h"

namespace goose::kernels {

// r, w, k, v, a, b: (B,T,H,N) fp32 (bf16 also on CUDA; double for the reference and the
// loop); s0: (B,H,N,N) fp32 (double with double inputs) or undefined (zeros).
// Per head, S is N×N (row = value index, column = key index):
//   S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,   y_t = S_t r_t.
// RWKV-7 calls it with a = −κ̂, b = κ̂⊙a. Returns {y: (B,T,H,N) in the inputs' dtype,
// s_T: (B,H,N,N) in the state's dtype}. Differentiable in all seven inputs (s0 included).
// Any T >= 1. Impl::Auto: the CUDA kernel for CUDA tensors, else the CPU kernel (resolve_impl).
// Shape/dtype/device errors throw std::invalid_argument naming the tensor (tensor_checks.h).
std::tuple<torch::Tensor, torch::Tensor> wkv7(const torch::Tensor& r, const torch::Tensor& w,
                                              const torch::Tensor& k, const torch::Tensor& v,
                                              const torch::Tensor& a, const torch::Tensor& b,
                                              const torch::Tensor& s0 = {},
                                              Impl impl = Impl::Auto);

}  // namespace goose::kernels
