// CUDA selective-scan kernel (fp32; see selective_scan_cuda.h). One thread per (b, d) with the
// channel's N states in registers (N rounded up to 16/32/64 at compile time). The backward
// recomputes each kScanChunk-step chunk from its checkpoint into a global workspace, then
// steps back; dBm/dCm are summed over a warp's channels by shuffles and then atomicAdd.
#include "kernels/selective_scan_cuda.h"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace goose::kernels {
namespace {

constexpr int kWarp = 32;
constexpr int kForwardThreads = 64;

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("selective_scan cuda: ") + what + ": " +
                             cudaGetErrorString(err));
}

// x, delta (B,T,D); A (D,N); Bm, Cm (B,T,N); Dskip (D); h0, hT (B,D,N); ckpt (B,nchk,D,N).
template <int kMaxN, bool kSigned>
__global__ void forward_kernel(ScanShape s, const float* __restrict__ x,
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

__device__ float warp_sum(float v) {
#pragma unroll
  for (int off = kWarp / 2; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// One warp per block, all lanes of a block in the same batch row b; lanes past D take part
// in the shuffles with zeros. ws: (kScanChunk+1, N, B·D), thread-private but coalesced.
template <int kMaxN, bool kSigned>
__global__ void backward_kernel(ScanShape s, const float* __restrict__ x,
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

template <int kMaxN>
void launch_forward(const ScanShape& s, const float* x, const float* delta, const float* A,
                    const float* Bm, const float* Cm, const float* Dskip, const float* h0,
                    float* y, float* hT, float* ckpt) {
  const dim3 grid(unsigned((s.D + kForwardThreads - 1) / kForwardThreads), unsigned(s.B));
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
  const dim3 grid(unsigned((s.D + kWarp - 1) / kWarp), unsigned(s.B));
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
  if (s.N <= 16)
    launch_forward<16>(s, x, delta, A, Bm, Cm, Dskip, h0, y, hT, ckpt);
  else if (s.N <= 32)
    launch_forward<32>(s, x, delta, A, Bm, Cm, Dskip, h0, y, hT, ckpt);
  else
    launch_forward<64>(s, x, delta, A, Bm, Cm, Dskip, h0, y, hT, ckpt);
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
  if (s.N <= 16)
    launch_backward<16>(s, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT, dx, ddelta, dA, dBm, dCm,
                        dDskip, dh0, workspace);
  else if (s.N <= 32)
    launch_backward<32>(s, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT, dx, ddelta, dA, dBm, dCm,
                        dDskip, dh0, workspace);
  else
    launch_backward<64>(s, x, delta, A, Bm, Cm, Dskip, ckpt, dy, dhT, dx, ddelta, dA, dBm, dCm,
                        dDskip, dh0, workspace);
  check(cudaGetLastError(), "backward launch");
}

}  // namespace goose::kernels
