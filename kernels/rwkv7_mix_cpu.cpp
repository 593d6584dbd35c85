// The fused CPU kernels of RWKV-7's element-wise chains (see rwkv7_mix_cpu.h). Rows are
// independent, so threads take blocks of rows; within a row the loops run over contiguous
// channels (vectorised: the transcendental functions are kernels/vector_math.h's), and the
// per-head reductions (κ̂'s norm, GroupNorm's moments, the bonus) over each head's N channels.
// The LibTorch unfused chain in core/rwkv7.cpp is the reference these are tested against.
#include "kernels/rwkv7_mix_cpu.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Parallel.h>

#include "kernels/vector_math.h"

namespace goose::kernels {

namespace {

constexpr float kDecayScale = 0.6065306597f;  // e^{-1/2}
constexpr float kMaxLogDecay = 20.0f;
constexpr float kNormEps = 1e-12f;

// Rows per thread at least: a parallel region costs microseconds, so small inputs (step mode,
// tests) run on one thread; about 16k channels of work per task.
int64_t row_grain(int64_t C) { return std::max<int64_t>(kRwkv7MixBlockRows, 16384 / std::max<int64_t>(C, 1)); }

// Runs fn(row_begin, row_end, partial) over blocks of kRwkv7MixBlockRows rows, in parallel, each
// block with its own zeroed `width` partial sums; then out[j] = Σ_blocks partial[j] in block
// order (in double), written. width 0: no reduction.
template <typename Fn>
void for_row_blocks(int64_t rows, int64_t C, int64_t width, float* const* outs, int64_t out_width,
                    Fn fn) {
  const int64_t blocks = (rows + kRwkv7MixBlockRows - 1) / kRwkv7MixBlockRows;
  std::vector<float> partial(static_cast<size_t>(blocks * width), 0.f);
  const int64_t grain = row_grain(C) / kRwkv7MixBlockRows;
  at::parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      fn(b * kRwkv7MixBlockRows, std::min(rows, (b + 1) * kRwkv7MixBlockRows),
         partial.data() + b * width);
  });
  if (width == 0) return;
  std::vector<double> sum(static_cast<size_t>(width), 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    const float* p = partial.data() + b * width;
    for (int64_t j = 0; j < width; ++j) sum[j] += p[j];
  }
  // outs[s] receives sum[s·out_width .. (s+1)·out_width); a null out is skipped.
  for (int64_t s = 0; s * out_width < width; ++s)
    if (outs[s])
      for (int64_t j = 0; j < out_width; ++j) outs[s][j] = static_cast<float>(sum[s * out_width + j]);
}

// ---- token shift and mixing --------------------------------------------------------------

void shift_mix_forward(const Rwkv7MixDims& d, const Rwkv7ShiftMixArgs& p) {
  const int64_t T = d.T, C = d.C(), M = p.M;
  at::parallel_for(0, d.rows(), row_grain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const int64_t t = i % T, b = i / T;
      const float* __restrict x = p.x + i * C;
      const float* __restrict prev = t > 0 ? x - C : (p.x_prev ? p.x_prev + b * C : nullptr);
      for (int64_t m = 0; m < M; ++m) {
        const float* __restrict mu = p.mu[m];
        float* __restrict out = p.out[m] + i * C;
        if (prev) {
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) out[c] = x[c] + (prev[c] - x[c]) * mu[c];
        } else {
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) out[c] = x[c] + (0.f - x[c]) * mu[c];
        }
      }
    }
  });
}

void shift_mix_backward(const Rwkv7MixDims& d, const Rwkv7ShiftMixBackwardArgs& p) {
  const int64_t T = d.T, C = d.C(), M = p.M;
  float* outs[kRwkv7MaxMix];
  for (int64_t m = 0; m < M; ++m) outs[m] = p.dmu[m];
  for_row_blocks(d.rows(), C, M * C, outs, C, [&](int64_t r0, int64_t r1, float* partial) {
    for (int64_t i = r0; i < r1; ++i) {
      const int64_t t = i % T, b = i / T;
      const float* __restrict x = p.x + i * C;
      const float* __restrict prev = t > 0 ? x - C : (p.x_prev ? p.x_prev + b * C : nullptr);
      float* __restrict dx = p.dx + i * C;
      const bool has_next = t + 1 < T;
      for (int64_t c = 0; c < C; ++c) dx[c] = 0.f;
      for (int64_t m = 0; m < M; ++m) {
        const float* __restrict mu = p.mu[m];
        const float* __restrict g = p.dout[m] + i * C;
        const float* __restrict gn = has_next ? g + C : g;  // unused when !has_next
        float* __restrict dmu = partial + m * C;
        if (has_next) {
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) dx[c] += g[c] * (1.f - mu[c]) + gn[c] * mu[c];
        } else {
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) dx[c] += g[c] * (1.f - mu[c]);
        }
        if (prev) {
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) dmu[c] += g[c] * (prev[c] - x[c]);
        } else {
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) dmu[c] += g[c] * (0.f - x[c]);
        }
      }
      if (t == 0 && p.dx_prev) {
        float* __restrict dxp = p.dx_prev + b * C;
        for (int64_t c = 0; c < C; ++c) dxp[c] = 0.f;
        for (int64_t m = 0; m < M; ++m) {
          const float* __restrict mu = p.mu[m];
          const float* __restrict g = p.dout[m] + i * C;
#pragma omp simd
          for (int64_t c = 0; c < C; ++c) dxp[c] += g[c] * mu[c];
        }
      }
    }
  });
}

// ---- before the recurrence ---------------------------------------------------------------

template <Rwkv7Decay kDecay>
inline float decay_of(float z) {
  if constexpr (kDecay == Rwkv7Decay::Clamped) {
    return fast_exp(-kDecayScale * fast_sigmoid(z));
  } else {
    return fast_exp(-fast_exp(std::min(z, kMaxLogDecay)));
  }
}

template <Rwkv7Rate kRate>
inline float rate_of(float sa, float w) {
  if constexpr (kRate == Rwkv7Rate::Released) return sa;
  else if constexpr (kRate == Rwkv7Rate::Relaxed) return 2.0f * sa;
  else return (1.0f + w) * sa;
}

template <Rwkv7Decay kDecay, Rwkv7Rate kRate, bool kResidual>
void pre_forward_impl(const Rwkv7MixDims& d, const Rwkv7PreArgs& p) {
  const int64_t C = d.C(), H = d.H, N = d.N;
  at::parallel_for(0, d.rows(), row_grain(C), [&](int64_t r0, int64_t r1) {
    std::vector<float> scratch(2 * C);
    float* __restrict kr = scratch.data();
    float* __restrict av = scratch.data() + C;
    for (int64_t i = r0; i < r1; ++i) {
      const int64_t o = i * C;
      const float *__restrict k = p.k + o, *__restrict v = p.v + o, *__restrict zw = p.zw + o,
                  *__restrict za = p.za + o;
      const float *__restrict zv = kResidual ? p.zv + o : nullptr,
                  *__restrict vf = kResidual ? p.v_first + o : nullptr;
      const float *__restrict w0 = p.w0, *__restrict a0 = p.a0, *__restrict v0 = p.v0,
                  *__restrict k_k = p.k_k, *__restrict k_a = p.k_a;
      float *__restrict w = p.w + o, *__restrict kt = p.kt + o, *__restrict vv = p.vv + o;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const float wc = decay_of<kDecay>(w0[c] + zw[c]);
        const float a = rate_of<kRate>(fast_sigmoid(a0[c] + za[c]), wc);
        float vc = v[c];
        if constexpr (kResidual) vc = vc + (vf[c] - vc) * fast_sigmoid(v0[c] + zv[c]);
        w[c] = wc;
        vv[c] = vc;
        kr[c] = k[c] * k_k[c];
        kt[c] = k[c] * (1.0f + (a - 1.0f) * k_a[c]);
        av[c] = a;
      }
      for (int64_t h = 0; h < H; ++h) {
        const float* __restrict krh = kr + h * N;
        float ss = 0.f;
#pragma omp simd reduction(+ : ss)
        for (int64_t n = 0; n < N; ++n) ss += krh[n] * krh[n];
        const float den = std::max(std::sqrt(ss), kNormEps);
        const float* __restrict ah = av + h * N;
        float *__restrict ain = p.a_in + o + h * N, *__restrict bin = p.b_in + o + h * N;
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          const float kk = krh[n] / den;
          ain[n] = -kk;
          bin[n] = kk * ah[n];
        }
        if (p.kk_out)
          for (int64_t n = 0; n < N; ++n) p.kk_out[o + h * N + n] = krh[n] / den;
      }
      if (p.a_out) std::copy(av, av + C, p.a_out + o);
    }
  });
}

template <Rwkv7Decay kDecay, Rwkv7Rate kRate, bool kResidual>
void pre_backward_impl(const Rwkv7MixDims& d, const Rwkv7PreBackwardArgs& g) {
  const int64_t C = d.C(), H = d.H, N = d.N;
  const Rwkv7PreArgs& p = g.in;
  // Partial sums: dw0, da0, dk_k, dk_a, dv0 (the last only with the value residual).
  const int64_t width = (kResidual ? 5 : 4) * C;
  float* outs[5] = {g.dw0, g.da0, g.dk_k, g.dk_a, g.dv0};
  for_row_blocks(d.rows(), C, width, outs, C, [&](int64_t r0, int64_t r1, float* partial) {
    std::vector<float> scratch(7 * C, 0.f);
    float* __restrict kr = scratch.data();       // k ⊙ k_k
    float* __restrict av = kr + C;               // a
    float* __restrict dkk = av + C;              // dL/dκ̂
    float* __restrict dk_part = dkk + C;         // dk through k̃
    float* __restrict norms = dk_part + C;       // per head: ‖k ⊙ k_k‖
    float* __restrict dens = norms + C;          // per channel: max(its head's norm, eps)
    const float* __restrict zeros = dens + C;    // stands for an absent dvv3
    float *__restrict pw0 = partial, *__restrict pa0 = partial + C,
          *__restrict pkk = partial + 2 * C, *__restrict pka = partial + 3 * C,
          *__restrict pv0 = partial + 4 * C;
    for (int64_t i = r0; i < r1; ++i) {
      const int64_t o = i * C;
      const float *__restrict k = p.k + o, *__restrict v = p.v + o, *__restrict zw = p.zw + o,
                  *__restrict za = p.za + o;
      const float *__restrict zv = kResidual ? p.zv + o : nullptr,
                  *__restrict vf = kResidual ? p.v_first + o : nullptr;
      const float *__restrict w0 = p.w0, *__restrict a0 = p.a0, *__restrict v0 = p.v0,
                  *__restrict k_k = p.k_k, *__restrict k_a = p.k_a;
      const float *__restrict dw = g.dw + o, *__restrict dkt1 = g.dkt1 + o,
                  *__restrict dkt2 = g.dkt2 + o, *__restrict dvv1 = g.dvv1 + o,
                  *__restrict dvv2 = g.dvv2 + o, *__restrict dain = g.da_in + o,
                  *__restrict dbin = g.db_in + o;
      const float* __restrict dvv3 = g.dvv3 ? g.dvv3 + o : zeros;
      float *__restrict dzw = g.dzw + o, *__restrict dza = g.dza + o, *__restrict dv = g.dv + o;
      float *__restrict dzv = kResidual ? g.dzv + o : nullptr,
            *__restrict dvf = kResidual ? g.dv_first + o : nullptr;
      // κ̂ first: its norm per head.
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) kr[c] = k[c] * k_k[c];
      for (int64_t h = 0; h < H; ++h) {
        float ss = 0.f;
#pragma omp simd reduction(+ : ss)
        for (int64_t n = 0; n < N; ++n) ss += kr[h * N + n] * kr[h * N + n];
        norms[h] = std::sqrt(ss);
        const float den = std::max(norms[h], kNormEps);
        for (int64_t n = 0; n < N; ++n) dens[h * N + n] = den;
      }
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const float z = w0[c] + zw[c];
        float wc, dz_per_dw;  // w and dw/dz
        if constexpr (kDecay == Rwkv7Decay::Clamped) {
          const float sz = fast_sigmoid(z);
          wc = fast_exp(-kDecayScale * sz);
          dz_per_dw = wc * -kDecayScale * (1.0f - sz) * sz;
        } else {
          const float e = fast_exp(std::min(z, kMaxLogDecay));
          wc = fast_exp(-e);
          dz_per_dw = z <= kMaxLogDecay ? -wc * e : 0.0f;
        }
        const float sa = fast_sigmoid(a0[c] + za[c]);
        const float a = rate_of<kRate>(sa, wc);
        av[c] = a;
        const float dkt = dkt1[c] + dkt2[c];
        const float kk = kr[c] / dens[c];
        dkk[c] = -dain[c] + dbin[c] * a;
        const float da = dbin[c] * kk + dkt * k[c] * k_a[c];
        pka[c] += dkt * k[c] * (a - 1.0f);
        dk_part[c] = dkt * (1.0f + (a - 1.0f) * k_a[c]);
        float dsa, dwc = dw[c];
        if constexpr (kRate == Rwkv7Rate::Released) {
          dsa = da;
        } else if constexpr (kRate == Rwkv7Rate::Relaxed) {
          dsa = 2.0f * da;
        } else {
          dsa = da * (1.0f + wc);
          dwc += da * sa;
        }
        const float dzac = dsa * (1.0f - sa) * sa;
        dza[c] = dzac;
        pa0[c] += dzac;
        const float dz = dwc * dz_per_dw;
        dzw[c] = dz;
        pw0[c] += dz;
        const float dvvc = dvv1[c] + dvv2[c] + dvv3[c];
        if constexpr (kResidual) {
          const float s = fast_sigmoid(v0[c] + zv[c]);
          dv[c] = dvvc * (1.0f - s);
          dvf[c] = dvvc * s;
          const float dzvc = dvvc * (vf[c] - v[c]) * (1.0f - s) * s;
          dzv[c] = dzvc;
          pv0[c] += dzvc;
        } else {
          dv[c] = dvvc;
        }
      }
      // κ̂ = kr / den: dkr = (dκ̂ − κ̂ (κ̂·dκ̂)) / norm, or dκ̂ / eps where the norm is below eps
      // (torch's clamp_min passes no gradient there).
      float* __restrict dk = g.dk + o;
      for (int64_t h = 0; h < H; ++h) {
        const float norm = norms[h];
        const float den = std::max(norm, kNormEps);
        const float *__restrict krh = kr + h * N, *__restrict dkkh = dkk + h * N;
        float dot = 0.f;
#pragma omp simd reduction(+ : dot)
        for (int64_t n = 0; n < N; ++n) dot += dkkh[n] * (krh[n] / den);
        const bool live = norm >= kNormEps;
        const float* __restrict kkh = k_k + h * N;
        const float* __restrict kh = k + h * N;
        const float* __restrict dkp = dk_part + h * N;
        float* __restrict pkkh = pkk + h * N;
        float* __restrict dkh = dk + h * N;
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          const float dkr = live ? (dkkh[n] - (krh[n] / den) * dot) / den : dkkh[n] / kNormEps;
          dkh[n] = dkp[n] + dkr * kkh[n];
          pkkh[n] += dkr * kh[n];
        }
      }
      if (g.dr_acc) {
        float* __restrict dr = g.dr_acc + o;
        const float* __restrict add = g.dr_add + o;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) dr[c] += add[c];
      }
    }
  });
}

template <Rwkv7Decay kDecay, Rwkv7Rate kRate>
void pre_dispatch_rate(const Rwkv7MixDims& d, const Rwkv7PreArgs& p,
                       const Rwkv7PreBackwardArgs* g) {
  if (p.v_first) {
    if (g) pre_backward_impl<kDecay, kRate, true>(d, *g);
    else pre_forward_impl<kDecay, kRate, true>(d, p);
  } else {
    if (g) pre_backward_impl<kDecay, kRate, false>(d, *g);
    else pre_forward_impl<kDecay, kRate, false>(d, p);
  }
}

template <Rwkv7Decay kDecay>
void pre_dispatch_decay(const Rwkv7MixDims& d, const Rwkv7PreArgs& p,
                        const Rwkv7PreBackwardArgs* g) {
  switch (p.rate) {
    case Rwkv7Rate::Released: return pre_dispatch_rate<kDecay, Rwkv7Rate::Released>(d, p, g);
    case Rwkv7Rate::Relaxed: return pre_dispatch_rate<kDecay, Rwkv7Rate::Relaxed>(d, p, g);
    case Rwkv7Rate::Stable: return pre_dispatch_rate<kDecay, Rwkv7Rate::Stable>(d, p, g);
  }
}

void pre_dispatch(const Rwkv7MixDims& d, const Rwkv7PreArgs& p, const Rwkv7PreBackwardArgs* g) {
  if (p.decay == Rwkv7Decay::Clamped) pre_dispatch_decay<Rwkv7Decay::Clamped>(d, p, g);
  else pre_dispatch_decay<Rwkv7Decay::Unclamped>(d, p, g);
}

// ---- after the recurrence ----------------------------------------------------------------

// GroupNorm statistics of one head's N outputs: the mean and 1/sqrt(var + eps) (two passes).
inline void moments(const float* __restrict y, int64_t N, float eps, float& mean, float& rstd) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int64_t n = 0; n < N; ++n) s += y[n];
  mean = s / static_cast<float>(N);
  float q = 0.f;
#pragma omp simd reduction(+ : q)
  for (int64_t n = 0; n < N; ++n) q += (y[n] - mean) * (y[n] - mean);
  rstd = 1.0f / std::sqrt(q / static_cast<float>(N) + eps);
}

void post_forward(const Rwkv7MixDims& d, const Rwkv7PostArgs& p) {
  const int64_t C = d.C(), H = d.H, N = d.N;
  at::parallel_for(0, d.rows(), row_grain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t h = 0; h < H; ++h) {
        const int64_t o = i * C + h * N;
        const float *__restrict y = p.y + o, *__restrict r = p.r + o, *__restrict kt = p.kt + o,
                    *__restrict vv = p.vv + o, *__restrict g = p.g + o;
        const float *__restrict gw = p.ln_w + h * N, *__restrict gb = p.ln_b + h * N,
                    *__restrict rk = p.r_k + h * N;
        float* __restrict u = p.u + o;
        float mean, rstd;
        moments(y, N, p.eps, mean, rstd);
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int64_t n = 0; n < N; ++n) s += r[n] * kt[n] * rk[n];
#pragma omp simd
        for (int64_t n = 0; n < N; ++n)
          u[n] = (((y[n] - mean) * rstd) * gw[n] + gb[n] + s * vv[n]) * g[n];
      }
    }
  });
}

void post_backward(const Rwkv7MixDims& d, const Rwkv7PostBackwardArgs& g) {
  const int64_t C = d.C(), H = d.H, N = d.N;
  const Rwkv7PostArgs& p = g.in;
  float* outs[3] = {g.dln_w, g.dln_b, g.dr_k};
  for_row_blocks(d.rows(), C, 3 * C, outs, C, [&](int64_t r0, int64_t r1, float* partial) {
    std::vector<float> scratch(2 * N);
    float* __restrict yhat = scratch.data();
    float* __restrict dyhat = scratch.data() + N;
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t h = 0; h < H; ++h) {
        const int64_t o = i * C + h * N;
        const float *__restrict y = p.y + o, *__restrict r = p.r + o, *__restrict kt = p.kt + o,
                    *__restrict vv = p.vv + o, *__restrict gt = p.g + o, *__restrict du = g.du + o;
        const float *__restrict gw = p.ln_w + h * N, *__restrict gb = p.ln_b + h * N,
                    *__restrict rk = p.r_k + h * N;
        float *__restrict pw = partial + h * N, *__restrict pb = partial + C + h * N,
              *__restrict prk = partial + 2 * C + h * N;
        float *__restrict dy = g.dy + o, *__restrict dr = g.dr + o, *__restrict dkt = g.dkt + o,
              *__restrict dvv = g.dvv + o, *__restrict dg = g.dg + o;
        float mean, rstd;
        moments(y, N, p.eps, mean, rstd);
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int64_t n = 0; n < N; ++n) s += r[n] * kt[n] * rk[n];
        float ds = 0.f, sum1 = 0.f, sum2 = 0.f;
#pragma omp simd reduction(+ : ds, sum1, sum2)
        for (int64_t n = 0; n < N; ++n) {
          const float yh = (y[n] - mean) * rstd;
          const float gu = du[n] * gt[n];  // dL/d(GN(y)·γ + β + s·vv)
          dg[n] = du[n] * (yh * gw[n] + gb[n] + s * vv[n]);
          pw[n] += gu * yh;
          pb[n] += gu;
          dvv[n] = gu * s;
          ds += gu * vv[n];
          const float dyh = gu * gw[n];
          yhat[n] = yh;
          dyhat[n] = dyh;
          sum1 += dyh;
          sum2 += dyh * yh;
        }
        const float m1 = sum1 / static_cast<float>(N), m2 = sum2 / static_cast<float>(N);
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          dy[n] = rstd * (dyhat[n] - m1 - yhat[n] * m2);
          dr[n] = ds * kt[n] * rk[n];
          dkt[n] = ds * r[n] * rk[n];
          prk[n] += ds * r[n] * kt[n];
        }
      }
    }
  });
}

}  // namespace

void rwkv7_shift_mix_forward(const Rwkv7MixDims& dims, const Rwkv7ShiftMixArgs& args) {
  shift_mix_forward(dims, args);
}

void rwkv7_shift_mix_backward(const Rwkv7MixDims& dims, const Rwkv7ShiftMixBackwardArgs& args) {
  shift_mix_backward(dims, args);
}

void rwkv7_pre_forward(const Rwkv7MixDims& dims, const Rwkv7PreArgs& args) {
  pre_dispatch(dims, args, nullptr);
}

void rwkv7_pre_backward(const Rwkv7MixDims& dims, const Rwkv7PreBackwardArgs& args) {
  pre_dispatch(dims, args.in, &args);
}

void rwkv7_post_forward(const Rwkv7MixDims& dims, const Rwkv7PostArgs& args) {
  post_forward(dims, args);
}

void rwkv7_post_backward(const Rwkv7MixDims& dims, const Rwkv7PostBackwardArgs& args) {
  post_backward(dims, args);
}

void rwkv7_layer_norm_forward(int64_t rows, int64_t C, const float* x, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* rstd) {
  at::parallel_for(0, rows, row_grain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* __restrict xi = x + i * C;
      float* __restrict yi = y + i * C;
      float m, rs;
      moments(xi, C, eps, m, rs);
      mean[i] = m;
      rstd[i] = rs;
      const float *__restrict g = gamma, *__restrict b = beta;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) yi[c] = ((xi[c] - m) * rs) * g[c] + b[c];
    }
  });
}

void rwkv7_layer_norm_backward(int64_t rows, int64_t C, const float* x, const float* gamma,
                               const float* mean, const float* rstd, const float* dy, float* dx,
                               float* dgamma, float* dbeta) {
  float* outs[2] = {dgamma, dbeta};
  for_row_blocks(rows, C, 2 * C, outs, C, [&](int64_t r0, int64_t r1, float* partial) {
    float *__restrict pg = partial, *__restrict pb = partial + C;
    const float* __restrict g = gamma;
    for (int64_t i = r0; i < r1; ++i) {
      const float *__restrict xi = x + i * C, *__restrict dyi = dy + i * C;
      float* __restrict dxi = dx + i * C;
      const float m = mean[i], rs = rstd[i];
      float s1 = 0.f, s2 = 0.f;
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t c = 0; c < C; ++c) {
        const float xh = (xi[c] - m) * rs;
        const float gy = dyi[c] * g[c];
        pg[c] += dyi[c] * xh;
        pb[c] += dyi[c];
        s1 += gy;
        s2 += gy * xh;
      }
      const float m1 = s1 / static_cast<float>(C), m2 = s2 / static_cast<float>(C);
#pragma omp simd
      for (int64_t c = 0; c < C; ++c)
        dxi[c] = rs * (dyi[c] * g[c] - m1 - ((xi[c] - m) * rs) * m2);
    }
  });
}

void rwkv7_relu_square_forward(int64_t n, float* p, float* h) {
  at::parallel_for(0, n, 1 << 14, [&](int64_t i0, int64_t i1) {
    float* __restrict hh = h;
#pragma omp simd
    for (int64_t i = i0; i < i1; ++i) {
      const float r = p[i] < 0.f ? 0.f : p[i];  // NaN stays NaN, as torch's relu
      p[i] = r;
      hh[i] = r * r;
    }
  });
}

void rwkv7_relu_square_backward(int64_t n, const float* relu, const float* dh, float* dp) {
  at::parallel_for(0, n, 1 << 14, [&](int64_t i0, int64_t i1) {
    const float *__restrict rr = relu, *__restrict gg = dh;
    float* __restrict out = dp;
#pragma omp simd
    for (int64_t i = i0; i < i1; ++i) out[i] = gg[i] * (2.0f * rr[i]);
  });
}

}  // namespace goose::kernels
