// The diagonal selective scan of the diagonal-SSM baselines, real, signed or complex
// eigenvalues, as a differentiable LibTorch op dispatching to the plain reference, the CPU
// kernel, the CUDA kernel or the per-step LibTorch loop. Exports selective_scan() (and,
// through kernels/impl.h and kernels/selective_scan_shape.h, Impl and ScanMode).
#pragma once
#include <tuple>

#include <torch/torch.h>

#include "kernels/impl.h"
#include "kernels/selective_scan_shape.h"

namespace goose::kernels {

// x, delta: (B,T,D) fp32, delta > 0; Dskip: (D) fp32; per mode (complex numbers as a trailing
// dimension of 2 = (re, im), as torch.view_as_real stores them):
//   Real, Signed: A (D,N), A < 0;        Bm, Cm (B,T,N);    h0 (B,D,N) or undefined (zeros)
//   Complex:      A (D,N,2), A_re <= 0;  Bm, Cm (B,T,N,2);  h0 (B,D,N,2) or undefined
//   λ_t[d,n] = exp(Δ_t[d]·A[d,n])                    Real:    eigenvalues in (0,1)
//   λ_t[d,n] = 2·exp(Δ_t[d]·A[d,n]) − 1              Signed:  eigenvalues in (−1,1)
//   λ_t[d,n] = exp(Δ_t[d]·(A_re + i·A_im)[d,n])      Complex: |λ| = exp(Δ·A_re) <= 1,
//                                                             arg λ = Δ·A_im
//   h_t[d,n] = λ_t[d,n]·h_{t−1}[d,n] + Δ_t[d]·Bm_t[n]·x_t[d]
//   y_t[d]   = Re(Σ_n Cm_t[n]·h_t[d,n]) + Dskip[d]·x_t[d]
// Returns {y: (B,T,D), h_T: shaped like h0}; differentiable in every input (A, Bm, Cm and h0
// included). λ and the per-step states are never materialised in the optimised forward.
// Impl::Auto: the CUDA kernel for CUDA tensors, else the CPU kernel (resolve_impl); the
// reference and the loop also take double. Errors throw std::invalid_argument naming the
// tensor and, for a shape that does not fit the mode, the mode (tensor_checks.h).
std::tuple<torch::Tensor, torch::Tensor> selective_scan(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0 = {}, ScanMode mode = ScanMode::Real, Impl impl = Impl::Auto);

}  // namespace goose::kernels
