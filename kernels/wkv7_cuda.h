// The CUDA WKV7 kernel's launchers (torch-free: raw device pointers, sizes, default stream).
// One block per (batch, head), one thread per state row/column, fp32 state, a checkpoint of
// the state every `chunk` steps, backward by recomputation from them. Exports the launchers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/wkv7_reference.h"  // Wkv7Sizes

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
int64_t wkv7_cuda_scratch_floats(const Wkv7Sizes& sz, int64_t chunk);

// All pointers are device pointers on `device`; s0 may be null (zeros), ckpt may be null (no
// backward will follow). Throws std::runtime_error on a CUDA error.
void wkv7_cuda_forward(int device, Wkv7CudaDtype dtype, const Wkv7Sizes& sz, int64_t chunk,
                       const void* r, const void* w, const void* k, const void* v, const void* a,
                       const void* b, const float* s0, void* y, float* s_out, float* ckpt);

// The backward of a forward run with the same chunk. dy and ds_out may be null (zero
// cotangents); scratch has wkv7_cuda_scratch_floats(sz, chunk) floats.
void wkv7_cuda_backward(int device, Wkv7CudaDtype dtype, const Wkv7Sizes& sz, int64_t chunk,
                        const void* r, const void* w, const void* k, const void* v,
                        const void* a, const void* b, const float* ckpt, const void* dy,
                        const float* ds_out, void* dr, void* dw, void* dk, void* dv, void* da,
                        void* db, float* ds0, float* scratch);

}  // namespace goose::kernels
