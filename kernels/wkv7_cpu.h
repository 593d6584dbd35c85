// The optimised CPU WKV7 kernel (fp32, torch-free interface): threads over batch×heads, one
// head's N×N state in a local buffer, and a backward that recomputes states from checkpoints
// (never divides by w). Exports kWkv7CpuChunk, wkv7_cpu_checkpoints(), wkv7_cpu_forward(),
// wkv7_cpu_backward().
#pragma once
#include <cstdint>

#include "kernels/wkv7_shape.h"

namespace goose::kernels {

// Steps between state checkpoints: the backward's chunk buffer holds kWkv7CpuChunk + 1
// states per thread (N = 64: 272 KiB, inside this machine's 1 MiB L2).
constexpr int64_t kWkv7CpuChunk = 16;

// Checkpoints per head: ceil(T / kWkv7CpuChunk); checkpoint c is the state before step c·C.
int64_t wkv7_cpu_checkpoints(int64_t T);

// r,w,k,v,a,b: (B,T,H,N); s0, s_out: (B,H,N,N); S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ
// + v_t k_tᵀ, y_t = S_t r_t. s0 may be null (zeros). args.ckpt, when not null, receives
// (B,H,wkv7_cpu_checkpoints(T),N,N) states for the backward.
void wkv7_cpu_forward(const Wkv7Dims& dims, const Wkv7ForwardArgs<float>& args);

// Gradients of <dy, y> + <ds_out, s_T> from args.ckpt (args.s0 is not read). dy and ds_out
// may be null. Threads never change results: each head is computed by one thread.
void wkv7_cpu_backward(const Wkv7Dims& dims, const Wkv7BackwardArgs<float>& args);

}  // namespace goose::kernels
