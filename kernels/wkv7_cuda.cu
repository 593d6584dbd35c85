// The CUDA WKV7 launchers (see wkv7_cuda.h): device selection, shared-memory opt-in, error
// checks. The device code and its launch geometry are in wkv7_cuda_kernels.cuh, which the CUDA
// emulation tests also run on the host.
#include "kernels/wkv7_cuda.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels/cuda_launch.cuh"
#include "kernels/wkv7_cuda_kernels.cuh"

namespace goose::kernels {

namespace {

using namespace wkv7_cuda_detail;

void check(cudaError_t err, const char* what) { cuda_check(err, "wkv7", what); }

template <typename Kernel>
void allow_shared(Kernel kernel, size_t bytes) {
  if (bytes > 48 * 1024)
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(bytes)),
          "cudaFuncSetAttribute");
}

template <typename E>
void forward_typed(const Wkv7Dims& sz, int chunk, const void* r, const void* w, const void* k,
                   const void* v, const void* a, const void* b, const float* s0, void* y,
                   float* s_out, float* ckpt) {
  const int N = static_cast<int>(sz.N);
  const size_t bytes = forward_shared_bytes(N);
  auto kernel = wkv7_forward_kernel<E>;
  allow_shared(kernel, bytes);
  kernel<<<static_cast<unsigned>(sz.B * sz.H), N, bytes, 0>>>(
      static_cast<int>(sz.T), static_cast<int>(sz.H), N, chunk,
      static_cast<int>(wkv7_cuda_checkpoints(sz.T, chunk)), static_cast<const E*>(r),
      static_cast<const E*>(w), static_cast<const E*>(k), static_cast<const E*>(v),
      static_cast<const E*>(a), static_cast<const E*>(b), s0, static_cast<E*>(y), s_out, ckpt);
  check(cudaGetLastError(), "forward launch");
}

template <typename E>
void backward_typed(const Wkv7Dims& sz, int chunk, const void* r, const void* w, const void* k,
                    const void* v, const void* a, const void* b, const float* ckpt,
                    const void* dy, const float* ds_out, void* dr, void* dw, void* dk, void* dv,
                    void* da, void* db, float* ds0, float* scratch) {
  const int N = static_cast<int>(sz.N);
  const size_t bytes = backward_shared_bytes(N, chunk);
  auto kernel = wkv7_backward_kernel<E>;
  allow_shared(kernel, bytes);
  kernel<<<static_cast<unsigned>(sz.B * sz.H), N, bytes, 0>>>(
      static_cast<int>(sz.T), static_cast<int>(sz.H), N, chunk,
      static_cast<int>(wkv7_cuda_checkpoints(sz.T, chunk)), static_cast<const E*>(r),
      static_cast<const E*>(w), static_cast<const E*>(k), static_cast<const E*>(v),
      static_cast<const E*>(a), static_cast<const E*>(b), ckpt, static_cast<const E*>(dy), ds_out,
      static_cast<E*>(dr), static_cast<E*>(dw), static_cast<E*>(dk), static_cast<E*>(dv),
      static_cast<E*>(da), static_cast<E*>(db), ds0, scratch);
  check(cudaGetLastError(), "backward launch");
}

int checked_chunk(int64_t chunk) {
  if (chunk < 1 || chunk > kWkv7CudaMaxChunk)
    throw std::invalid_argument("wkv7 cuda: chunk must be in [1, " +
                                std::to_string(kWkv7CudaMaxChunk) + "], got " +
                                std::to_string(chunk));
  return static_cast<int>(chunk);
}

}  // namespace

int64_t wkv7_cuda_chunk() {
  const char* env = std::getenv("GOOSE_WKV7_CUDA_CHUNK");
  if (env == nullptr || *env == '\0') return kWkv7CudaChunk;
  char* end = nullptr;
  const long value = std::strtol(env, &end, 10);
  if (*end != '\0' || value < 1 || value > kWkv7CudaMaxChunk)
    throw std::invalid_argument("GOOSE_WKV7_CUDA_CHUNK must be an integer in [1, " +
                                std::to_string(kWkv7CudaMaxChunk) + "], got '" + env + "'");
  return value;
}

int64_t wkv7_cuda_checkpoints(int64_t T, int64_t chunk) { return (T + chunk - 1) / chunk; }

int64_t wkv7_cuda_scratch_floats(const Wkv7Dims& sz, int64_t chunk) {
  return sz.B * sz.H * chunk * sz.N * sz.N;
}

void wkv7_cuda_forward(int device, Wkv7CudaDtype dtype, const Wkv7Dims& sz, int64_t chunk,
                       const Wkv7ForwardArgs<void, float>& p) {
  const int c = checked_chunk(chunk);
  CudaDeviceScope scope(device, "wkv7");
  if (dtype == Wkv7CudaDtype::BFloat16)
    forward_typed<__nv_bfloat16>(sz, c, p.r, p.w, p.k, p.v, p.a, p.b, p.s0, p.y, p.s_out, p.ckpt);
  else
    forward_typed<float>(sz, c, p.r, p.w, p.k, p.v, p.a, p.b, p.s0, p.y, p.s_out, p.ckpt);
}

void wkv7_cuda_backward(int device, Wkv7CudaDtype dtype, const Wkv7Dims& sz, int64_t chunk,
                        const Wkv7BackwardArgs<void, float>& p, float* scratch) {
  const int c = checked_chunk(chunk);
  CudaDeviceScope scope(device, "wkv7");
  if (dtype == Wkv7CudaDtype::BFloat16)
    backward_typed<__nv_bfloat16>(sz, c, p.r, p.w, p.k, p.v, p.a, p.b, p.ckpt, p.dy, p.ds_out,
                                  p.dr, p.dw, p.dk, p.dv, p.da, p.db, p.ds0, scratch);
  else
    backward_typed<float>(sz, c, p.r, p.w, p.k, p.v, p.a, p.b, p.ckpt, p.dy, p.ds_out, p.dr,
                          p.dw, p.dk, p.dv, p.da, p.db, p.ds0, scratch);
}

}  // namespace goose::kernels
