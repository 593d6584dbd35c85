// The optimised CPU WKV7 kernel (fp32): threads over batch×heads, one head's N×N state in a
// local buffer, and a backward that recomputes states from checkpoints (never divides by w).
// Exports kWkv7CpuChunk, wkv7_cpu_checkpoints(), wkv7_cpu_forward(), wkv7_cpu_backward().
#pragma once
#include <cstdint>

#include "kernels/wkv7_reference.h"  // Wkv7Sizes

namespace goose::kernels {

// Steps between state checkpoints: the backward's chunk buffer holds kWkv7CpuChunk + 1
// states per thread (N = 64: 272 KiB, inside this machine's 1 MiB L2).
constexpr int64_t kWkv7CpuChunk = 16;

// Checkpoints per head: ceil(T / kWkv7CpuChunk); checkpoint c is the state before step c·C.
int64_t wkv7_cpu_checkpoints(int64_t T);

// Layouts as in wkv7_reference.h. s0 may be null (zeros). ckpt, when not null, receives
// (B,H,wkv7_cpu_checkpoints(T),N,N) states for the backward; pass null when no grad is needed.
void wkv7_cpu_forward(const Wkv7Sizes& sz, const float* r, const float* w, const float* k,
                      const float* v, const float* a, const float* b, const float* s0, float* y,
                      float* s_out, float* ckpt);

// Gradients of <dy, y> + <ds_out, s_T> from the forward's checkpoints. dy and ds_out may be
// null (zero cotangents). Threads never change results: each head is computed by one thread.
void wkv7_cpu_backward(const Wkv7Sizes& sz, const float* r, const float* w, const float* k,
                       const float* v, const float* a, const float* b, const float* ckpt,
                       const float* dy, const float* ds_out, float* dr, float* dw, float* dk,
                       float* dv, float* da, float* db, float* ds0);

}  // namespace goose::kernels
