// A host emulation of the CUDA execution model, just enough to run gooselab's device code
// (kernels/*_cuda_kernels.cuh) on a machine without a GPU, so that CI checks the CUDA kernels'
// indexing, synchronisation and arithmetic against the references.
//
// - Blocks run one after another. A block's threads are fibers (ucontext) on one OS thread,
//   switched only at __syncthreads() and warp shuffles, in an order the test chooses per
//   launch (ascending, descending, or a seeded shuffle per phase). Two threads racing inside
//   one phase give results that depend on that order, so tests compare orders bit for bit.
// - __syncthreads() reached by only some threads of a block, a partial-warp shuffle, a
//   deadlock, or an exception in a thread fail the launch with a message naming the block.
// - Dynamic shared memory is filled with NaNs before every block and checked past the
//   requested size afterwards; DeviceBuffer does the same for global memory around each
//   buffer. Reads of memory nobody wrote therefore turn into NaN outputs, and writes out of
//   bounds fail the test.
// - Not emulated: timing, the memory model beyond barriers, occupancy, and anything a kernel
//   does not use here (the runtime API, streams, cooperative groups).
//
// Include this before any .cuh: it declares threadIdx, blockIdx, blockDim, gridDim,
// __syncthreads, __shfl_down_sync, atomicAdd and min, which nvcc would provide.
#pragma once
#include <cuda_bf16.h>  // host_defines (__global__, __device__, ...), vector types, bf16 on host

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

void __syncthreads();
// Only full-warp shuffles (mask 0xffffffff, 32 lanes present) are emulated.
float __shfl_down_sync(unsigned mask, float value, int delta);
float atomicAdd(float* address, float value);
inline int min(int a, int b) { return a < b ? a : b; }

namespace goose::cuda_emulation {

// The order in which a block's threads run between two synchronisation points.
enum class Order { Ascending, Descending, Shuffled };

struct LaunchConfig {
  dim3 grid, block;
  size_t shared_bytes = 0;  // dynamic shared memory
  Order order = Order::Ascending;
  uint64_t seed = 0;  // for Order::Shuffled
};

// The most dynamic shared memory a block may ask for: what an H100 grants after opt-in.
constexpr size_t kMaxSharedBytes = 227 * 1024;

// The storage behind a kernel's `extern __shared__` array. The test file that includes the
// .cuh defines that array (kMaxSharedBytes long) and registers it once.
void register_dynamic_shared(void* base, size_t bytes);

// Runs body once per thread of every block; throws std::runtime_error on any failure above.
void run(const LaunchConfig& config, const std::function<void()>& body);

template <typename... Params, typename... Args>
void launch(const LaunchConfig& config, void (*kernel)(Params...), Args... args) {
  run(config, [&] { kernel(static_cast<Params>(args)...); });
}

// Global memory with NaN guard zones on both sides; the data starts NaN too, so outputs a
// kernel forgets to write stay NaN. T is float or __nv_bfloat16 (all-ones bits are NaN in both).
template <typename T>
class DeviceBuffer {
 public:
  static constexpr size_t kGuard = 64;
  explicit DeviceBuffer(size_t n, std::string name)
      : n_(n), name_(std::move(name)), storage_(n + 2 * kGuard) {
    std::memset(static_cast<void*>(storage_.data()), 0xff, storage_.size() * sizeof(T));
  }
  T* data() { return storage_.data() + kGuard; }
  size_t size() const { return n_; }
  void fill(const T* values) { std::memcpy(static_cast<void*>(data()), values, n_ * sizeof(T)); }
  // Throws if a byte of either guard zone changed (a write out of bounds).
  void check_guards() const {
    const auto* bytes = reinterpret_cast<const unsigned char*>(storage_.data());
    const size_t guard_bytes = kGuard * sizeof(T), data_bytes = n_ * sizeof(T);
    for (size_t i = 0; i < guard_bytes; ++i)
      if (bytes[i] != 0xff || bytes[guard_bytes + data_bytes + i] != 0xff)
        throw std::runtime_error("write out of bounds of device buffer " + name_);
  }

 private:
  size_t n_;
  std::string name_;
  std::vector<T> storage_;
};

}  // namespace goose::cuda_emulation
