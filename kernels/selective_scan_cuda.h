// The CUDA selective-scan kernel (fp32), callable without LibTorch: raw device pointers,
// default stream. Implemented in selective_scan_cuda.cu (built only when nvcc is present).
// Exports kScanCudaMaxN, selective_scan_cuda_{forward,backward}.
#pragma once
#include "kernels/selective_scan_cpu.h"  // ScanShape, kScanChunk, checkpoint layout

namespace goose::kernels {

// The state of one channel lives in registers, so N is bounded.
constexpr int64_t kScanCudaMaxN = 64;

// Same contract as the CPU functions, on device pointers. ckpt: (B, nchk, D, N) as on the CPU.
// Throws std::runtime_error on a CUDA error.
void selective_scan_cuda_forward(const ScanShape& s, const float* x, const float* delta,
                                 const float* A, const float* Bm, const float* Cm,
                                 const float* Dskip, const float* h0, float* y, float* hT,
                                 float* ckpt);

// dA, dBm, dCm, dDskip are reduced with atomicAdd (so their last bits may vary run to run);
// the outputs need no zeroing by the caller. workspace: device memory of
// selective_scan_cuda_workspace_floats(s) floats.
int64_t selective_scan_cuda_workspace_floats(const ScanShape& s);
void selective_scan_cuda_backward(const ScanShape& s, const float* x, const float* delta,
                                  const float* A, const float* Bm, const float* Cm,
                                  const float* Dskip, const float* ckpt, const float* dy,
                                  const float* dhT, float* dx, float* ddelta, float* dA,
                                  float* dBm, float* dCm, float* dDskip, float* dh0,
                                  float* workspace);

}  // namespace goose::kernels
