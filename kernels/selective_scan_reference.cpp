// The plain selective-scan reference (see selective_scan_reference.h). Every mode runs the
// same loops in std::complex<double>: in the Real and Signed modes A, Bm, Cm and h0 enter
// with zero imaginary parts, which stay exactly zero, and only the real parts go out.
// Gradients of complex quantities are carried as G = ∂L/∂re + i·∂L/∂im, so for v = f(w)
// holomorphic G_w = conj(f'(w))·G_v, and for v = p·q, G_p = conj(q)·G_v. No LibTorch.
#include "kernels/selective_scan_reference.h"

#include <complex>
#include <vector>

namespace goose::kernels {
namespace {

using Complex = std::complex<double>;

// Reads element i of a real tensor or of a complex one (pairs), as a complex number.
template <typename T>
Complex load(const T* p, int64_t i, bool complex_mode) {
  if (complex_mode) return {double(p[2 * i]), double(p[2 * i + 1])};
  return {double(p[i]), 0.0};
}

template <typename T>
void store(T* p, int64_t i, Complex v, bool complex_mode) {
  if (complex_mode) {
    p[2 * i] = static_cast<T>(v.real());
    p[2 * i + 1] = static_cast<T>(v.imag());
  } else {
    p[i] = static_cast<T>(v.real());
  }
}

// λ(z) and dλ/dz for z = Δ·A.
Complex lambda_of(Complex z, ScanMode mode) {
  return mode == ScanMode::Signed ? 2.0 * std::exp(z) - 1.0 : std::exp(z);
}
Complex lambda_derivative(Complex z, ScanMode mode) {
  return mode == ScanMode::Signed ? 2.0 * std::exp(z) : std::exp(z);
}

// h[t+1] = h_t for t = 0..T−1 and h[0] = h0, of channel (b, d).
template <typename T>
void channel_states(const ScanDims& s, int64_t b, int64_t d, const T* x, const T* delta,
                    const T* A, const T* Bm, const T* h0, std::vector<Complex>& hs) {
  const int64_t N = s.N;
  const bool cx = s.mode == ScanMode::Complex;
  hs.assign((s.T + 1) * N, Complex());
  for (int64_t n = 0; n < N; ++n) hs[n] = h0 ? load(h0, (b * s.D + d) * N + n, cx) : Complex();
  for (int64_t t = 0; t < s.T; ++t) {
    const int64_t i = (b * s.T + t) * s.D + d;  // (b,t,d)
    const double dl = delta[i], u = dl * double(x[i]);
    for (int64_t n = 0; n < N; ++n) {
      const Complex lambda = lambda_of(dl * load(A, d * N + n, cx), s.mode);
      hs[(t + 1) * N + n] = lambda * hs[t * N + n] + u * load(Bm, (b * s.T + t) * N + n, cx);
    }
  }
}

}  // namespace

template <typename T>
void selective_scan_reference_forward(const ScanDims& s, const ScanForwardArgs<T>& p) {
  const int64_t N = s.N;
  const bool cx = s.mode == ScanMode::Complex;
  std::vector<Complex> hs;
  for (int64_t b = 0; b < s.B; ++b) {
    for (int64_t d = 0; d < s.D; ++d) {
      channel_states(s, b, d, p.x, p.delta, p.A, p.Bm, p.h0, hs);
      for (int64_t t = 0; t < s.T; ++t) {
        const int64_t i = (b * s.T + t) * s.D + d;
        Complex acc = double(p.Dskip[d]) * double(p.x[i]);
        for (int64_t n = 0; n < N; ++n)
          acc += load(p.Cm, (b * s.T + t) * N + n, cx) * hs[(t + 1) * N + n];
        p.y[i] = static_cast<T>(acc.real());
      }
      for (int64_t n = 0; n < N; ++n) store(p.hT, (b * s.D + d) * N + n, hs[s.T * N + n], cx);
    }
  }
}

template <typename T>
void selective_scan_reference_backward(const ScanDims& s, const ScanBackwardArgs<T>& p) {
  const int64_t B = s.B, nT = s.T, D = s.D, N = s.N;
  const bool cx = s.mode == ScanMode::Complex;
  // Double accumulators, written out at the end.
  std::vector<double> dx(B * nT * D, 0.0), ddelta(B * nT * D, 0.0), dDskip(D, 0.0);
  std::vector<Complex> dA(D * N), dBm(B * nT * N), dCm(B * nT * N), dh0(B * D * N);
  std::vector<Complex> hs, g(N);  // g = G of h_t
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t d = 0; d < D; ++d) {
      channel_states(s, b, d, p.x, p.delta, p.A, p.Bm, p.h0, hs);
      for (int64_t n = 0; n < N; ++n)
        g[n] = p.dhT ? load(p.dhT, (b * D + d) * N + n, cx) : Complex();
      for (int64_t t = nT - 1; t >= 0; --t) {
        const int64_t i = (b * nT + t) * D + d;
        const double dy = p.dy ? double(p.dy[i]) : 0.0;
        const double dl = p.delta[i], xv = p.x[i], u = dl * xv;
        // y_t = Re(Σ_n C h_t) + Dskip x_t
        dx[i] += dy * double(p.Dskip[d]);
        dDskip[d] += dy * xv;
        double du = 0.0;
        for (int64_t n = 0; n < N; ++n) {
          const int64_t j = (b * nT + t) * N + n;
          const Complex C = load(p.Cm, j, cx), Bv = load(p.Bm, j, cx), a = load(p.A, d * N + n, cx);
          const Complex h_prev = hs[t * N + n], h_cur = hs[(t + 1) * N + n];
          g[n] += std::conj(C) * dy;
          dCm[j] += std::conj(h_cur) * dy;
          // h_t = λ h_{t−1} + u B,  λ = λ(z),  z = Δ A
          const Complex z = dl * a;
          const Complex lambda = lambda_of(z, s.mode);
          const Complex g_z = std::conj(lambda_derivative(z, s.mode)) * (std::conj(h_prev) * g[n]);
          dA[d * N + n] += dl * g_z;
          ddelta[i] += (std::conj(a) * g_z).real();
          du += (std::conj(Bv) * g[n]).real();
          dBm[j] += u * g[n];
          g[n] = std::conj(lambda) * g[n];  // now G of h_{t−1}
        }
        ddelta[i] += du * xv;
        dx[i] += du * dl;
      }
      for (int64_t n = 0; n < N; ++n) dh0[(b * D + d) * N + n] = g[n];
    }
  }
  for (int64_t i = 0; i < B * nT * D; ++i) {
    p.dx[i] = static_cast<T>(dx[i]);
    p.ddelta[i] = static_cast<T>(ddelta[i]);
  }
  for (int64_t d = 0; d < D; ++d) p.dDskip[d] = static_cast<T>(dDskip[d]);
  for (int64_t i = 0; i < D * N; ++i) store(p.dA, i, dA[i], cx);
  for (int64_t i = 0; i < B * nT * N; ++i) {
    store(p.dBm, i, dBm[i], cx);
    store(p.dCm, i, dCm[i], cx);
  }
  for (int64_t i = 0; i < B * D * N; ++i) store(p.dh0, i, dh0[i], cx);
}

template void selective_scan_reference_forward<float>(const ScanDims&,
                                                      const ScanForwardArgs<float>&);
template void selective_scan_reference_forward<double>(const ScanDims&,
                                                       const ScanForwardArgs<double>&);
template void selective_scan_reference_backward<float>(const ScanDims&,
                                                       const ScanBackwardArgs<float>&);
template void selective_scan_reference_backward<double>(const ScanDims&,
                                                        const ScanBackwardArgs<double>&);

}  // namespace goose::kernels
