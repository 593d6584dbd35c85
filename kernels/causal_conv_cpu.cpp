// The causal depthwise convolution + SiLU of the diagonal SSM on the CPU (see causal_conv_cpu.h).
// Threads own channel ranges; inside a range the innermost loops run over contiguous channels,
// so they vectorise; the K taps and the time loop stay scalar around them.
#include "kernels/causal_conv_cpu.h"

#include <algorithm>
#include <vector>

#include <ATen/Parallel.h>

#include "kernels/vector_math.h"

namespace goose::kernels {

namespace {

// Channels per task: at least ~2^15 positions·channels, so small inputs (step mode) stay on one
// thread.
int64_t channel_grain(const CausalConvDims& d) {
  return std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, d.B * d.T));
}

// ext[b, τ, d] for τ in [0, T+K−1): the window for τ < K−1, else u's step τ−(K−1).
inline float ext_at(const CausalConvDims& d, const float* u, const float* window, int64_t b,
                    int64_t tau, int64_t ch) {
  const int64_t W = d.K - 1;
  if (tau >= W) return u[(b * d.T + tau - W) * d.u_row_stride + ch];
  return window ? window[(b * d.D + ch) * W + tau] : 0.f;
}

}  // namespace

void causal_conv_silu_forward(const CausalConvDims& d, const float* u, const float* window,
                              const float* weight, const float* bias, float* c, float* x) {
  const int64_t T = d.T, D = d.D, K = d.K, W = K - 1, S = d.u_row_stride;
  at::parallel_for(0, D, channel_grain(d), [&](int64_t d0, int64_t d1) {
    const int64_t n = d1 - d0;
    std::vector<float> taps(K * n);  // taps[j·n + i] = weight[d0+i, j]
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < K; ++j) taps[j * n + i] = weight[(d0 + i) * K + j];
    for (int64_t b = 0; b < d.B; ++b) {
      for (int64_t t = 0; t < T; ++t) {
        float* __restrict ct = c + (b * T + t) * D + d0;
        float* __restrict xt = x + (b * T + t) * D + d0;
        const float* __restrict bs = bias + d0;
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) ct[i] = bs[i];
        for (int64_t j = 0; j < K; ++j) {
          const int64_t tau = t + j;  // ext index
          const float* __restrict tj = taps.data() + j * n;
          if (tau >= W) {
            const float* __restrict ut = u + (b * T + tau - W) * S + d0;
#pragma omp simd
            for (int64_t i = 0; i < n; ++i) ct[i] += tj[i] * ut[i];
          } else if (window) {
            for (int64_t i = 0; i < n; ++i) ct[i] += tj[i] * ext_at(d, u, window, b, tau, d0 + i);
          }
        }
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) xt[i] = ct[i] * fast_sigmoid(ct[i]);
      }
    }
  });
}

void causal_conv_silu_backward(const CausalConvDims& d, const float* u, const float* window,
                               const float* weight, const float* c, const float* dx, float* du,
                               float* dwindow, float* dweight, float* dbias) {
  const int64_t T = d.T, D = d.D, K = d.K, W = K - 1;
  at::parallel_for(0, D, channel_grain(d), [&](int64_t d0, int64_t d1) {
    const int64_t n = d1 - d0;
    std::vector<float> taps(K * n), dtaps(K * n, 0.f), db(n, 0.f), dc(T * n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < K; ++j) taps[j * n + i] = weight[(d0 + i) * K + j];
    for (int64_t b = 0; b < d.B; ++b) {
      // dc = dx · silu'(c) for this sequence's channels.
      float* __restrict dcp = dc.data();
      for (int64_t t = 0; t < T; ++t) {
        const float* __restrict ct = c + (b * T + t) * D + d0;
        const float* __restrict gt = dx + (b * T + t) * D + d0;
        float* __restrict out = dcp + t * n;
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) {
          const float s = fast_sigmoid(ct[i]);
          out[i] = gt[i] * s * (1.0f + ct[i] * (1.0f - s));
        }
      }
      // Parameter gradients: dweight[j] += dc[t]·ext[t+j], dbias += dc[t].
      for (int64_t t = 0; t < T; ++t) {
        const float* __restrict g = dcp + t * n;
        float* __restrict dbs = db.data();
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) dbs[i] += g[i];
        for (int64_t j = 0; j < K; ++j) {
          const int64_t tau = t + j;
          float* __restrict dt = dtaps.data() + j * n;
          if (tau >= W) {
            const float* __restrict ut = u + (b * T + tau - W) * d.u_row_stride + d0;
#pragma omp simd
            for (int64_t i = 0; i < n; ++i) dt[i] += g[i] * ut[i];
          } else if (window) {
            for (int64_t i = 0; i < n; ++i) dt[i] += g[i] * ext_at(d, u, window, b, tau, d0 + i);
          }
        }
      }
      // Input gradients: dext[τ] = Σ_j weight[j]·dc[τ−j] (τ−j in [0,T)); du[t] = dext[t+W].
      for (int64_t tau = 0; tau < T + W; ++tau) {
        float* __restrict out = tau >= W ? du + (b * T + tau - W) * D + d0 : nullptr;
        float acc_buf[64];
        for (int64_t i0 = 0; i0 < n; i0 += 64) {
          const int64_t m = std::min<int64_t>(64, n - i0);
          float* __restrict acc = acc_buf;
          for (int64_t i = 0; i < m; ++i) acc[i] = 0.f;
          for (int64_t j = 0; j < K; ++j) {
            const int64_t t = tau - j;  // dc index
            if (t < 0 || t >= T) continue;
            const float* __restrict g = dcp + t * n + i0;
            const float* __restrict tj = taps.data() + j * n + i0;
#pragma omp simd
            for (int64_t i = 0; i < m; ++i) acc[i] += tj[i] * g[i];
          }
          if (out) {
            for (int64_t i = 0; i < m; ++i) out[i0 + i] = acc[i];
          } else if (dwindow) {
            for (int64_t i = 0; i < m; ++i) dwindow[(b * D + d0 + i0 + i) * W + tau] = acc[i];
          }
        }
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      dbias[d0 + i] = db[i];
      for (int64_t j = 0; j < K; ++j) dweight[(d0 + i) * K + j] = dtaps[j * n + i];
    }
  });
}

}  // namespace goose::kernels
