// Per-step LibTorch loops for WKV7 and the selective scan (see recurrence_loops.h): every step
// builds autograd nodes, so the backward costs T small ops per input, which is the point of
// comparing them with the kernels.
#include "kernels/recurrence_loops.h"

#include <vector>

namespace goose::kernels {

using torch::Tensor;

std::tuple<Tensor, Tensor> wkv7_loop(const Tensor& r, const Tensor& w, const Tensor& k,
                                     const Tensor& v, const Tensor& a, const Tensor& b,
                                     const Tensor& s0) {
  const int64_t B = r.size(0), T = r.size(1), H = r.size(2), N = r.size(3);
  const auto state_type = r.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  Tensor S = s0.defined() ? s0 : torch::zeros({B, H, N, N}, r.options().dtype(state_type));
  std::vector<Tensor> ys;
  ys.reserve(T);
  for (int64_t t = 0; t < T; ++t) {
    auto at = [&](const Tensor& x) { return x.select(1, t).to(state_type); };  // (B,H,N)
    const Tensor sa = torch::matmul(S, at(a).unsqueeze(-1));                  // (B,H,N,1)
    S = S * at(w).unsqueeze(2) + torch::matmul(sa, at(b).unsqueeze(-2)) +
        torch::matmul(at(v).unsqueeze(-1), at(k).unsqueeze(-2));
    ys.push_back(torch::matmul(S, at(r).unsqueeze(-1)).squeeze(-1));
  }
  return {torch::stack(ys, 1).to(r.scalar_type()), S};
}

std::tuple<Tensor, Tensor> selective_scan_loop(const Tensor& x, const Tensor& delta,
                                               const Tensor& A, const Tensor& Bm,
                                               const Tensor& Cm, const Tensor& Dskip,
                                               const Tensor& h0, ScanMode mode) {
  const int64_t B = x.size(0), T = x.size(1), D = x.size(2), N = A.size(1);
  std::vector<Tensor> ys;
  ys.reserve(T);
  if (mode == ScanMode::Complex) {  // real arithmetic on the (re, im) parts
    const Tensor a_re = A.select(-1, 0), a_im = A.select(-1, 1);  // (D,N)
    Tensor hr = h0.defined() ? h0.select(-1, 0) : torch::zeros({B, D, N}, x.options());
    Tensor hi = h0.defined() ? h0.select(-1, 1) : torch::zeros({B, D, N}, x.options());
    for (int64_t t = 0; t < T; ++t) {
      const Tensor dt = delta.select(1, t).unsqueeze(-1), ut = dt * x.select(1, t).unsqueeze(-1);
      const Tensor modulus = torch::exp(dt * a_re), angle = dt * a_im;  // (B,D,N)
      const Tensor lr = modulus * torch::cos(angle), li = modulus * torch::sin(angle);
      const Tensor Bt = Bm.select(1, t).unsqueeze(1), Ct = Cm.select(1, t).unsqueeze(1);
      const Tensor nr = lr * hr - li * hi + ut * Bt.select(-1, 0);
      const Tensor ni = lr * hi + li * hr + ut * Bt.select(-1, 1);
      hr = nr;
      hi = ni;
      ys.push_back((Ct.select(-1, 0) * hr - Ct.select(-1, 1) * hi).sum(-1) +
                   Dskip * x.select(1, t));
    }
    return {torch::stack(ys, 1), torch::stack({hr, hi}, -1)};
  }
  Tensor h = h0.defined() ? h0 : torch::zeros({B, D, N}, x.options());
  for (int64_t t = 0; t < T; ++t) {
    const Tensor dt = delta.select(1, t), xt = x.select(1, t);  // (B,D)
    Tensor lambda = torch::exp(dt.unsqueeze(-1) * A);            // (B,D,N)
    if (mode == ScanMode::Signed) lambda = 2.0 * lambda - 1.0;
    h = lambda * h + (dt * xt).unsqueeze(-1) * Bm.select(1, t).unsqueeze(1);
    ys.push_back((h * Cm.select(1, t).unsqueeze(1)).sum(-1) + Dskip * xt);
  }
  return {torch::stack(ys, 1), h};
}

}  // namespace goose::kernels
