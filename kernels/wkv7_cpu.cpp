// The optimised CPU WKV7 kernel (see wkv7_cpu.h). Each thread owns whole heads, so results do
// not depend on the thread count. The forward keeps the state column-major (St[j·N + i] =
// S[i][j]), so that its products S a and S r accumulate whole columns with no horizontal
// reduction (2.2× faster than row by row at N = 16 and 64, measured), and at N = 16 with
// AVX-512 holds it in registers (step_registers); checkpoints, s0 and s_T stay row-major. The
// backward recomputes each chunk's states from the checkpoints the same way (sa from the
// columns) and stores them row-major, bit for bit the forward's states; its own step carries
// dS in both layouts at N = 16 (backward_step_in/rows/cols) and works on rows at other sizes
// (at N = 32 and 64 the two-layout step measured 5-20% slower).
#include "kernels/wkv7_cpu.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <ATen/Parallel.h>

namespace goose::kernels {

namespace {

// Heads per thread at least: about 2^16 state updates (T·N² per head) per task, so that short
// inputs (step mode, T = 1; tests) do not pay for a parallel region.
inline int64_t head_grain(const Wkv7Dims& sz) {
  return std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, sz.T * sz.N * sz.N));
}

// kN > 0 fixes N at compile time (unrolled, vectorised loops for the common head sizes);
// 0 = runtime N.
template <int64_t kN>
inline int64_t size_of(int64_t n) {
  return kN > 0 ? kN : n;
}

// dst = srcᵀ for N×N row-major matrices.
template <int64_t kN>
inline void transpose(int64_t n, const float* __restrict src, float* __restrict dst) {
  const int64_t N = size_of<kN>(n);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < N; ++j) dst[j * N + i] = src[i * N + j];
}

// sa = S a from the column-major state: sa = Σ_j a_j · St[j].
template <int64_t kN>
inline void state_times(int64_t n, const float* __restrict St, const float* __restrict a,
                        float* __restrict sa) {
  const int64_t N = size_of<kN>(n);
  for (int64_t i = 0; i < N; ++i) sa[i] = 0.f;
  for (int64_t j = 0; j < N; ++j) {
    const float aj = a[j];
    const float* __restrict col = St + j * N;
#pragma omp simd
    for (int64_t i = 0; i < N; ++i) sa[i] += aj * col[i];
  }
}

// One step on the column-major state, in place: S ← S·diag(w) + sa bᵀ + v kᵀ (sa = S a, given),
// and, when y is not null, y = S r with the new S.
template <int64_t kN>
inline void step_columns(int64_t n, const float* __restrict w, const float* __restrict k,
                         const float* __restrict v, const float* __restrict b,
                         const float* __restrict r, const float* __restrict sa,
                         float* __restrict St, float* __restrict y) {
  const int64_t N = size_of<kN>(n);
  if (y) {
    for (int64_t i = 0; i < N; ++i) y[i] = 0.f;
    for (int64_t j = 0; j < N; ++j) {
      const float wj = w[j], bj = b[j], kj = k[j], rj = r[j];
      float* __restrict col = St + j * N;
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) {
        const float s = col[i] * wj + sa[i] * bj + v[i] * kj;
        col[i] = s;
        y[i] += rj * s;
      }
    }
  } else {
    for (int64_t j = 0; j < N; ++j) {
      const float wj = w[j], bj = b[j], kj = k[j];
      float* __restrict col = St + j * N;
#pragma omp simd
      for (int64_t i = 0; i < N; ++i) col[i] = col[i] * wj + sa[i] * bj + v[i] * kj;
    }
  }
}

// The same step on the row-major state, from the same sa: cur = prev·diag(w) + sa bᵀ + v kᵀ,
// term for term the expression of step_columns, so both layouts hold the same numbers.
template <int64_t kN>
inline void step_rows(int64_t n, const float* __restrict w, const float* __restrict k,
                      const float* __restrict v, const float* __restrict b,
                      const float* __restrict sa, const float* __restrict prev,
                      float* __restrict cur) {
  const int64_t N = size_of<kN>(n);
  for (int64_t i = 0; i < N; ++i) {
    const float* __restrict p = prev + i * N;
    float* __restrict c = cur + i * N;
    const float sai = sa[i], vi = v[i];
#pragma omp simd
    for (int64_t j = 0; j < N; ++j) c[j] = p[j] * w[j] + sai * b[j] + vi * k[j];
  }
}

// One machine register of floats (GCC/Clang vector extension): 16 lanes with AVX-512, 8 with
// AVX, 4 otherwise. A wider type than the machine's registers is lowered through the stack:
// Vec16 on an AVX2 machine made the backward 5x slower than this (measured, 2026-12-07).
#if defined(__AVX512F__)
constexpr int64_t kLanes = 16;
#elif defined(__AVX__)
constexpr int64_t kLanes = 8;
#else
constexpr int64_t kLanes = 4;
#endif
typedef float VecF __attribute__((vector_size(kLanes * sizeof(float))));
inline VecF loadv(const float* p) {
  VecF x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
inline void storev(float* p, VecF x) { std::memcpy(p, &x, sizeof x); }

// Whether a head's state stays in vector registers, one column per register, through the
// forward and the backward's recomputation (step_registers): N = 16 with AVX-512 (16 of its 32
// registers). With AVX2 a column takes two of its 16 registers and the state spilled (measured
// 15% slower there than state_times + step_columns), so AVX2 keeps those.
template <int64_t kN>
constexpr bool state_in_registers() {
  return kN == kLanes && kLanes == 16;
}

// One step on the column-major state held in registers (S[j] = column j), shared by the forward
// and the backward's recomputation so that both produce the same bits. sa = S a is summed in four
// partial sums (chains of 4 dependent FMAs instead of 16; the loop of state_times is one chain)
// and written to sa_out; then S ← S·diag(w) + sa bᵀ + v kᵀ, the expression of step_rows; with
// y, y = S r, also in four partial sums. At the small model's shape (B 64, T 32, H 4, N 16) the
// forward took 0.27 ms of a training step against 0.63-0.78 ms with state_times + step_columns
// (bench_step's per-operation profile, one thread, 2026-12-07): its 80 vector operations per
// step take about one cycle each, the rate of 512-bit FMAs on the AMD EPYC measured.
inline void step_registers(VecF* __restrict S, const float* __restrict w,
                           const float* __restrict k, const float* __restrict v,
                           const float* __restrict a, const float* __restrict b,
                           const float* __restrict r, float* __restrict sa_out,
                           float* __restrict y) {
  constexpr int64_t N = kLanes;
  VecF p[4] = {};
#pragma GCC unroll 16
  for (int64_t j = 0; j < N; ++j) p[j % 4] += a[j] * S[j];
  const VecF sa = (p[0] + p[1]) + (p[2] + p[3]);
  storev(sa_out, sa);
  const VecF vv = loadv(v);
  VecF acc[4] = {};
#pragma GCC unroll 16
  for (int64_t j = 0; j < N; ++j) {
    S[j] = S[j] * w[j] + sa * b[j] + vv * k[j];
    if (y) acc[j % 4] += r[j] * S[j];
  }
  if (y) storev(y, (acc[0] + acc[1]) + (acc[2] + acc[3]));
}

// The backward for N a multiple of kLanes (V = N/kLanes vectors per row; used at N = 16), with
// every accumulator in registers and dS carried in both layouts (dSr row-major, dSc
// column-major, the same numbers) so that no product needs a horizontal reduction. Step t is
//   dS += dy rᵀ;  dr = S_tᵀ dy (rows);  dv = dS k, u = dS b (columns);
//   dk = dSᵀ v, db = dSᵀ sa, dw = diag(dSᵀ S_{t-1}), da = S_{t-1}ᵀ u (rows);
//   dS ← dS diag(w) + u aᵀ (both layouts),
// and the first line of step t−1 is done in the same sweep over dS as the last of step t (its
// dr needs S_{t-1}, step t's `prev`): two sweeps of each layout per step instead of four.

// The first line of the last step: dS += dy rᵀ in both layouts, dr = S_tᵀ dy, dv = dS k, u = dS b.
template <int64_t kN>
inline void backward_step_in(const float* __restrict rt, const float* __restrict dyt,
                             const float* __restrict cur, const float* __restrict kt,
                             const float* __restrict bt, float* __restrict dSr,
                             float* __restrict dSc, float* __restrict drt, float* __restrict dvt,
                             float* __restrict u) {
  constexpr int64_t N = kN, V = kN / kLanes;
  for (int64_t q = 0; q < V; ++q) {  // one slice at a time: few accumulators live
    const VecF rv = loadv(rt + kLanes * q);
    VecF acc{};
    for (int64_t i = 0; i < N; ++i) {
      const float dyi = dyt[i];
      float* g = dSr + i * N + kLanes * q;
      storev(g, loadv(g) + dyi * rv);
      acc += dyi * loadv(cur + i * N + kLanes * q);
    }
    storev(drt + kLanes * q, acc);
  }
  for (int64_t q = 0; q < V; ++q) {
    const VecF dyv = loadv(dyt + kLanes * q);
    VecF acc{}, acc2{};
    for (int64_t j = 0; j < N; ++j) {
      float* g = dSc + j * N + kLanes * q;
      const VecF e = loadv(g) + rt[j] * dyv;
      storev(g, e);
      acc += kt[j] * e;
      acc2 += bt[j] * e;
    }
    storev(dvt + kLanes * q, acc);
    storev(u + kLanes * q, acc2);
  }
}

// Rows of step t (dk, db, dw, da; dS ← dS diag(w) + u aᵀ), then, with kPrev, step t−1's
// dS += dy' r'ᵀ and dr' = S_{t-1}ᵀ dy' (primes: step t−1's vectors).
template <int64_t kN, bool kPrev>
inline void backward_step_rows(const float* __restrict wt, const float* __restrict at,
                               const float* __restrict vt, const float* __restrict sa,
                               const float* __restrict prev, const float* __restrict u,
                               float* __restrict dSr, float* __restrict dkt,
                               float* __restrict dbt, float* __restrict dwt,
                               float* __restrict dat, const float* __restrict rp,
                               const float* __restrict dyp, float* __restrict drp) {
  constexpr int64_t N = kN, V = kN / kLanes;
  for (int64_t q = 0; q < V; ++q) {
    const VecF wv = loadv(wt + kLanes * q), av = loadv(at + kLanes * q);
    VecF rv{};
    if constexpr (kPrev) rv = loadv(rp + kLanes * q);
    VecF dkv{}, dbv{}, dwv{}, dav{}, drv{};
    for (int64_t i = 0; i < N; ++i) {
      const float vi = vt[i], sai = sa[i], ui = u[i];
      float* g = dSr + i * N + kLanes * q;
      const VecF e = loadv(g), p = loadv(prev + i * N + kLanes * q);
      dkv += vi * e;
      dbv += sai * e;
      dwv += p * e;
      dav += ui * p;
      VecF next = e * wv + ui * av;
      if constexpr (kPrev) {
        const float dyi = dyp[i];
        next = next + dyi * rv;
        drv += dyi * p;
      }
      storev(g, next);
    }
    storev(dkt + kLanes * q, dkv);
    storev(dbt + kLanes * q, dbv);
    storev(dwt + kLanes * q, dwv);
    storev(dat + kLanes * q, dav);
    if constexpr (kPrev) storev(drp + kLanes * q, drv);
  }
}

// Columns of step t (dS ← dS diag(w) + u aᵀ), then, with kPrev, step t−1's dS += dy' r'ᵀ,
// dv' = dS k' and u' = dS b' (into u_prev).
template <int64_t kN, bool kPrev>
inline void backward_step_cols(const float* __restrict wt, const float* __restrict at,
                               const float* __restrict u, float* __restrict dSc,
                               const float* __restrict rp, const float* __restrict dyp,
                               const float* __restrict kp, const float* __restrict bp,
                               float* __restrict dvp, float* __restrict u_prev) {
  constexpr int64_t N = kN, V = kN / kLanes;
  for (int64_t q = 0; q < V; ++q) {
    const VecF uv = loadv(u + kLanes * q);
    VecF dyv{};
    if constexpr (kPrev) dyv = loadv(dyp + kLanes * q);
    VecF dvv{}, upv{};
    for (int64_t j = 0; j < N; ++j) {
      float* g = dSc + j * N + kLanes * q;
      VecF e = loadv(g) * wt[j] + at[j] * uv;
      if constexpr (kPrev) {
        e = e + rp[j] * dyv;
        dvv += kp[j] * e;
        upv += bp[j] * e;
      }
      storev(g, e);
    }
    if constexpr (kPrev) {
      storev(dvp + kLanes * q, dvv);
      storev(u_prev + kLanes * q, upv);
    }
  }
}

template <int64_t kN>
void forward_impl(const Wkv7Dims& sz, const float* r, const float* w, const float* k,
                  const float* v, const float* a, const float* b, const float* s0, float* y,
                  float* s_out, float* ckpt) {
  const int64_t T = sz.T, H = sz.H, N = size_of<kN>(sz.N), NN = N * N;
  const int64_t n_ckpt = wkv7_cpu_checkpoints(T);
  at::parallel_for(0, sz.B * sz.H, head_grain(sz), [&](int64_t begin, int64_t end) {
    std::vector<float> buf(NN + N);
    float* __restrict St = buf.data();  // column-major state
    float* __restrict sa = buf.data() + NN;
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t bi = bh / H, h = bh % H;
      if (s0)
        transpose<kN>(N, s0 + bh * NN, St);
      else
        std::fill(St, St + NN, 0.f);
      if constexpr (state_in_registers<kN>()) {
        VecF S[kN];
        for (int64_t j = 0; j < N; ++j) S[j] = loadv(St + j * N);
        for (int64_t t = 0; t < T; ++t) {
          if (ckpt && t % kWkv7CpuChunk == 0) {
            for (int64_t j = 0; j < N; ++j) storev(St + j * N, S[j]);
            transpose<kN>(N, St, ckpt + (bh * n_ckpt + t / kWkv7CpuChunk) * NN);
          }
          const int64_t o = ((bi * T + t) * H + h) * N;
          step_registers(S, w + o, k + o, v + o, a + o, b + o, r + o, sa, y + o);
        }
        for (int64_t j = 0; j < N; ++j) storev(St + j * N, S[j]);
      } else {
        for (int64_t t = 0; t < T; ++t) {
          if (ckpt && t % kWkv7CpuChunk == 0)  // checkpoints are row-major, like s0
            transpose<kN>(N, St, ckpt + (bh * n_ckpt + t / kWkv7CpuChunk) * NN);
          const int64_t o = ((bi * T + t) * H + h) * N;
          state_times<kN>(N, St, a + o, sa);
          step_columns<kN>(N, w + o, k + o, v + o, b + o, r + o, sa, St, y + o);
        }
      }
      transpose<kN>(N, St, s_out + bh * NN);
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
  at::parallel_for(0, sz.B * sz.H, head_grain(sz), [&](int64_t begin, int64_t end) {
    // Per thread: the chunk's states S_{t0}..S_{t0+C}, its sa = S a vectors, and dL/dS.
    // N = 16: the register steps (backward_step_in/rows/cols) also carry dS column-major, and
    // u = dS b, double-buffered: step t reads u_t while it writes u_{t-1}.
    // It is 2× faster there than the row step below; at N = 32 and 64 it measured 5-20% slower
    // (more accumulators than registers, or slices re-streamed), so they keep the row step.
    constexpr bool kVec = kN == 16;
    std::vector<float> states((C + 1) * NN), sa_buf(C * N), dS_buf(NN), zero(N, 0.f), St(NN),
        dSc_buf(kVec ? NN : 0), u_buf(kVec ? 2 * N : 0);
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t bi = bh / H, h = bh % H;
      float* __restrict dS = dS_buf.data();
      if (ds_out)
        std::memcpy(dS, ds_out + bh * NN, NN * sizeof(float));
      else
        std::fill(dS, dS + NN, 0.f);
      if constexpr (kVec) transpose<kN>(N, dS, dSc_buf.data());
      float* u_cur = u_buf.data();
      float* u_next = u_buf.data() + N;
      for (int64_t c = n_ckpt - 1; c >= 0; --c) {
        const int64_t t0 = c * C, len = std::min(C, T - t0);
        std::memcpy(states.data(), ckpt + (bh * n_ckpt + c) * NN, NN * sizeof(float));
        transpose<kN>(N, states.data(), St.data());
        if constexpr (state_in_registers<kN>()) {
          VecF S[kN];
          for (int64_t j = 0; j < N; ++j) S[j] = loadv(St.data() + j * N);
          for (int64_t tt = 0; tt < len; ++tt) {
            const int64_t o = ((bi * T + t0 + tt) * H + h) * N;
            float* sa = sa_buf.data() + tt * N;
            step_registers(S, w + o, k + o, v + o, a + o, b + o, nullptr, sa, nullptr);
            step_rows<kN>(N, w + o, k + o, v + o, b + o, sa, states.data() + tt * NN,
                          states.data() + (tt + 1) * NN);
          }
        } else {
          for (int64_t tt = 0; tt < len; ++tt) {
            const int64_t o = ((bi * T + t0 + tt) * H + h) * N;
            float* sa = sa_buf.data() + tt * N;
            state_times<kN>(N, St.data(), a + o, sa);
            step_columns<kN>(N, w + o, k + o, v + o, b + o, nullptr, sa, St.data(), nullptr);
            step_rows<kN>(N, w + o, k + o, v + o, b + o, sa, states.data() + tt * NN,
                          states.data() + (tt + 1) * NN);
          }
        }
        if constexpr (kVec) {
          auto at_step = [&](int64_t t) { return ((bi * T + t) * H + h) * N; };
          auto dy_at = [&](int64_t o) { return dy ? dy + o : zero.data(); };
          if (c == n_ckpt - 1) {  // the last step's first line, from S_T
            const int64_t o = at_step(T - 1);
            backward_step_in<kN>(r + o, dy_at(o), states.data() + len * NN, k + o, b + o, dS,
                                 dSc_buf.data(), dr + o, dv + o, u_cur);
          }
          for (int64_t tt = len - 1; tt >= 0; --tt) {
            const int64_t t = t0 + tt, o = at_step(t);
            const float* prev = states.data() + tt * NN;
            const float* sa = sa_buf.data() + tt * N;
            if (t > 0) {
              const int64_t op = at_step(t - 1);
              backward_step_rows<kN, true>(w + o, a + o, v + o, sa, prev, u_cur, dS, dk + o,
                                           db + o, dw + o, da + o, r + op, dy_at(op), dr + op);
              backward_step_cols<kN, true>(w + o, a + o, u_cur, dSc_buf.data(), r + op,
                                           dy_at(op), k + op, b + op, dv + op, u_next);
              std::swap(u_cur, u_next);
            } else {
              backward_step_rows<kN, false>(w + o, a + o, v + o, sa, prev, u_cur, dS, dk + o,
                                            db + o, dw + o, da + o, nullptr, nullptr, nullptr);
              backward_step_cols<kN, false>(w + o, a + o, u_cur, dSc_buf.data(), nullptr,
                                            nullptr, nullptr, nullptr, nullptr, nullptr);
            }
          }
          continue;
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
  // Beside the trained models' head sizes (16, 32, 64), those of the exact constructions (2 to 12,
  // as `gooselab construct` sizes them), whose evaluations at 10^5 symbols run the forward alone:
  // tomita:3's (N = 12) evaluation is 12-16% faster than on the runtime-N loops (measured
  // 2026-12-07, 10^4 symbols × 100 strings, one thread, same results).
  switch (sz.N) {
#define GOOSE_WKV7_FWD(n) \
  forward_impl<n>(sz, p.r, p.w, p.k, p.v, p.a, p.b, p.s0, p.y, p.s_out, p.ckpt)
    case 2: return GOOSE_WKV7_FWD(2);
    case 5: return GOOSE_WKV7_FWD(5);
    case 6: return GOOSE_WKV7_FWD(6);
    case 8: return GOOSE_WKV7_FWD(8);
    case 10: return GOOSE_WKV7_FWD(10);
    case 12: return GOOSE_WKV7_FWD(12);
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
