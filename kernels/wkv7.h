// RWKV-7's WKV recurrence (the generalised delta rule) as a differentiable LibTorch op,
// dispatching to the plain reference, the optimised CPU kernel or the CUDA kernel.
// Exports Impl, parse_impl(), wkv7().
#pragma once
#include <string>
#include <tuple>

#include <torch/torch.h>

namespace goose::kernels {

// Which implementation runs a kernel. Auto = Cuda for CUDA tensors, Cpu otherwise.
// Loop = per-step LibTorch ops, autograd through them; the no-kernel baseline (any device,
// Float or Double; see kernels/recurrence_loops.h).
enum class Impl { Auto, Reference, Cpu, Cuda, Loop };
Impl parse_impl(const std::string& name);  // "auto"|"reference"|"cpu"|"cuda"|"loop", else invalid_argument
std::string to_string(Impl impl);
bool cuda_kernels_built();  // false when the build had no CUDA compiler

// r, w, k, v, a, b: (B,T,H,N) fp32 (bf16 also on CUDA); s0: (B,H,N,N) fp32 or undefined (zeros).
// Per head, S is N×N (row = value index, column = key index):
//   S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,   y_t = S_t r_t.
// RWKV-7 calls it with a = −κ̂, b = κ̂⊙a. Returns {y: (B,T,H,N) in the inputs' dtype,
// s_T: (B,H,N,N) fp32}. Differentiable in all seven inputs (s0 included). Any T >= 1.
// Shape/dtype/device errors throw std::invalid_argument naming the tensor.
std::tuple<torch::Tensor, torch::Tensor> wkv7(const torch::Tensor& r, const torch::Tensor& w,
                                              const torch::Tensor& k, const torch::Tensor& v,
                                              const torch::Tensor& a, const torch::Tensor& b,
                                              const torch::Tensor& s0 = {},
                                              Impl impl = Impl::Auto);

}  // namespace goose::kernels
