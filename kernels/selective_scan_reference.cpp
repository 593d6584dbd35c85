// Plain reference of the diagonal selective scan (see selective_scan_reference.h):
//   λ_t = exp(Δ_t A) (or 2·exp(Δ_t A) − 1),  h_t = λ_t h_{t-1} + Δ_t x_t B_t,
//   y_t = Σ_n C_t[n] h_t[:,n] + Dskip x_t.
#include "kernels/selective_scan_reference.h"

#include <cmath>

namespace goose::kernels {
namespace {

// Every element read and accumulated in double, whatever the tensor dtype.
template <typename S>
struct View {
  const S* p;
  double operator[](int64_t i) const { return static_cast<double>(p[i]); }
};

template <typename S>
View<S> view(const torch::Tensor& t) {
  return {t.data_ptr<S>()};
}

template <typename S>
std::tuple<torch::Tensor, torch::Tensor> forward_impl(const torch::Tensor& x_t,
                                                      const torch::Tensor& delta_t,
                                                      const torch::Tensor& A_t,
                                                      const torch::Tensor& B_t,
                                                      const torch::Tensor& C_t,
                                                      const torch::Tensor& D_t,
                                                      const torch::Tensor& h0_t, bool sgn) {
  const int64_t nb = x_t.size(0), nt = x_t.size(1), nd = x_t.size(2), nn = A_t.size(1);
  auto x = view<S>(x_t), delta = view<S>(delta_t), A = view<S>(A_t), Bm = view<S>(B_t),
       Cm = view<S>(C_t), Dskip = view<S>(D_t);
  auto y_out = torch::zeros({nb, nt, nd}, x_t.options());
  auto hT_out = torch::zeros({nb, nd, nn}, x_t.options());
  S* y = y_out.data_ptr<S>();
  S* hT = hT_out.data_ptr<S>();
  std::vector<double> h(nn);
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t d = 0; d < nd; ++d) {
      for (int64_t n = 0; n < nn; ++n)
        h[n] = h0_t.defined() ? static_cast<double>(h0_t.data_ptr<S>()[(b * nd + d) * nn + n])
                              : 0.0;
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t i = (b * nt + t) * nd + d;  // (b,t,d)
        const int64_t j = (b * nt + t) * nn;      // (b,t,0)
        double acc = Dskip[d] * x[i];
        for (int64_t n = 0; n < nn; ++n) {
          const double e = std::exp(delta[i] * A[d * nn + n]);
          const double lambda = sgn ? 2.0 * e - 1.0 : e;
          h[n] = lambda * h[n] + delta[i] * x[i] * Bm[j + n];
          acc += Cm[j + n] * h[n];
        }
        y[i] = static_cast<S>(acc);
      }
      for (int64_t n = 0; n < nn; ++n) hT[(b * nd + d) * nn + n] = static_cast<S>(h[n]);
    }
  }
  return {y_out, hT_out};
}

template <typename S>
std::vector<torch::Tensor> backward_impl(const torch::Tensor& x_t, const torch::Tensor& delta_t,
                                         const torch::Tensor& A_t, const torch::Tensor& B_t,
                                         const torch::Tensor& C_t, const torch::Tensor& D_t,
                                         const torch::Tensor& h0_t, bool sgn,
                                         const torch::Tensor& dy_t, const torch::Tensor& dhT_t) {
  const int64_t nb = x_t.size(0), nt = x_t.size(1), nd = x_t.size(2), nn = A_t.size(1);
  auto x = view<S>(x_t), delta = view<S>(delta_t), A = view<S>(A_t), Bm = view<S>(B_t),
       Cm = view<S>(C_t), Dskip = view<S>(D_t);
  auto dbl = torch::TensorOptions().dtype(torch::kDouble);
  auto dx = torch::zeros({nb, nt, nd}, dbl), ddelta = torch::zeros({nb, nt, nd}, dbl),
       dA = torch::zeros({nd, nn}, dbl), dBm = torch::zeros({nb, nt, nn}, dbl),
       dCm = torch::zeros({nb, nt, nn}, dbl), dDskip = torch::zeros({nd}, dbl),
       dh0 = torch::zeros({nb, nd, nn}, dbl);
  double *gx = dx.data_ptr<double>(), *gdelta = ddelta.data_ptr<double>(),
         *gA = dA.data_ptr<double>(), *gB = dBm.data_ptr<double>(),
         *gC = dCm.data_ptr<double>(), *gD = dDskip.data_ptr<double>(),
         *gh0 = dh0.data_ptr<double>();
  auto dy_of = [&](int64_t i) { return dy_t.defined() ? double(dy_t.data_ptr<S>()[i]) : 0.0; };

  std::vector<double> hs((nt + 1) * nn);  // hs[t+1] = h_t, hs[0] = h0
  std::vector<double> g(nn);              // ∂L/∂h_t
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t d = 0; d < nd; ++d) {
      for (int64_t n = 0; n < nn; ++n)
        hs[n] = h0_t.defined() ? double(h0_t.data_ptr<S>()[(b * nd + d) * nn + n]) : 0.0;
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t i = (b * nt + t) * nd + d, j = (b * nt + t) * nn;
        for (int64_t n = 0; n < nn; ++n) {
          const double e = std::exp(delta[i] * A[d * nn + n]);
          const double lambda = sgn ? 2.0 * e - 1.0 : e;
          hs[(t + 1) * nn + n] = lambda * hs[t * nn + n] + delta[i] * x[i] * Bm[j + n];
        }
      }
      for (int64_t n = 0; n < nn; ++n)
        g[n] = dhT_t.defined() ? double(dhT_t.data_ptr<S>()[(b * nd + d) * nn + n]) : 0.0;
      for (int64_t t = nt - 1; t >= 0; --t) {
        const int64_t i = (b * nt + t) * nd + d, j = (b * nt + t) * nn;
        const double dy = dy_of(i);
        gx[i] += dy * Dskip[d];
        gD[d] += dy * x[i];
        for (int64_t n = 0; n < nn; ++n) {
          const double h_prev = hs[t * nn + n], h_cur = hs[(t + 1) * nn + n];
          g[n] += dy * Cm[j + n];              // y_t reads h_t
          gC[j + n] += dy * h_cur;
          const double e = std::exp(delta[i] * A[d * nn + n]);
          const double lambda = sgn ? 2.0 * e - 1.0 : e;
          const double dlambda = g[n] * h_prev;
          const double dz = dlambda * (sgn ? 2.0 * e : e);  // z = Δ·A, λ = λ(z)
          gdelta[i] += dz * A[d * nn + n] + g[n] * x[i] * Bm[j + n];
          gA[d * nn + n] += dz * delta[i];
          gx[i] += g[n] * delta[i] * Bm[j + n];
          gB[j + n] += g[n] * delta[i] * x[i];
          g[n] *= lambda;  // now ∂L/∂h_{t-1}
        }
      }
      for (int64_t n = 0; n < nn; ++n) gh0[(b * nd + d) * nn + n] = g[n];
    }
  }
  std::vector<torch::Tensor> out = {dx, ddelta, dA, dBm, dCm, dDskip, dh0};
  for (auto& t : out) t = t.to(x_t.scalar_type());
  return out;
}

}  // namespace

std::tuple<torch::Tensor, torch::Tensor> selective_scan_reference_forward(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0, bool signed_decay) {
  if (x.scalar_type() == torch::kDouble)
    return forward_impl<double>(x, delta, A, Bm, Cm, Dskip, h0, signed_decay);
  return forward_impl<float>(x, delta, A, Bm, Cm, Dskip, h0, signed_decay);
}

std::vector<torch::Tensor> selective_scan_reference_backward(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0, bool signed_decay, const torch::Tensor& dy,
    const torch::Tensor& dhT) {
  if (x.scalar_type() == torch::kDouble)
    return backward_impl<double>(x, delta, A, Bm, Cm, Dskip, h0, signed_decay, dy, dhT);
  return backward_impl<float>(x, delta, A, Bm, Cm, Dskip, h0, signed_decay, dy, dhT);
}

}  // namespace goose::kernels
