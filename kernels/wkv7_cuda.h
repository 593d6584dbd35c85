// The CUDA WKV7 kernel's launchers (torch-free: raw device pointers, sizes, default stream).
// One block per (batch, head), one thread per state row/column, fp32 state, a checkpoint of
// the state every `chunk` steps, backward by recomputation from them. Exports the launchers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/wkv7_shape.h"

namespace goose::kernels {

// Steps between the forward's state checkpoints. The backward keeps one chunk of recomputed
// states per (batch, head) in global scratch, so the chunk trades checkpoint memory
// (T/chunk states) against scratch traffic (chunk states); the environment variable
// GOOSE_WKV7_CUDA_CHUNK (1..kWkv7CudaMaxChunk) overrides the default, for tuning on a GPU.
constexpr int64_t kWkv7CudaChunk = 16;
constexpr int64_t kWkv7CudaMaxChunk = 64;
constexpr int64_t kWkv7CudaMaxN = 128;

// The chunk in effect: GOOSE_WKV7_CUDA_CHUNK if set (std::invalid_argument if it is not an
// integer in [1, kWkv7CudaMaxChunk]), else kWkv7CudaChunk.
int64_t wkv7_cuda_chunk();

// Element type of r,w,k,v,a,b, y and their gradients; states are always fp32.
enum class Wkv7CudaDtype { Float32, BFloat16 };

// ceil(T / chunk): checkpoints per head, (B,H,count,N,N) fp32.
int64_t wkv7_cuda_checkpoints(int64_t T, int64_t chunk);
// fp32 scratch the backward needs: B·H·chunk·N·N floats.
int64_t wkv7_cuda_scratch_floats(const Wkv7Dims& sz, int64_t chunk);

// r,w,k,v,a,b: (B,T,H,N) of `dtype`; s0, s_out: (B,H,N,N) fp32;
//   S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,  y_t = S_t r_t.
// All pointers are device pointers on `device`; s0 may be null (zeros), ckpt may be null (no
// backward will follow), else it receives (B,H,wkv7_cuda_checkpoints(T,chunk),N,N) states.
// Throws std::runtime_error on a CUDA error.
void wkv7_cuda_forward(int device, Wkv7CudaDtype dtype, const Wkv7Dims& dims, int64_t chunk,
                       const Wkv7ForwardArgs<void, float>& args);

// The backward of a forward run with the same chunk, from args.ckpt (args.s0 is not read).
// dy and ds_out may be null (zero cotangents); scratch has wkv7_cuda_scratch_floats(dims,
// chunk) floats.
void wkv7_cuda_backward(int device, Wkv7CudaDtype dtype, const Wkv7Dims& dims, int64_t chunk,
                        const Wkv7BackwardArgs<void, float>& args, float* scratch);

}  // namespace goose::kernels
