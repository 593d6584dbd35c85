// Device code of the CUDA WKV7 kernel (contract in wkv7_cuda.h) and its launch geometry.
// One block per (batch, head), one thread per state row (row phases) and per state column
// (column phases), the fp32 state in shared memory with rows padded to N+1 floats so that both
// phases are free of bank conflicts. The backward recomputes each chunk's states from the
// forward's checkpoints; it never divides by w.
//
// Compiled by nvcc through wkv7_cuda.cu, and on the host by the CUDA emulation tests
// (tests/cuda_emulation), which declare threadIdx, __syncthreads and the rest before including
// this file. So: no runtime API calls and no launches here.
#pragma once
#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "kernels/wkv7_cuda.h"

namespace goose::kernels::wkv7_cuda_detail {

// Dynamic shared memory of each kernel, in bytes, for head size N (the block has N threads)
// and `chunk` steps between checkpoints.
inline size_t forward_shared_bytes(int N) {
  return sizeof(float) * (static_cast<size_t>(N) * (N + 1) + 6 * static_cast<size_t>(N));
}
inline size_t backward_shared_bytes(int N, int chunk) {
  return sizeof(float) *
         (2 * static_cast<size_t>(N) * (N + 1) + (8 + static_cast<size_t>(chunk)) * N);
}

__device__ inline float to_f(float x) { return x; }
__device__ inline float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename E>
__device__ inline E from_f(float x);
template <>
__device__ inline float from_f<float>(float x) {
  return x;
}
template <>
__device__ inline __nv_bfloat16 from_f<__nv_bfloat16>(float x) {
  return __float2bfloat16(x);
}

// Thread i copies element i of one step's vectors (offset o) into shared memory as fp32. vr may
// be null: the backward's recomputation does not need r.
template <typename E>
__device__ inline void stage_step(int i, int64_t o, const E* r, const E* w, const E* k,
                                  const E* v, const E* a, const E* b, float* vr, float* vw,
                                  float* vk, float* vv, float* va, float* vb) {
  if (vr) vr[i] = to_f(r[o + i]);
  vw[i] = to_f(w[o + i]);
  vk[i] = to_f(k[o + i]);
  vv[i] = to_f(v[o + i]);
  va[i] = to_f(a[o + i]);
  vb[i] = to_f(b[o + i]);
}

// Thread i's share of one step: row i of S becomes row·diag(w) + (row·a) bᵀ + v_i kᵀ.
// Returns sa_i = row·a (before the update), which the backward keeps; with kOutput, also
// y_i = new row · r. The forward and the backward's recomputation both run this, so they
// produce the same states bit for bit.
template <bool kOutput>
__device__ inline float step_row(float* row, int N, const float* vw, const float* vk,
                                 const float* va, const float* vb, float vi, const float* vr,
                                 float* yi) {
  float sa = 0.f;
  for (int j = 0; j < N; ++j) sa += row[j] * va[j];
  float acc = 0.f;
  for (int j = 0; j < N; ++j) {
    const float s = row[j] * vw[j] + sa * vb[j] + vi * vk[j];
    row[j] = s;
    if (kOutput) acc += s * vr[j];
  }
  if (kOutput) *yi = acc;
  return sa;
}

// S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,  y_t = S_t r_t.
// Vectors (B,T,H,N) of element type E; states (B,H,N,N) fp32; ckpt (B,H,n_ckpt,N,N) or null,
// n_ckpt = ceil(steps / chunk), entry c holding the state before step c·chunk.
// Launch: B·H blocks of N threads, forward_shared_bytes(N).
template <typename E>
__global__ void wkv7_forward_kernel(int steps, int H, int N, int chunk, int n_ckpt,
                                    const E* __restrict__ r,
                                    const E* __restrict__ w, const E* __restrict__ k,
                                    const E* __restrict__ v, const E* __restrict__ a,
                                    const E* __restrict__ b, const float* __restrict__ s0,
                                    E* __restrict__ y, float* __restrict__ s_out,
                                    float* __restrict__ ckpt) {
  extern __shared__ float smem[];
  const int P = N + 1;
  float* S = smem;
  float* vr = S + N * P;
  float* vw = vr + N;
  float* vk = vw + N;
  float* vv = vk + N;
  float* va = vv + N;
  float* vb = va + N;
  const int64_t bh = blockIdx.x;
  const int64_t bi = bh / H, h = bh % H;
  const int i = threadIdx.x;
  const int64_t NN = static_cast<int64_t>(N) * N;

  for (int m = 0; m < N; ++m) S[m * P + i] = s0 ? s0[bh * NN + m * N + i] : 0.f;
  for (int t = 0; t < steps; ++t) {
    const int64_t o = ((bi * steps + t) * H + h) * N;
    __syncthreads();  // the previous row phase is done with S and the vectors
    if (ckpt && t % chunk == 0) {
      float* dst = ckpt + (bh * n_ckpt + t / chunk) * NN;
      for (int m = 0; m < N; ++m) dst[m * N + i] = S[m * P + i];
    }
    stage_step(i, o, r, w, k, v, a, b, vr, vw, vk, vv, va, vb);
    __syncthreads();
    float yi;
    step_row<true>(S + i * P, N, vw, vk, va, vb, vv[i], vr, &yi);
    y[o + i] = from_f<E>(yi);
  }
  __syncthreads();
  for (int m = 0; m < N; ++m) s_out[bh * NN + m * N + i] = S[m * P + i];
}

// Backward of the forward above (same chunk). scratch holds, per block, the states
// S_{t0+1..t0+chunk} of the chunk being processed (S_{t0} is the checkpoint itself).
// Launch: B·H blocks of N threads, backward_shared_bytes(N, chunk).
template <typename E>
__global__ void wkv7_backward_kernel(int steps, int H, int N, int chunk, int n_ckpt,
                                     const E* __restrict__ r, const E* __restrict__ w,
                                     const E* __restrict__ k, const E* __restrict__ v,
                                     const E* __restrict__ a, const E* __restrict__ b,
                                     const float* __restrict__ ckpt, const E* __restrict__ dy,
                                     const float* __restrict__ ds_out, E* __restrict__ dr,
                                     E* __restrict__ dw, E* __restrict__ dk, E* __restrict__ dv,
                                     E* __restrict__ da, E* __restrict__ db,
                                     float* __restrict__ ds0, float* __restrict__ scratch) {
  extern __shared__ float smem[];
  const int P = N + 1;
  float* S = smem;         // recomputed state, N×P
  float* dS = S + N * P;   // dL/dS, N×P
  float* vr = dS + N * P;  // this step's vectors
  float* vw = vr + N;
  float* vk = vw + N;
  float* vv = vk + N;
  float* va = vv + N;
  float* vb = va + N;
  float* vdy = vb + N;
  float* vu = vdy + N;     // u = dS b
  float* sa_all = vu + N;  // sa = S_{t-1} a for each step of the chunk, C×N
  const int64_t bh = blockIdx.x;
  const int64_t bi = bh / H, h = bh % H;
  const int i = threadIdx.x;
  const int64_t NN = static_cast<int64_t>(N) * N;
  float* states = scratch + bh * chunk * NN;

  for (int m = 0; m < N; ++m) dS[m * P + i] = ds_out ? ds_out[bh * NN + m * N + i] : 0.f;
  const int last = (steps + chunk - 1) / chunk - 1;
  for (int c = last; c >= 0; --c) {
    const int t0 = c * chunk;
    const int len = min(chunk, steps - t0);
    const float* base = ckpt + (bh * n_ckpt + c) * NN;
    __syncthreads();  // the previous chunk's column phase is done with the vectors and sa_all
    for (int m = 0; m < N; ++m) S[m * P + i] = base[m * N + i];
    // Recompute S_{t0+1..t0+len}; thread i updates row i, then stores column i (coalesced).
    for (int tt = 0; tt < len; ++tt) {
      const int64_t o = ((bi * steps + t0 + tt) * H + h) * N;
      stage_step(i, o, r, w, k, v, a, b, static_cast<float*>(nullptr), vw, vk, vv, va, vb);
      __syncthreads();
      sa_all[tt * N + i] = step_row<false>(S + i * P, N, vw, vk, va, vb, vv[i], nullptr, nullptr);
      __syncthreads();
      float* dst = states + tt * NN;
      for (int m = 0; m < N; ++m) dst[m * N + i] = S[m * P + i];
    }
    for (int tt = len - 1; tt >= 0; --tt) {
      const int64_t o = ((bi * steps + t0 + tt) * H + h) * N;
      __syncthreads();  // the previous column phase is done with dS and the vectors
      stage_step(i, o, r, w, k, v, a, b, vr, vw, vk, vv, va, vb);
      vdy[i] = dy ? to_f(dy[o + i]) : 0.f;
      __syncthreads();
      // Row phase: dS += dy rᵀ; dv = dS k; u = dS b.
      {
        float* g = dS + i * P;
        const float dyi = vdy[i];
        float acc_v = 0.f, u = 0.f;
        for (int j = 0; j < N; ++j) {
          const float gj = g[j] + dyi * vr[j];
          g[j] = gj;
          acc_v += gj * vk[j];
          u += gj * vb[j];
        }
        dv[o + i] = from_f<E>(acc_v);
        vu[i] = u;
      }
      __syncthreads();
      // Column phase (thread i owns column i): dr = S_tᵀ dy, dk = dSᵀ v, dw = Σ S_{t-1}⊙dS,
      // da = S_{t-1}ᵀ u, db = dSᵀ sa; then dS <- dS diag(w) + u aᵀ.
      {
        const float* prev = tt == 0 ? base : states + (tt - 1) * NN;
        const float* cur = states + tt * NN;
        const float* sa = sa_all + tt * N;
        const float wi = vw[i], ai = va[i];
        float acc_r = 0.f, acc_k = 0.f, acc_w = 0.f, acc_a = 0.f, acc_b = 0.f;
        for (int m = 0; m < N; ++m) {
          const float g = dS[m * P + i];
          const float p = prev[m * N + i];
          acc_r += cur[m * N + i] * vdy[m];
          acc_k += g * vv[m];
          acc_w += p * g;
          acc_a += p * vu[m];
          acc_b += g * sa[m];
          dS[m * P + i] = g * wi + vu[m] * ai;
        }
        dr[o + i] = from_f<E>(acc_r);
        dk[o + i] = from_f<E>(acc_k);
        dw[o + i] = from_f<E>(acc_w);
        da[o + i] = from_f<E>(acc_a);
        db[o + i] = from_f<E>(acc_b);
      }
    }
  }
  __syncthreads();
  for (int m = 0; m < N; ++m) ds0[bh * NN + m * N + i] = dS[m * P + i];
}

}  // namespace goose::kernels::wkv7_cuda_detail
