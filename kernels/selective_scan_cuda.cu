// The CUDA selective-scan launchers (see selective_scan_cuda.h): N's compile-time bound,
// zeroing of the atomically reduced gradients, error checks. The device code and its launch
// geometry are in selective_scan_cuda_kernels.cuh, which the CUDA emulation tests also run on
// the host.
#include "kernels/selective_scan_cuda.h"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/selective_scan_cuda_kernels.cuh"

namespace goose::kernels {
namespace {

using namespace scan_cuda_detail;

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("selective_scan cuda: ") + what + ": " +
                             cudaGetErrorString(err));
}

template <int kMaxN>
void launch_forward(const ScanShape& s, const float* x, const float* delta, const float* A,
                    const float* Bm, const float* Cm, const float* Dskip, const float* h0,
                    float* y, float* hT, float* ckpt) {
  const dim3 grid = forward_grid(s);
  if (s.signed_decay)
    forward_kernel<kMaxN, true><<<grid, kForwardThreads>>>(s, x, delta, A, Bm, Cm, Dskip, h0, y,
                                                          hT, ckpt);
  else
    forward_kernel<kMaxN, false><<<grid, kForwardThreads>>>(s, x, delta, A, Bm, Cm, Dskip, h0,
                                                           y, hT, ckpt);
}

template <int kMaxN>
void launch_backward(const ScanShape& s, const float* x, const float* delta, const float* A,
                     const float* Bm, const float* Cm, const float* Dskip, const float* ckpt,
                     const float* dy, const float* dhT, float* dx, float* ddelta, float* dA,
                     float* dBm, float* dCm, float* dDskip, float* dh0, float* ws) {
  const dim3 grid = backward_grid(s);
  if (s.signed_decay)
    backward_kernel<kMaxN, true><<<grid, kWarp>>>(s, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT,
                                                 dx, ddelta, dA, dBm, dCm, dDskip, dh0, ws);
  else
    backward_kernel<kMaxN, false><<<grid, kWarp>>>(s, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT,
                                                  dx, ddelta, dA, dBm, dCm, dDskip, dh0, ws);
}

void check_n(const ScanShape& s) {
  if (s.N < 1 || s.N > kScanCudaMaxN)
    throw std::runtime_error("selective_scan cuda: N must be in [1, " +
                             std::to_string(kScanCudaMaxN) + "], got " + std::to_string(s.N));
}

}  // namespace

void selective_scan_cuda_forward(const ScanShape& s, const float* x, const float* delta,
                                 const float* A, const float* Bm, const float* Cm,
                                 const float* Dskip, const float* h0, float* y, float* hT,
                                 float* ckpt) {
  check_n(s);
  with_max_n(s.N, [&](auto max_n) {
    launch_forward<decltype(max_n)::value>(s, x, delta, A, Bm, Cm, Dskip, h0, y, hT, ckpt);
  });
  check(cudaGetLastError(), "forward launch");
}

int64_t selective_scan_cuda_workspace_floats(const ScanShape& s) {
  return (kScanChunk + 1) * s.N * s.B * s.D;
}

void selective_scan_cuda_backward(const ScanShape& s, const float* x, const float* delta,
                                  const float* A, const float* Bm, const float* Cm,
                                  const float* Dskip, const float* ckpt, const float* dy,
                                  const float* dhT, float* dx, float* ddelta, float* dA,
                                  float* dBm, float* dCm, float* dDskip, float* dh0,
                                  float* workspace) {
  check_n(s);
  check(cudaMemsetAsync(dA, 0, sizeof(float) * s.D * s.N), "memset dA");
  check(cudaMemsetAsync(dBm, 0, sizeof(float) * s.B * s.T * s.N), "memset dBm");
  check(cudaMemsetAsync(dCm, 0, sizeof(float) * s.B * s.T * s.N), "memset dCm");
  check(cudaMemsetAsync(dDskip, 0, sizeof(float) * s.D), "memset dDskip");
  with_max_n(s.N, [&](auto max_n) {
    launch_backward<decltype(max_n)::value>(s, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT, dx,
                                            ddelta, dA, dBm, dCm, dDskip, dh0, workspace);
  });
  check(cudaGetLastError(), "backward launch");
}

}  // namespace goose::kernels
