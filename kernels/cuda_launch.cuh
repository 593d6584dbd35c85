// Host-side helpers the CUDA launchers (wkv7_cuda.cu, selective_scan_cuda.cu) share: turning a
// CUDA error into std::runtime_error naming the kernel and the call, and running on a given
// device. Runtime API only; included by .cu files, never by device code or torch code.
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace goose::kernels {

// Throws std::runtime_error("<op> cuda: <what>: <CUDA's message>") unless err is cudaSuccess.
inline void cuda_check(cudaError_t err, const char* op, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(op) + " cuda: " + what + ": " + cudaGetErrorString(err));
}

// Makes `device` current for the scope and restores the caller's current device afterwards.
class CudaDeviceScope {
 public:
  CudaDeviceScope(int device, const char* op) {
    cuda_check(cudaGetDevice(&previous_), op, "cudaGetDevice");
    if (previous_ != device) cuda_check(cudaSetDevice(device), op, "cudaSetDevice");
  }
  ~CudaDeviceScope() { cudaSetDevice(previous_); }
  CudaDeviceScope(const CudaDeviceScope&) = delete;
  CudaDeviceScope& operator=(const CudaDeviceScope&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace goose::kernels
