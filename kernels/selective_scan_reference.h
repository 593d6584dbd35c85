// The plain reference of the diagonal selective scan, all three modes (forward and backward):
// clear loops with double accumulation (std::complex<double> in the complex mode), torch-free
// (library goose_kernels_reference). Slow on purpose: the oracle the CPU and CUDA kernels are
// tested against, the double gradchecks' subject and the `--kernel reference` debugging path.
// Exports selective_scan_reference_forward(), selective_scan_reference_backward().
#pragma once
#include "kernels/selective_scan_shape.h"

namespace goose::kernels {

// x, delta: (B,T,D); A: (D,N) or (D,N,2); Bm, Cm: (B,T,N) or (B,T,N,2); Dskip: (D);
// h0, hT: (B,D,N) or (B,D,N,2) (the trailing 2 in the Complex mode; selective_scan_shape.h):
//   h_t = λ_t ⊙ h_{t−1} + Δ_t·x_t·Bm_t,  y_t = Re(Σ_n Cm_t[n]·h_t[·,n]) + Dskip·x_t,
//   λ_t = exp(Δ_t·A) | 2·exp(Δ_t·A) − 1 | exp(Δ_t·(A_re + i·A_im)).
// Reads h0 (null: zeros); writes y and hT; ignores ckpt. Instantiated for float and double.
template <typename T>
void selective_scan_reference_forward(const ScanDims& dims, const ScanForwardArgs<T>& args);

// Gradients of <dy, y> + <dhT, h_T> (dy, dhT may be null: zero), recomputing and keeping
// every state from h0 (ignores ckpt). For complex tensors: the gradient of their (re, im) parts.
template <typename T>
void selective_scan_reference_backward(const ScanDims& dims, const ScanBackwardArgs<T>& args);

}  // namespace goose::kernels
