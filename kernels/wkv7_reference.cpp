// The plain WKV7 reference (see wkv7_reference.h): one head at a time, every state S_0..S_T
// kept in double, loops written exactly as the equations read. No LibTorch.
#include "kernels/wkv7_reference.h"

#include <vector>

namespace goose::kernels {

namespace {

// Index of element i of the (b,t,h) vector in a (B,T,H,N) tensor.
int64_t vec_at(const Wkv7Dims& s, int64_t b, int64_t t, int64_t h) {
  return ((b * s.T + t) * s.H + h) * s.N;
}

// Runs one head forward, filling states[t] = S_t for t = 0..T (row-major N×N, double).
template <typename T>
void head_states(const Wkv7Dims& s, int64_t b, int64_t h, const T* w, const T* k, const T* v,
                 const T* a, const T* bb, const T* s0, std::vector<std::vector<double>>& states) {
  const int64_t N = s.N;
  states.assign(s.T + 1, std::vector<double>(N * N, 0.0));
  if (s0) {
    const T* src = s0 + (b * s.H + h) * N * N;
    for (int64_t e = 0; e < N * N; ++e) states[0][e] = static_cast<double>(src[e]);
  }
  for (int64_t t = 0; t < s.T; ++t) {
    const int64_t o = vec_at(s, b, t, h);
    const auto& prev = states[t];
    auto& cur = states[t + 1];
    for (int64_t i = 0; i < N; ++i) {
      double sa = 0.0;
      for (int64_t j = 0; j < N; ++j) sa += prev[i * N + j] * double(a[o + j]);
      for (int64_t j = 0; j < N; ++j)
        cur[i * N + j] = prev[i * N + j] * double(w[o + j]) + sa * double(bb[o + j]) +
                         double(v[o + i]) * double(k[o + j]);
    }
  }
}

}  // namespace

template <typename T>
void wkv7_reference_forward(const Wkv7Dims& s, const Wkv7ForwardArgs<T>& args) {
  const T *r = args.r, *w = args.w, *k = args.k, *v = args.v, *a = args.a, *b = args.b,
          *s0 = args.s0;
  T *y = args.y, *s_out = args.s_out;
  const int64_t N = s.N;
  std::vector<std::vector<double>> states;
  for (int64_t bi = 0; bi < s.B; ++bi) {
    for (int64_t h = 0; h < s.H; ++h) {
      head_states(s, bi, h, w, k, v, a, b, s0, states);
      for (int64_t t = 0; t < s.T; ++t) {
        const int64_t o = vec_at(s, bi, t, h);
        for (int64_t i = 0; i < N; ++i) {
          double acc = 0.0;
          for (int64_t j = 0; j < N; ++j) acc += states[t + 1][i * N + j] * double(r[o + j]);
          y[o + i] = static_cast<T>(acc);
        }
      }
      T* dst = s_out + (bi * s.H + h) * N * N;
      for (int64_t e = 0; e < N * N; ++e) dst[e] = static_cast<T>(states[s.T][e]);
    }
  }
}

template <typename T>
void wkv7_reference_backward(const Wkv7Dims& s, const Wkv7BackwardArgs<T>& args) {
  const T *r = args.r, *w = args.w, *k = args.k, *v = args.v, *a = args.a, *b = args.b,
          *s0 = args.s0, *dy = args.dy, *ds_out = args.ds_out;
  T *dr = args.dr, *dw = args.dw, *dk = args.dk, *dv = args.dv, *da = args.da, *db = args.db,
    *ds0 = args.ds0;
  const int64_t N = s.N;
  std::vector<std::vector<double>> states;
  std::vector<double> dS(N * N), u(N), sa(N);
  for (int64_t bi = 0; bi < s.B; ++bi) {
    for (int64_t h = 0; h < s.H; ++h) {
      head_states(s, bi, h, w, k, v, a, b, s0, states);
      const int64_t so = (bi * s.H + h) * N * N;
      for (int64_t e = 0; e < N * N; ++e) dS[e] = ds_out ? double(ds_out[so + e]) : 0.0;
      for (int64_t t = s.T - 1; t >= 0; --t) {
        const int64_t o = vec_at(s, bi, t, h);
        const auto& prev = states[t];  // S_{t-1} in the header's 1-based notation
        const auto& cur = states[t + 1];
        auto dyv = [&](int64_t i) { return dy ? double(dy[o + i]) : 0.0; };
        // y_t = S_t r_t
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = 0; j < N; ++j) dS[i * N + j] += dyv(i) * double(r[o + j]);
        for (int64_t j = 0; j < N; ++j) {
          double acc = 0.0;
          for (int64_t i = 0; i < N; ++i) acc += cur[i * N + j] * dyv(i);
          dr[o + j] = static_cast<T>(acc);
        }
        // S_t = S_{t-1} diag(w) + (S_{t-1} a) bᵀ + v kᵀ, with dS now dL/dS_t
        for (int64_t i = 0; i < N; ++i) {
          double acc_v = 0.0, acc_u = 0.0, acc_sa = 0.0;
          for (int64_t j = 0; j < N; ++j) {
            acc_v += dS[i * N + j] * double(k[o + j]);
            acc_u += dS[i * N + j] * double(b[o + j]);
            acc_sa += prev[i * N + j] * double(a[o + j]);
          }
          dv[o + i] = static_cast<T>(acc_v);
          u[i] = acc_u;
          sa[i] = acc_sa;
        }
        for (int64_t j = 0; j < N; ++j) {
          double acc_k = 0.0, acc_w = 0.0, acc_a = 0.0, acc_b = 0.0;
          for (int64_t i = 0; i < N; ++i) {
            acc_k += dS[i * N + j] * double(v[o + i]);
            acc_w += prev[i * N + j] * dS[i * N + j];
            acc_a += prev[i * N + j] * u[i];
            acc_b += dS[i * N + j] * sa[i];
          }
          dk[o + j] = static_cast<T>(acc_k);
          dw[o + j] = static_cast<T>(acc_w);
          da[o + j] = static_cast<T>(acc_a);
          db[o + j] = static_cast<T>(acc_b);
        }
        // dL/dS_{t-1} = dS diag(w) + (dS b) aᵀ
        for (int64_t i = 0; i < N; ++i)
          for (int64_t j = 0; j < N; ++j)
            dS[i * N + j] = dS[i * N + j] * double(w[o + j]) + u[i] * double(a[o + j]);
      }
      for (int64_t e = 0; e < N * N; ++e) ds0[so + e] = static_cast<T>(dS[e]);
    }
  }
}

template void wkv7_reference_forward<float>(const Wkv7Dims&, const Wkv7ForwardArgs<float>&);
template void wkv7_reference_forward<double>(const Wkv7Dims&, const Wkv7ForwardArgs<double>&);
template void wkv7_reference_backward<float>(const Wkv7Dims&, const Wkv7BackwardArgs<float>&);
template void wkv7_reference_backward<double>(const Wkv7Dims&, const Wkv7BackwardArgs<double>&);

}  // namespace goose::kernels
