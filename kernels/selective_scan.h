// The diagonal selective scan of the Mamba-style SSM baseline as a differentiable LibTorch
// op (reference / CPU / CUDA). Exports selective_scan().
#pragma once
#include <tuple>

#include <torch/torch.h>

#include "kernels/wkv7.h"  // Impl

namespace goose::kernels {

// x, delta: (B,T,D) fp32, delta > 0; A: (D,N) fp32, A < 0; Bm, Cm: (B,T,N) fp32;
// Dskip: (D) fp32; h0: (B,D,N) fp32 or undefined (zeros).
//   λ_t[d,n] = exp(Δ_t[d] A[d,n])            (signed_decay = false: eigenvalues in (0,1))
//   λ_t[d,n] = 2·exp(Δ_t[d] A[d,n]) − 1      (signed_decay = true:  eigenvalues in (−1,1))
//   h_t[d,n] = λ_t[d,n] h_{t-1}[d,n] + Δ_t[d] Bm_t[n] x_t[d]
//   y_t[d]   = Σ_n Cm_t[n] h_t[d,n] + Dskip[d] x_t[d]
// Returns {y: (B,T,D), h_T: (B,D,N)}; differentiable in all inputs. λ and the per-step
// states are never materialised in the optimised forward.
std::tuple<torch::Tensor, torch::Tensor> selective_scan(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0 = {}, bool signed_decay = false, Impl impl = Impl::Auto);

}  // namespace goose::kernels
