// Device code of the CUDA selective-scan kernel (fp32, all three modes; contract in
// selective_scan_cuda.h) and its launch geometry. Forward: one thread per (b, d) with the
// channel's N states in registers (N rounded up to 16/32/64 at compile time; complex states
// as separate re and im registers, N up to 32). Backward: one warp per block; each chunk of
// kScanChunk steps is recomputed from its checkpoint into a global workspace, then stepped
// back; dBm/dCm are summed over a warp's channels by shuffles and then atomicAdd.
//
// Compiled by nvcc through selective_scan_cuda.cu, and on the host by the CUDA emulation tests
// (tests/cuda_emulation), which declare threadIdx, __shfl_down_sync, atomicAdd and the rest
// before including it. So: no runtime API calls and no launches here.
#pragma once
#include <vector_types.h>

#include <cstdint>
#include <type_traits>

#include "kernels/selective_scan_cuda.h"
#include "kernels/selective_scan_shape.h"

namespace goose::kernels::scan_cuda_detail {

constexpr int kWarp = 32;
constexpr int kForwardThreads = 64;

// Grids: x over channels, y over the batch.
inline dim3 forward_grid(const ScanDims& s) {
  return dim3(unsigned((s.D + kForwardThreads - 1) / kForwardThreads), unsigned(s.B));
}
inline dim3 backward_grid(const ScanDims& s) {
  return dim3(unsigned((s.D + kWarp - 1) / kWarp), unsigned(s.B));
}

// Calls f(std::integral_constant<int, M>{}) with M the compile-time bound on N that the
// kernels are instantiated with: 16, 32 or 64 (N itself is at most
// selective_scan_cuda_max_n(mode): 64, or 32 in the Complex mode, which instantiates 16 and
// 32 only).
template <typename F>
void with_max_n(const ScanDims& s, F&& f) {
  if (s.N <= 16)
    f(std::integral_constant<int, 16>{});
  else if (s.N <= 32 || s.mode == ScanMode::Complex)
    f(std::integral_constant<int, 32>{});
  else
    f(std::integral_constant<int, 64>{});
}

// ---- Real and Signed modes: λ = exp(ΔA) or 2·exp(ΔA) − 1 ----

// x, delta (B,T,D); A (D,N); Bm, Cm (B,T,N); Dskip (D); h0, hT (B,D,N); ckpt (B,nchk,D,N).
//   h_t = λ_t ⊙ h_{t−1} + Δ_t·x_t·Bm_t,  y_t = Σ_n Cm_t[n]·h_t[·,n] + Dskip·x_t.
// Launch: forward_grid(s) blocks of kForwardThreads threads.
template <int kMaxN, bool kSigned>
__global__ void forward_kernel(ScanDims s, const float* __restrict__ x,
                               const float* __restrict__ delta, const float* __restrict__ A,
                               const float* __restrict__ Bm, const float* __restrict__ Cm,
                               const float* __restrict__ Dskip, const float* __restrict__ h0,
                               float* __restrict__ y, float* __restrict__ hT,
                               float* __restrict__ ckpt) {
  const int64_t d = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, b = blockIdx.y;
  if (d >= s.D) return;
  const int64_t T = s.T, D = s.D, N = s.N,
                nchk = (T + kScanChunk - 1) / kScanChunk;  // host-only helper unusable here
  float h[kMaxN], a[kMaxN];
#pragma unroll
  for (int n = 0; n < kMaxN; ++n) {
    if (n < N) {
      h[n] = h0 ? h0[(b * D + d) * N + n] : 0.0f;
      a[n] = A[d * N + n];
    }
  }
  const float skip = Dskip[d];
  for (int64_t t = 0; t < T; ++t) {
    if (ckpt && t % kScanChunk == 0) {
      float* cp = ckpt + ((b * nchk + t / kScanChunk) * D + d) * N;
#pragma unroll
      for (int n = 0; n < kMaxN; ++n)
        if (n < N) cp[n] = h[n];
    }
    const int64_t i = (b * T + t) * D + d, j = (b * T + t) * N;
    const float dl = delta[i], xv = x[i], u = dl * xv;
    float acc = 0.0f;
#pragma unroll
    for (int n = 0; n < kMaxN; ++n) {
      if (n < N) {
        const float e = expf(dl * a[n]);
        h[n] = (kSigned ? 2.0f * e - 1.0f : e) * h[n] + u * Bm[j + n];
        acc += Cm[j + n] * h[n];
      }
    }
    y[i] = acc + skip * xv;
  }
#pragma unroll
  for (int n = 0; n < kMaxN; ++n)
    if (n < N) hT[(b * D + d) * N + n] = h[n];
}

__device__ inline float warp_sum(float v) {
#pragma unroll
  for (int off = kWarp / 2; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// Gradients of <dy, y> + <dhT, h_T> from the forward's checkpoints. One warp per block, all
// lanes of a block in the same batch row b; lanes past D take part in the shuffles with
// zeros. ws: (kScanChunk+1, N, B·D), thread-private but coalesced.
// Launch: backward_grid(s) blocks of kWarp threads.
template <int kMaxN, bool kSigned>
__global__ void backward_kernel(ScanDims s, const float* __restrict__ x,
                                const float* __restrict__ delta, const float* __restrict__ A,
                                const float* __restrict__ Bm, const float* __restrict__ Cm,
                                const float* __restrict__ Dskip, const float* __restrict__ ckpt,
                                const float* __restrict__ dy, const float* __restrict__ dhT,
                                float* __restrict__ dx, float* __restrict__ ddelta,
                                float* __restrict__ dA, float* __restrict__ dBm,
                                float* __restrict__ dCm, float* __restrict__ dDskip,
                                float* __restrict__ dh0, float* __restrict__ ws) {
  const int64_t d = int64_t(blockIdx.x) * kWarp + threadIdx.x, b = blockIdx.y;
  const bool active = d < s.D;
  const int64_t T = s.T, D = s.D, N = s.N,
                nchk = (T + kScanChunk - 1) / kScanChunk;  // host-only helper unusable here
  const int64_t BD = s.B * D, bd = b * D + d;
  const int lane = threadIdx.x;
  float g[kMaxN], a[kMaxN], dA_acc[kMaxN];
#pragma unroll
  for (int n = 0; n < kMaxN; ++n) {
    g[n] = (active && n < N && dhT) ? dhT[bd * N + n] : 0.0f;
    a[n] = (active && n < N) ? A[d * N + n] : 0.0f;
    dA_acc[n] = 0.0f;
  }
  const float skip = active ? Dskip[d] : 0.0f;
  float dD_acc = 0.0f;
  for (int64_t c = nchk - 1; c >= 0; --c) {
    const int64_t t0 = c * kScanChunk;
    const int64_t len = T - t0 < kScanChunk ? T - t0 : kScanChunk;
    if (active) {  // ws[j] = h_{t0+j-1}: recompute the chunk from its checkpoint
      const float* cp = ckpt + ((b * nchk + c) * D + d) * N;
      float h[kMaxN];
#pragma unroll
      for (int n = 0; n < kMaxN; ++n)
        if (n < N) {
          h[n] = cp[n];
          ws[(0 * N + n) * BD + bd] = h[n];
        }
      for (int64_t jj = 0; jj < len; ++jj) {
        const int64_t i = (b * T + t0 + jj) * D + d, j = (b * T + t0 + jj) * N;
        const float dl = delta[i], u = dl * x[i];
#pragma unroll
        for (int n = 0; n < kMaxN; ++n)
          if (n < N) {
            const float e = expf(dl * a[n]);
            h[n] = (kSigned ? 2.0f * e - 1.0f : e) * h[n] + u * Bm[j + n];
            ws[((jj + 1) * N + n) * BD + bd] = h[n];
          }
      }
    }
    for (int64_t jj = len - 1; jj >= 0; --jj) {
      const int64_t t = t0 + jj, j = (b * T + t) * N;
      const int64_t i = (b * T + t) * D + (active ? d : 0);
      const float dl = active ? delta[i] : 0.0f, xv = active ? x[i] : 0.0f;
      const float dyv = (active && dy) ? dy[i] : 0.0f, u = dl * xv;
      float sum_gb = 0.0f, sum_za = 0.0f;
#pragma unroll
      for (int n = 0; n < kMaxN; ++n) {
        if (n < N) {  // uniform across the warp, so the shuffles stay converged
          const float hp = active ? ws[(jj * N + n) * BD + bd] : 0.0f;
          const float hc = active ? ws[((jj + 1) * N + n) * BD + bd] : 0.0f;
          const float gn = g[n] + dyv * Cm[j + n];
          const float e = expf(dl * a[n]);
          const float dz = gn * hp * (kSigned ? 2.0f * e : e);
          sum_za += dz * a[n];
          dA_acc[n] += dz * dl;
          sum_gb += gn * Bm[j + n];
          g[n] = gn * (kSigned ? 2.0f * e - 1.0f : e);
          const float db = warp_sum(gn * u), dc = warp_sum(dyv * hc);
          if (lane == 0) {
            atomicAdd(dBm + j + n, db);
            atomicAdd(dCm + j + n, dc);
          }
        }
      }
      if (active) {
        dx[i] = dyv * skip + sum_gb * dl;
        ddelta[i] = sum_za + sum_gb * xv;
        dD_acc += dyv * xv;
      }
    }
  }
  if (!active) return;
#pragma unroll
  for (int n = 0; n < kMaxN; ++n)
    if (n < N) {
      dh0[bd * N + n] = g[n];
      atomicAdd(dA + d * N + n, dA_acc[n]);
    }
  atomicAdd(dDskip + d, dD_acc);
}

// ---- Complex mode: λ = exp(Δ·A_re)·(cos(Δ·A_im) + i·sin(Δ·A_im)) ----

// One step's λ of one state: the forward and the backward's recomputation both use this, so
// they produce the same states bit for bit.
__device__ inline void complex_lambda(float dl, float a_re, float a_im, float* l_re,
                                      float* l_im) {
  const float modulus = expf(dl * a_re);
  float sn, cs;
  sincosf(dl * a_im, &sn, &cs);
  *l_re = modulus * cs;
  *l_im = modulus * sn;
}

// x, delta (B,T,D); A (D,N,2); Bm, Cm (B,T,N,2); Dskip (D); h0, hT (B,D,N,2);
// ckpt (B,nchk,D,N,2); complex numbers as (re, im) pairs.
//   h_t = λ_t ⊙ h_{t−1} + Δ_t·x_t·Bm_t,  y_t = Re(Σ_n Cm_t[n]·h_t[·,n]) + Dskip·x_t.
// Launch: forward_grid(s) blocks of kForwardThreads threads.
template <int kMaxN>
__global__ void forward_kernel_complex(ScanDims s, const float* __restrict__ x,
                                       const float* __restrict__ delta,
                                       const float* __restrict__ A, const float* __restrict__ Bm,
                                       const float* __restrict__ Cm,
                                       const float* __restrict__ Dskip,
                                       const float* __restrict__ h0, float* __restrict__ y,
                                       float* __restrict__ hT, float* __restrict__ ckpt) {
  const int64_t d = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, b = blockIdx.y;
  if (d >= s.D) return;
  const int64_t T = s.T, D = s.D, N = s.N, N2 = 2 * s.N,
                nchk = (T + kScanChunk - 1) / kScanChunk;  // host-only helper unusable here
  float hr[kMaxN], hi[kMaxN], ar[kMaxN], ai[kMaxN];
#pragma unroll
  for (int n = 0; n < kMaxN; ++n) {
    if (n < N) {
      hr[n] = h0 ? h0[(b * D + d) * N2 + 2 * n] : 0.0f;
      hi[n] = h0 ? h0[(b * D + d) * N2 + 2 * n + 1] : 0.0f;
      ar[n] = A[d * N2 + 2 * n];
      ai[n] = A[d * N2 + 2 * n + 1];
    }
  }
  const float skip = Dskip[d];
  for (int64_t t = 0; t < T; ++t) {
    if (ckpt && t % kScanChunk == 0) {
      float* cp = ckpt + ((b * nchk + t / kScanChunk) * D + d) * N2;
#pragma unroll
      for (int n = 0; n < kMaxN; ++n)
        if (n < N) {
          cp[2 * n] = hr[n];
          cp[2 * n + 1] = hi[n];
        }
    }
    const int64_t i = (b * T + t) * D + d, j = (b * T + t) * N2;
    const float dl = delta[i], xv = x[i], u = dl * xv;
    float acc = 0.0f;
#pragma unroll
    for (int n = 0; n < kMaxN; ++n) {
      if (n < N) {
        float lr, li;
        complex_lambda(dl, ar[n], ai[n], &lr, &li);
        const float nr = lr * hr[n] - li * hi[n] + u * Bm[j + 2 * n];
        const float ni = lr * hi[n] + li * hr[n] + u * Bm[j + 2 * n + 1];
        hr[n] = nr;
        hi[n] = ni;
        acc += Cm[j + 2 * n] * nr - Cm[j + 2 * n + 1] * ni;
      }
    }
    y[i] = acc + skip * xv;
  }
#pragma unroll
  for (int n = 0; n < kMaxN; ++n)
    if (n < N) {
      hT[(b * D + d) * N2 + 2 * n] = hr[n];
      hT[(b * D + d) * N2 + 2 * n + 1] = hi[n];
    }
}

// Gradients of <dy, y> + <dhT, h_T> from the forward's checkpoints, complex numbers as
// (∂L/∂re, ∂L/∂im) pairs; with G = gn (of h_t): G(C) = dy·conj(h_t), G(h_{t−1}) =
// conj(λ)·gn, G(λ) = conj(h_{t−1})·gn, G(Δ·A) = conj(λ)·G(λ), ∂L/∂u = Re(conj(B)·gn),
// G(B) = u·gn. Geometry as backward_kernel; ws: (kScanChunk+1, 2N, B·D) with the re parts
// at n and the im parts at N + n.
// Launch: backward_grid(s) blocks of kWarp threads.
template <int kMaxN>
__global__ void backward_kernel_complex(
    ScanDims s, const float* __restrict__ x, const float* __restrict__ delta,
    const float* __restrict__ A, const float* __restrict__ Bm, const float* __restrict__ Cm,
    const float* __restrict__ Dskip, const float* __restrict__ ckpt,
    const float* __restrict__ dy, const float* __restrict__ dhT, float* __restrict__ dx,
    float* __restrict__ ddelta, float* __restrict__ dA, float* __restrict__ dBm,
    float* __restrict__ dCm, float* __restrict__ dDskip, float* __restrict__ dh0,
    float* __restrict__ ws) {
  const int64_t d = int64_t(blockIdx.x) * kWarp + threadIdx.x, b = blockIdx.y;
  const bool active = d < s.D;
  const int64_t T = s.T, D = s.D, N = s.N, N2 = 2 * s.N,
                nchk = (T + kScanChunk - 1) / kScanChunk;  // host-only helper unusable here
  const int64_t BD = s.B * D, bd = b * D + d;
  const int lane = threadIdx.x;
  float gr[kMaxN], gi[kMaxN], ar[kMaxN], ai[kMaxN], dAr[kMaxN], dAi[kMaxN];
#pragma unroll
  for (int n = 0; n < kMaxN; ++n) {
    gr[n] = (active && n < N && dhT) ? dhT[bd * N2 + 2 * n] : 0.0f;
    gi[n] = (active && n < N && dhT) ? dhT[bd * N2 + 2 * n + 1] : 0.0f;
    ar[n] = (active && n < N) ? A[d * N2 + 2 * n] : 0.0f;
    ai[n] = (active && n < N) ? A[d * N2 + 2 * n + 1] : 0.0f;
    dAr[n] = 0.0f;
    dAi[n] = 0.0f;
  }
  const float skip = active ? Dskip[d] : 0.0f;
  float dD_acc = 0.0f;
  for (int64_t c = nchk - 1; c >= 0; --c) {
    const int64_t t0 = c * kScanChunk;
    const int64_t len = T - t0 < kScanChunk ? T - t0 : kScanChunk;
    if (active) {  // ws[j] = h_{t0+j-1}: recompute the chunk from its checkpoint
      const float* cp = ckpt + ((b * nchk + c) * D + d) * N2;
      float hr[kMaxN], hi[kMaxN];
#pragma unroll
      for (int n = 0; n < kMaxN; ++n)
        if (n < N) {
          hr[n] = cp[2 * n];
          hi[n] = cp[2 * n + 1];
          ws[(0 * N2 + n) * BD + bd] = hr[n];
          ws[(0 * N2 + N + n) * BD + bd] = hi[n];
        }
      for (int64_t jj = 0; jj < len; ++jj) {
        const int64_t i = (b * T + t0 + jj) * D + d, j = (b * T + t0 + jj) * N2;
        const float dl = delta[i], u = dl * x[i];
#pragma unroll
        for (int n = 0; n < kMaxN; ++n)
          if (n < N) {
            float lr, li;
            complex_lambda(dl, ar[n], ai[n], &lr, &li);
            const float nr = lr * hr[n] - li * hi[n] + u * Bm[j + 2 * n];
            const float ni = lr * hi[n] + li * hr[n] + u * Bm[j + 2 * n + 1];
            hr[n] = nr;
            hi[n] = ni;
            ws[((jj + 1) * N2 + n) * BD + bd] = nr;
            ws[((jj + 1) * N2 + N + n) * BD + bd] = ni;
          }
      }
    }
    for (int64_t jj = len - 1; jj >= 0; --jj) {
      const int64_t t = t0 + jj, j = (b * T + t) * N2;
      const int64_t i = (b * T + t) * D + (active ? d : 0);
      const float dl = active ? delta[i] : 0.0f, xv = active ? x[i] : 0.0f;
      const float dyv = (active && dy) ? dy[i] : 0.0f, u = dl * xv;
      float sum_gb = 0.0f, sum_za = 0.0f;
#pragma unroll
      for (int n = 0; n < kMaxN; ++n) {
        if (n < N) {  // uniform across the warp, so the shuffles stay converged
          const float pr = active ? ws[(jj * N2 + n) * BD + bd] : 0.0f;
          const float pi = active ? ws[(jj * N2 + N + n) * BD + bd] : 0.0f;
          const float cr = active ? ws[((jj + 1) * N2 + n) * BD + bd] : 0.0f;
          const float ci = active ? ws[((jj + 1) * N2 + N + n) * BD + bd] : 0.0f;
          const float gnr = gr[n] + dyv * Cm[j + 2 * n];  // G(h_t) with y_t's share
          const float gni = gi[n] - dyv * Cm[j + 2 * n + 1];
          float lr, li;
          complex_lambda(dl, ar[n], ai[n], &lr, &li);
          const float glr = gnr * pr + gni * pi, gli = gni * pr - gnr * pi;  // G(λ)
          const float gzr = glr * lr + gli * li, gzi = gli * lr - glr * li;  // G(Δ·A)
          sum_za += gzr * ar[n] + gzi * ai[n];
          dAr[n] += gzr * dl;
          dAi[n] += gzi * dl;
          sum_gb += gnr * Bm[j + 2 * n] + gni * Bm[j + 2 * n + 1];
          gr[n] = lr * gnr + li * gni;  // G(h_{t−1})
          gi[n] = lr * gni - li * gnr;
          const float dbr = warp_sum(gnr * u), dbi = warp_sum(gni * u);
          const float dcr = warp_sum(dyv * cr), dci = warp_sum(-dyv * ci);
          if (lane == 0) {
            atomicAdd(dBm + j + 2 * n, dbr);
            atomicAdd(dBm + j + 2 * n + 1, dbi);
            atomicAdd(dCm + j + 2 * n, dcr);
            atomicAdd(dCm + j + 2 * n + 1, dci);
          }
        }
      }
      if (active) {
        dx[i] = dyv * skip + sum_gb * dl;
        ddelta[i] = sum_za + sum_gb * xv;
        dD_acc += dyv * xv;
      }
    }
  }
  if (!active) return;
#pragma unroll
  for (int n = 0; n < kMaxN; ++n)
    if (n < N) {
      dh0[bd * N2 + 2 * n] = gr[n];
      dh0[bd * N2 + 2 * n + 1] = gi[n];
      atomicAdd(dA + d * N2 + 2 * n, dAr[n]);
      atomicAdd(dA + d * N2 + 2 * n + 1, dAi[n]);
    }
  atomicAdd(dDskip + d, dD_acc);
}

}  // namespace goose::kernels::scan_cuda_detail
