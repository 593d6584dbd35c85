// The baselines' double-precision oracles (see model_oracles.h): plain loops over batch,
// position, head and channel on parameters read by name; LibTorch only for storage and the
// position-wise matrix products of the projections.
#include "tests/support/model_oracles.h"

#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>
#include <vector>

namespace goose::testing {

namespace {

using torch::Tensor;

Tensor P(const torch::nn::Module& model, const std::string& name) {
  const auto params = model.named_parameters();
  const auto* p = params.find(name);
  if (p == nullptr) throw std::runtime_error("oracle: the model has no parameter '" + name + "'");
  return p->detach().to(torch::kDouble).contiguous();
}

// x (B,T,C) → ((x − mean) / √(var + eps))·w + b over the last dimension (biased variance).
Tensor normalise(const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  const auto mean = x.mean(-1, true);
  const auto var = (x - mean).square().mean(-1, true);
  return (x - mean) / torch::sqrt(var + eps) * w + b;
}

// x W^T (+ b): a position-wise linear map.
Tensor affine(const Tensor& x, const Tensor& w, const Tensor& b = Tensor()) {
  const auto y = torch::matmul(x, w.t());
  return b.defined() ? y + b : y;
}

Tensor embed(const Tensor& table, const Tensor& tokens) {
  return table.index_select(0, tokens.reshape({-1})).view({tokens.size(0), tokens.size(1), table.size(1)});
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double silu(double v) { return v * sigmoid(v); }
double softplus(double v) { return v > 20 ? v : std::log1p(std::exp(v)); }
double gelu(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }

Tensor apply(const Tensor& x, double (*f)(double)) {
  Tensor out = x.contiguous().clone();
  double* data = out.data_ptr<double>();
  for (int64_t i = 0; i < out.numel(); ++i) data[i] = f(data[i]);
  return out;
}

constexpr double kBase = 10000.0;

}  // namespace

Tensor transformer_oracle(const torch::nn::Module& model, const core::ModelConfig& c, const Tensor& tokens) {
  const int64_t B = tokens.size(0), T = tokens.size(1), C = c.dim, hs = c.head_size, H = C / hs;
  Tensor x = embed(P(model, "emb.weight"), tokens);
  if (c.pos_encoding == "learned") {
    x = x + P(model, "pos.weight").slice(0, 0, T).unsqueeze(0);
  } else if (c.pos_encoding == "sinusoidal") {
    Tensor pe = torch::zeros({T, C}, torch::kDouble);
    auto e = pe.accessor<double, 2>();
    for (int64_t t = 0; t < T; ++t)
      for (int64_t i = 0; i < C; ++i) {
        const double angle = double(t) / std::pow(kBase, 2.0 * double(i / 2) / double(C));
        e[t][i] = i % 2 == 0 ? std::sin(angle) : std::cos(angle);
      }
    x = x + pe.unsqueeze(0);
  }
  const bool rope = c.pos_encoding == "rope";
  // Rotates the half-split pairs of one head's vector v (hs values) at position pos.
  auto rotate = [&](std::vector<double> v, int64_t pos) {
    if (!rope) return v;
    const int64_t half = hs / 2;
    for (int64_t i = 0; i < half; ++i) {
      const double angle = double(pos) * std::pow(kBase, -2.0 * double(i) / double(hs));
      const double a = v[i], b = v[i + half];
      v[i] = a * std::cos(angle) - b * std::sin(angle);
      v[i + half] = b * std::cos(angle) + a * std::sin(angle);
    }
    return v;
  };
  for (int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    const Tensor h = normalise(x, P(model, p + "ln1.weight"), P(model, p + "ln1.bias"), 1e-5);
    const Tensor qkv = affine(h, P(model, p + "qkv.weight"), P(model, p + "qkv.bias"));  // (B,T,3C)
    auto a = qkv.accessor<double, 3>();
    Tensor y = torch::zeros({B, T, C}, torch::kDouble);
    auto out = y.accessor<double, 3>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t head = 0; head < H; ++head) {
        auto vec = [&](int64_t part, int64_t t) {  // part 0 = q, 1 = k, 2 = v
          std::vector<double> v(hs);
          for (int64_t d = 0; d < hs; ++d) v[d] = a[b][t][part * C + head * hs + d];
          return v;
        };
        for (int64_t i = 0; i < T; ++i) {
          const auto q = rotate(vec(0, i), i);
          std::vector<double> score(i + 1);
          double top = -INFINITY;
          for (int64_t j = 0; j <= i; ++j) {
            const auto k = rotate(vec(1, j), j);
            double dot = 0;
            for (int64_t d = 0; d < hs; ++d) dot += q[d] * k[d];
            score[j] = dot / std::sqrt(double(hs));
            top = std::max(top, score[j]);
          }
          double total = 0;
          for (auto& s : score) total += (s = std::exp(s - top));
          for (int64_t j = 0; j <= i; ++j) {
            const auto v = vec(2, j);
            for (int64_t d = 0; d < hs; ++d) out[b][i][head * hs + d] += score[j] / total * v[d];
          }
        }
      }
    x = x + affine(y, P(model, p + "proj.weight"), P(model, p + "proj.bias"));
    const Tensor h2 = normalise(x, P(model, p + "ln2.weight"), P(model, p + "ln2.bias"), 1e-5);
    const Tensor hidden = apply(affine(h2, P(model, p + "fc1.weight"), P(model, p + "fc1.bias")), gelu);
    x = x + affine(hidden, P(model, p + "fc2.weight"), P(model, p + "fc2.bias"));
  }
  x = normalise(x, P(model, "ln_out.weight"), P(model, "ln_out.bias"), 1e-5);
  return affine(x, P(model, "head.weight"), P(model, "head.bias"));
}

Tensor dssm_oracle(const torch::nn::Module& model, const core::ModelConfig& c, const Tensor& tokens) {
  using cplx = std::complex<double>;
  const int64_t B = tokens.size(0), T = tokens.size(1), D = c.dssm_expand * c.dim, N = c.dssm_state;
  const int64_t R = (c.dim + 15) / 16, width = 4;
  const bool is_complex = c.dssm_eigen == "complex" || c.dssm_eigen == "complex-unit";
  const int64_t parts = is_complex ? 2 : 1;
  Tensor x = embed(P(model, "emb.weight"), tokens);
  for (int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "mixers." + std::to_string(l) + ".";
    const std::string n = "norms." + std::to_string(l) + ".";
    const Tensor u = normalise(x, P(model, n + "weight"), P(model, n + "bias"), 1e-5);
    const Tensor xz = affine(u, P(model, p + "in_proj.weight"));  // (B,T,2D) = [x | z]
    const Tensor conv_w = P(model, p + "conv1d.weight"), conv_b = P(model, p + "conv1d.bias");  // (D,1,4), (D)
    auto xza = xz.accessor<double, 3>();
    auto cw = conv_w.accessor<double, 3>();
    auto cb = conv_b.accessor<double, 1>();
    Tensor xs = torch::zeros({B, T, D}, torch::kDouble);  // SiLU(causal conv)
    auto xsa = xs.accessor<double, 3>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t d = 0; d < D; ++d) {
          double s = cb[d];
          for (int64_t j = 0; j < width; ++j) {
            const int64_t src = t - (width - 1) + j;  // the kernel's last tap is position t
            if (src >= 0) s += cw[d][0][j] * xza[b][src][d];
          }
          xsa[b][t][d] = silu(s);
        }
    const Tensor proj = affine(xs, P(model, p + "x_proj.weight"));  // (B,T,R + 2·N·parts)
    const Tensor delta =
        apply(affine(proj.slice(-1, 0, R), P(model, p + "dt_proj.weight"), P(model, p + "dt_proj.bias")), softplus);
    auto pa = proj.accessor<double, 3>();
    auto da = delta.accessor<double, 3>();
    // A per (d, n) as a complex number: A_re = −exp(A_log) (0 for complex-unit), A_im (0 for the real modes).
    std::vector<cplx> A(D * N);
    {
      const Tensor A_log = c.dssm_eigen == "complex-unit" ? Tensor() : P(model, p + "A_log");
      const Tensor A_im = is_complex ? P(model, p + "A_im") : Tensor();
      for (int64_t d = 0; d < D; ++d)
        for (int64_t k = 0; k < N; ++k)
          A[d * N + k] = cplx(A_log.defined() ? -std::exp(A_log[d][k].item<double>()) : 0.0,
                              A_im.defined() ? A_im[d][k].item<double>() : 0.0);
    }
    const Tensor Dskip = P(model, p + "D");
    auto Ds = Dskip.accessor<double, 1>();
    Tensor y = torch::zeros({B, T, D}, torch::kDouble);
    auto ya = y.accessor<double, 3>();
    for (int64_t b = 0; b < B; ++b) {
      std::vector<cplx> h(D * N, cplx(0, 0));
      for (int64_t t = 0; t < T; ++t) {
        auto coef = [&](int64_t offset, int64_t k) {  // B or C, entry k
          return is_complex ? cplx(pa[b][t][offset + 2 * k], pa[b][t][offset + 2 * k + 1])
                            : cplx(pa[b][t][offset + k], 0.0);
        };
        for (int64_t d = 0; d < D; ++d) {
          const double dt = da[b][t][d], xv = xsa[b][t][d];
          cplx acc(0, 0);
          for (int64_t k = 0; k < N; ++k) {
            const cplx e = std::exp(dt * A[d * N + k]);
            const cplx lambda = c.dssm_eigen == "signed" ? 2.0 * e - 1.0 : e;
            cplx& s = h[d * N + k];
            s = lambda * s + dt * coef(R, k) * xv;
            acc += coef(R + N * parts, k) * s;
          }
          ya[b][t][d] = acc.real() + Ds[d] * xv;
        }
      }
    }
    const Tensor gate = apply(xz.slice(-1, D), silu);
    x = x + affine(y * gate, P(model, p + "out_proj.weight"));
  }
  x = normalise(x, P(model, "ln_out.weight"), P(model, "ln_out.bias"), 1e-5);
  return affine(x, P(model, "head.weight"), P(model, "head.bias"));
}

Tensor lstm_oracle(const torch::nn::Module& model, const core::ModelConfig& c, const Tensor& tokens) {
  const int64_t B = tokens.size(0), T = tokens.size(1), d = c.dim;
  Tensor seq = embed(P(model, "emb.weight"), tokens);  // (B,T,d): the input of layer 0
  for (int64_t l = 0; l < c.layers; ++l) {
    const std::string s = "_l" + std::to_string(l);
    const Tensor W_ih = P(model, "lstm.weight_ih" + s), W_hh = P(model, "lstm.weight_hh" + s);
    const Tensor b_ih = P(model, "lstm.bias_ih" + s), b_hh = P(model, "lstm.bias_hh" + s);
    const Tensor in = affine(seq, W_ih, b_ih);  // (B,T,4d): the input's part of every gate
    auto ia = in.accessor<double, 3>();
    auto wh = W_hh.accessor<double, 2>();
    auto bh = b_hh.accessor<double, 1>();
    Tensor out = torch::zeros({B, T, d}, torch::kDouble);
    auto oa = out.accessor<double, 3>();
    for (int64_t b = 0; b < B; ++b) {
      std::vector<double> h(d, 0.0), cell(d, 0.0), gates(4 * d);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t g = 0; g < 4 * d; ++g) {
          double v = ia[b][t][g] + bh[g];
          for (int64_t k = 0; k < d; ++k) v += wh[g][k] * h[k];
          gates[g] = v;
        }
        for (int64_t k = 0; k < d; ++k) {
          const double i = sigmoid(gates[k]), f = sigmoid(gates[d + k]);
          const double g = std::tanh(gates[2 * d + k]), o = sigmoid(gates[3 * d + k]);
          cell[k] = f * cell[k] + i * g;
          h[k] = o * std::tanh(cell[k]);
          oa[b][t][k] = h[k];
        }
      }
    }
    seq = out;
  }
  const Tensor x = normalise(seq, P(model, "ln_out.weight"), P(model, "ln_out.bias"), 1e-5);
  return affine(x, P(model, "head.weight"), P(model, "head.bias"));
}

}  // namespace goose::testing
