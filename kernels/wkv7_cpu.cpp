// The optimised CPU WKV7 kernel (see wkv7_cpu.h). Each thread owns whole heads, so results do
// not depend on the thread count. Per head the N×N state (row = value index) lives in a local
// buffer; every step touches it row by row with contiguous, vectorised inner loops.
#include "kernels/wkv7_cpu.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <ATen/Parallel.h>

namespace goose::kernels {

namespace {

// One step on one head, row by row: sa = S a; S = S·diag(w) + sa bᵀ + v kᵀ; optionally
// y = S r and sa_out = sa (the backward reuses sa instead of recomputing it).
// kN > 0 fixes N at compile time (fully unrolled rows for the common head sizes); 0 = runtime.
template <int64_t kN>
inline void step_forward(int64_t n, const float* __restrict w, const float* __restrict k,
                         const float* __restrict v, const float* __restrict a,
                         const float* __restrict b, const float* __restrict r,
                         const float* __restrict prev, float* __restrict cur,
                         float* __restrict y, float* __restrict sa_out) {
  const int64_t N = kN > 0 ? kN : n;
  for (int64_t i = 0; i < N; ++i) {
    const float* __restrict p = prev + i * N;
    float* __restrict c = cur + i * N;
    float sa = 0.f;
#pragma omp simd reduction(+ : sa)
    for (int64_t j = 0; j < N; ++j) sa += p[j] * a[j];
    const float vi = v[i];
    if (y) {
      float acc = 0.f;
#pragma omp simd reduction(+ : acc)
      for (int64_t j = 0; j < N; ++j) {
        const float s = p[j] * w[j] + sa * b[j] + vi * k[j];
        c[j] = s;
        acc += s * r[j];
      }
      y[i] = acc;
    } else {
#pragma omp simd
      for (int64_t j = 0; j < N; ++j) c[j] = p[j] * w[j] + sa * b[j] + vi * k[j];
    }
    if (sa_out) sa_out[i] = sa;
  }
}

template <int64_t kN>
void forward_impl(const Wkv7Dims& sz, const float* r, const float* w, const float* k,
                  const float* v, const float* a, const float* b, const float* s0, float* y,
                  float* s_out, float* ckpt) {
  const int64_t T = sz.T, H = sz.H, N = kN > 0 ? kN : sz.N, NN = N * N;
  const int64_t n_ckpt = wkv7_cpu_checkpoints(T);
  at::parallel_for(0, sz.B * sz.H, 1, [&](int64_t begin, int64_t end) {
    // Two state buffers, swapped each step, so step_forward reads and writes different memory.
    std::vector<float> buf(2 * NN);
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t bi = bh / H, h = bh % H;
      float* cur = buf.data();
      float* next = buf.data() + NN;
      if (s0)
        std::memcpy(cur, s0 + bh * NN, NN * sizeof(float));
      else
        std::fill(cur, cur + NN, 0.f);
      for (int64_t t = 0; t < T; ++t) {
        if (ckpt && t % kWkv7CpuChunk == 0)
          std::memcpy(ckpt + (bh * n_ckpt + t / kWkv7CpuChunk) * NN, cur, NN * sizeof(float));
        const int64_t o = ((bi * T + t) * H + h) * N;
        step_forward<kN>(N, w + o, k + o, v + o, a + o, b + o, r + o, cur, next, y + o, nullptr);
        std::swap(cur, next);
      }
      std::memcpy(s_out + bh * NN, cur, NN * sizeof(float));
    }
  });
}

template <int64_t kN>
void backward_impl(const Wkv7Dims& sz, const float* r, const float* w, const float* k,
                   const float* v, const float* a, const float* b, const float* ckpt,
                   const float* dy, const float* ds_out, float* dr, float* dw, float* dk,
                   float* dv, float* da, float* db, float* ds0) {
  const int64_t T = sz.T, H = sz.H, N = kN > 0 ? kN : sz.N, NN = N * N;
  const int64_t n_ckpt = wkv7_cpu_checkpoints(T);
  const int64_t C = kWkv7CpuChunk;
  at::parallel_for(0, sz.B * sz.H, 1, [&](int64_t begin, int64_t end) {
    // Per thread: the chunk's states S_{t0}..S_{t0+C}, its sa = S a vectors, and dL/dS.
    std::vector<float> states((C + 1) * NN), sa_buf(C * N), dS_buf(NN), zero(N, 0.f);
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t bi = bh / H, h = bh % H;
      float* __restrict dS = dS_buf.data();
      if (ds_out)
        std::memcpy(dS, ds_out + bh * NN, NN * sizeof(float));
      else
        std::fill(dS, dS + NN, 0.f);
      for (int64_t c = n_ckpt - 1; c >= 0; --c) {
        const int64_t t0 = c * C, len = std::min(C, T - t0);
        std::memcpy(states.data(), ckpt + (bh * n_ckpt + c) * NN, NN * sizeof(float));
        for (int64_t tt = 0; tt < len; ++tt) {
          const int64_t o = ((bi * T + t0 + tt) * H + h) * N;
          step_forward<kN>(N, w + o, k + o, v + o, a + o, b + o, nullptr, states.data() + tt * NN,
                       states.data() + (tt + 1) * NN, nullptr, sa_buf.data() + tt * N);
        }
        for (int64_t tt = len - 1; tt >= 0; --tt) {
          const int64_t o = ((bi * T + t0 + tt) * H + h) * N;
          const float* __restrict prev = states.data() + tt * NN;
          const float* __restrict cur = states.data() + (tt + 1) * NN;
          const float* __restrict sa = sa_buf.data() + tt * N;
          const float* __restrict dyt = dy ? dy + o : zero.data();
          const float *__restrict rt = r + o, *__restrict wt = w + o, *__restrict kt = k + o,
                      *__restrict vt = v + o, *__restrict at = a + o, *__restrict bt = b + o;
          float *__restrict drt = dr + o, *__restrict dwt = dw + o, *__restrict dkt = dk + o,
                *__restrict dvt = dv + o, *__restrict dat = da + o, *__restrict dbt = db + o;
          std::fill(drt, drt + N, 0.f);
          std::fill(dwt, dwt + N, 0.f);
          std::fill(dkt, dkt + N, 0.f);
          std::fill(dat, dat + N, 0.f);
          std::fill(dbt, dbt + N, 0.f);
          // Rows two at a time, so each column accumulator (dr, dk, dw, da, db) is loaded and
          // stored once per pair of rows; the odd row, if any, goes alone.
          int64_t i = 0;
          for (; i + 1 < N; i += 2) {
            float* __restrict g0 = dS + i * N;
            float* __restrict g1 = g0 + N;
            const float* __restrict p0 = prev + i * N;
            const float* __restrict p1 = p0 + N;
            const float* __restrict c0 = cur + i * N;
            const float* __restrict c1 = c0 + N;
            const float dy0 = dyt[i], dy1 = dyt[i + 1];
            // y_t = S_t r_t: dS += dy rᵀ, dr = S_tᵀ dy; then dv = dS k, u = dS b.
            float v0 = 0.f, u0 = 0.f, v1 = 0.f, u1 = 0.f;
#pragma omp simd reduction(+ : v0, u0, v1, u1)
            for (int64_t j = 0; j < N; ++j) {
              const float e0 = g0[j] + dy0 * rt[j];
              const float e1 = g1[j] + dy1 * rt[j];
              g0[j] = e0;
              g1[j] = e1;
              drt[j] += dy0 * c0[j] + dy1 * c1[j];
              v0 += e0 * kt[j];
              u0 += e0 * bt[j];
              v1 += e1 * kt[j];
              u1 += e1 * bt[j];
            }
            dvt[i] = v0;
            dvt[i + 1] = v1;
            // S_t = S_{t-1} diag(w) + (S_{t-1} a) bᵀ + v kᵀ, then dS <- dS diag(w) + u aᵀ.
            const float vi0 = vt[i], vi1 = vt[i + 1], sa0 = sa[i], sa1 = sa[i + 1];
#pragma omp simd
            for (int64_t j = 0; j < N; ++j) {
              const float e0 = g0[j], e1 = g1[j];
              dkt[j] += vi0 * e0 + vi1 * e1;
              dwt[j] += p0[j] * e0 + p1[j] * e1;
              dat[j] += u0 * p0[j] + u1 * p1[j];
              dbt[j] += sa0 * e0 + sa1 * e1;
              g0[j] = e0 * wt[j] + u0 * at[j];
              g1[j] = e1 * wt[j] + u1 * at[j];
            }
          }
          for (; i < N; ++i) {
            float* __restrict g = dS + i * N;
            const float* __restrict p = prev + i * N;
            const float* __restrict c = cur + i * N;
            const float dyi = dyt[i];
            float acc_v = 0.f, u = 0.f;
#pragma omp simd reduction(+ : acc_v, u)
            for (int64_t j = 0; j < N; ++j) {
              const float gj = g[j] + dyi * rt[j];
              g[j] = gj;
              drt[j] += dyi * c[j];
              acc_v += gj * kt[j];
              u += gj * bt[j];
            }
            dvt[i] = acc_v;
            const float vi = vt[i], sai = sa[i];
#pragma omp simd
            for (int64_t j = 0; j < N; ++j) {
              const float gj = g[j];
              dkt[j] += vi * gj;
              dwt[j] += p[j] * gj;
              dat[j] += u * p[j];
              dbt[j] += sai * gj;
              g[j] = gj * wt[j] + u * at[j];
            }
          }
        }
      }
      std::memcpy(ds0 + bh * NN, dS, NN * sizeof(float));
    }
  });
}

}  // namespace

int64_t wkv7_cpu_checkpoints(int64_t T) { return (T + kWkv7CpuChunk - 1) / kWkv7CpuChunk; }

void wkv7_cpu_forward(const Wkv7Dims& sz, const Wkv7ForwardArgs<float>& p) {
  switch (sz.N) {
#define GOOSE_WKV7_FWD(n) \
  forward_impl<n>(sz, p.r, p.w, p.k, p.v, p.a, p.b, p.s0, p.y, p.s_out, p.ckpt)
    case 16: return GOOSE_WKV7_FWD(16);
    case 32: return GOOSE_WKV7_FWD(32);
    case 64: return GOOSE_WKV7_FWD(64);
    default: return GOOSE_WKV7_FWD(0);
#undef GOOSE_WKV7_FWD
  }
}

void wkv7_cpu_backward(const Wkv7Dims& sz, const Wkv7BackwardArgs<float>& p) {
  switch (sz.N) {
#define GOOSE_WKV7_BWD(n)                                                                    \
  backward_impl<n>(sz, p.r, p.w, p.k, p.v, p.a, p.b, p.ckpt, p.dy, p.ds_out, p.dr, p.dw, p.dk, \
                   p.dv, p.da, p.db, p.ds0)
    case 16: return GOOSE_WKV7_BWD(16);
    case 32: return GOOSE_WKV7_BWD(32);
    case 64: return GOOSE_WKV7_BWD(64);
    default: return GOOSE_WKV7_BWD(0);
#undef GOOSE_WKV7_BWD
  }
}

}  // namespace goose::kernels
