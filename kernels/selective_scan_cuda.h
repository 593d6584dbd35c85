// The CUDA selective-scan kernel, all three modes (fp32), callable without LibTorch: raw
// device pointers, default stream. Implemented in selective_scan_cuda.cu (built only when
// nvcc is present). Exports kScanCudaMaxN, kScanCudaMaxNComplex, selective_scan_cuda_max_n(),
// selective_scan_cuda_{forward,backward,workspace_floats}.
#pragma once
#include <cstdint>

#include "kernels/selective_scan_shape.h"

namespace goose::kernels {

// A channel's states live in registers, so N is bounded: 64 real states, 32 complex ones
// (the same 64 floats).
constexpr int64_t kScanCudaMaxN = 64;
constexpr int64_t kScanCudaMaxNComplex = 32;
inline int64_t selective_scan_cuda_max_n(ScanMode mode) {
  return mode == ScanMode::Complex ? kScanCudaMaxNComplex : kScanCudaMaxN;
}

// x, delta: (B,T,D); A: (D,N[,2]); Bm, Cm: (B,T,N[,2]); Dskip: (D); h0, hT: (B,D,N[,2]);
//   h_t = λ_t ⊙ h_{t−1} + Δ_t·x_t·Bm_t,  y_t = Re(Σ_n Cm_t[n]·h_t[·,n]) + Dskip·x_t
// (selective_scan_shape.h). Device pointers on `device`; h0 may be null (zeros); ckpt may be
// null, else it receives (B, scan_checkpoint_count(T), D, N[·2]) states. Throws
// std::runtime_error on a CUDA error or an N above selective_scan_cuda_max_n(mode).
void selective_scan_cuda_forward(int device, const ScanDims& dims,
                                 const ScanForwardArgs<float>& args);

// Gradients of <dy, y> + <dhT, h_T> from args.ckpt. dA, dBm, dCm, dDskip are reduced with
// atomicAdd (so their last bits may vary run to run); the outputs need no zeroing by the
// caller. workspace: device memory of selective_scan_cuda_workspace_floats(dims) floats.
int64_t selective_scan_cuda_workspace_floats(const ScanDims& dims);
void selective_scan_cuda_backward(int device, const ScanDims& dims,
                                  const ScanBackwardArgs<float>& args, float* workspace);

}  // namespace goose::kernels
