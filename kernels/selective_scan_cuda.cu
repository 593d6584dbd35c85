// The CUDA selective-scan launchers (see selective_scan_cuda.h): device selection, N's
// compile-time bound, the mode's kernel, zeroing of the atomically reduced gradients, error
// checks. The device code
// and its launch geometry are in selective_scan_cuda_kernels.cuh, which the CUDA emulation
// tests also run on the host.
#include "kernels/selective_scan_cuda.h"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda_launch.cuh"
#include "kernels/selective_scan_cuda_kernels.cuh"

namespace goose::kernels {
namespace {

using namespace scan_cuda_detail;

void check(cudaError_t err, const char* what) { cuda_check(err, "selective_scan", what); }

template <int kMaxN>
void launch_forward(const ScanDims& s, const ScanForwardArgs<float>& p) {
  const dim3 grid = forward_grid(s);
  switch (s.mode) {
    case ScanMode::Real:
      forward_kernel<kMaxN, false><<<grid, kForwardThreads>>>(s, p.x, p.delta, p.A, p.Bm, p.Cm,
                                                             p.Dskip, p.h0, p.y, p.hT, p.ckpt);
      break;
    case ScanMode::Signed:
      forward_kernel<kMaxN, true><<<grid, kForwardThreads>>>(s, p.x, p.delta, p.A, p.Bm, p.Cm,
                                                            p.Dskip, p.h0, p.y, p.hT, p.ckpt);
      break;
    case ScanMode::Complex:
      if constexpr (kMaxN <= kScanCudaMaxNComplex)
        forward_kernel_complex<kMaxN><<<grid, kForwardThreads>>>(
            s, p.x, p.delta, p.A, p.Bm, p.Cm, p.Dskip, p.h0, p.y, p.hT, p.ckpt);
      break;
  }
}

template <int kMaxN>
void launch_backward(const ScanDims& s, const ScanBackwardArgs<float>& p, float* ws) {
  const dim3 grid = backward_grid(s);
  switch (s.mode) {
    case ScanMode::Real:
      backward_kernel<kMaxN, false><<<grid, kWarp>>>(s, p.x, p.delta, p.A, p.Bm, p.Cm, p.Dskip,
                                                    p.ckpt, p.dy, p.dhT, p.dx, p.ddelta, p.dA,
                                                    p.dBm, p.dCm, p.dDskip, p.dh0, ws);
      break;
    case ScanMode::Signed:
      backward_kernel<kMaxN, true><<<grid, kWarp>>>(s, p.x, p.delta, p.A, p.Bm, p.Cm, p.Dskip,
                                                   p.ckpt, p.dy, p.dhT, p.dx, p.ddelta, p.dA,
                                                   p.dBm, p.dCm, p.dDskip, p.dh0, ws);
      break;
    case ScanMode::Complex:
      if constexpr (kMaxN <= kScanCudaMaxNComplex)
        backward_kernel_complex<kMaxN><<<grid, kWarp>>>(
            s, p.x, p.delta, p.A, p.Bm, p.Cm, p.Dskip, p.ckpt, p.dy, p.dhT, p.dx, p.ddelta, p.dA,
            p.dBm, p.dCm, p.dDskip, p.dh0, ws);
      break;
  }
}

void check_n(const ScanDims& s) {
  const int64_t max_n = selective_scan_cuda_max_n(s.mode);
  if (s.N < 1 || s.N > max_n)
    throw std::runtime_error("selective_scan cuda: N must be in [1, " + std::to_string(max_n) +
                             "] in the " + to_string(s.mode) + " mode, got " +
                             std::to_string(s.N));
}

}  // namespace

void selective_scan_cuda_forward(int device, const ScanDims& s,
                                 const ScanForwardArgs<float>& p) {
  check_n(s);
  CudaDeviceScope scope(device, "selective_scan");
  with_max_n(s, [&](auto max_n) { launch_forward<decltype(max_n)::value>(s, p); });
  check(cudaGetLastError(), "forward launch");
}

int64_t selective_scan_cuda_workspace_floats(const ScanDims& s) {
  return (kScanChunk + 1) * s.N * scan_components(s.mode) * s.B * s.D;
}

void selective_scan_cuda_backward(int device, const ScanDims& s,
                                  const ScanBackwardArgs<float>& p, float* workspace) {
  check_n(s);
  CudaDeviceScope scope(device, "selective_scan");
  const int64_t c = scan_components(s.mode);
  check(cudaMemsetAsync(p.dA, 0, sizeof(float) * s.D * s.N * c), "memset dA");
  check(cudaMemsetAsync(p.dBm, 0, sizeof(float) * s.B * s.T * s.N * c), "memset dBm");
  check(cudaMemsetAsync(p.dCm, 0, sizeof(float) * s.B * s.T * s.N * c), "memset dCm");
  check(cudaMemsetAsync(p.dDskip, 0, sizeof(float) * s.D), "memset dDskip");
  with_max_n(s, [&](auto max_n) { launch_backward<decltype(max_n)::value>(s, p, workspace); });
  check(cudaGetLastError(), "backward launch");
}

}  // namespace goose::kernels
