// The Mamba-style diagonal SSM: eigenvalue classes, mixer, blocks and model. forward() and
// step() share one path (a conv window and a scan that start from carried state), so they
// agree exactly.
#include "core/dssm.h"

#include <cmath>
#include <stdexcept>

#include "kernels/causal_conv.h"
#include "kernels/selective_scan.h"

namespace goose::core {

namespace {
constexpr double kDtMin = 1e-3, kDtMax = 1e-1, kDtFloor = 1e-4;

bool is_complex(DssmEigen e) { return e == DssmEigen::Complex || e == DssmEigen::ComplexUnit; }

kernels::ScanMode scan_mode_of(DssmEigen e) {
  switch (e) {
    case DssmEigen::Real: return kernels::ScanMode::Real;
    case DssmEigen::Signed: return kernels::ScanMode::Signed;
    case DssmEigen::Complex:
    case DssmEigen::ComplexUnit: return kernels::ScanMode::Complex;
  }
  return kernels::ScanMode::Real;
}
}  // namespace

DssmEigen parse_dssm_eigen(const std::string& name) {
  if (name == "real") return DssmEigen::Real;
  if (name == "signed") return DssmEigen::Signed;
  if (name == "complex") return DssmEigen::Complex;
  if (name == "complex-unit") return DssmEigen::ComplexUnit;
  throw std::invalid_argument("model: unknown dssm_eigen '" + name +
                              "' (use real, signed, complex or complex-unit)");
}

DssmMixerImpl::DssmMixerImpl(const ModelConfig& c)
    : inner_(c.dssm_expand * c.dim),
      state_(c.dssm_state),
      dt_rank_((c.dim + 15) / 16),
      eigen_(parse_dssm_eigen(c.dssm_eigen)),
      mode_(scan_mode_of(eigen_)),
      impl_(kernel_choice(c.kernel).recurrence),
      kernel_(kernel_choice(c.kernel)) {
  const int64_t C = c.dim, D = inner_, N = state_, R = dt_rank_;
  const int64_t parts = is_complex(eigen_) ? 2 : 1;
  using torch::nn::LinearOptions;
  in_proj_ = register_module("in_proj", torch::nn::Linear(LinearOptions(C, 2 * D).bias(false)));
  conv1d_ = register_module(
      "conv1d", torch::nn::Conv1d(torch::nn::Conv1dOptions(D, D, kConvWidth).groups(D)));
  x_proj_ = register_module(
      "x_proj", torch::nn::Linear(LinearOptions(D, R + 2 * N * parts).bias(false)));
  dt_proj_ = register_module("dt_proj", torch::nn::Linear(R, D));
  out_proj_ = register_module("out_proj", torch::nn::Linear(LinearOptions(D, C).bias(false)));
  const auto n = torch::arange(N, torch::kFloat);  // 0..N−1
  if (!is_complex(eigen_)) {  // S4D-real: A = −(1..N)
    A_log_ = register_parameter("A_log", torch::log(n + 1.0).repeat({D, 1}));
  } else {  // S4D-Lin: A = −1/2 + iπn
    if (eigen_ == DssmEigen::Complex)
      A_log_ = register_parameter("A_log", torch::full({D, N}, std::log(0.5f)));
    A_im_ = register_parameter("A_im", (M_PI * n).repeat({D, 1}));
  }
  D_ = register_parameter("D", torch::ones({D}));

  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(R));
  dt_proj_->weight.uniform_(-bound, bound);
  auto dt = torch::exp(torch::rand({D}) * (std::log(kDtMax) - std::log(kDtMin)) + std::log(kDtMin))
                .clamp_min(kDtFloor);
  dt_proj_->bias.copy_(dt + torch::log(-torch::expm1(-dt)));  // softplus⁻¹(dt)
}

torch::Tensor DssmMixerImpl::A() const {
  switch (eigen_) {
    case DssmEigen::Real:
    case DssmEigen::Signed: return -torch::exp(A_log_);
    case DssmEigen::Complex: return torch::stack({-torch::exp(A_log_), A_im_}, -1);
    case DssmEigen::ComplexUnit: return torch::stack({torch::zeros_like(A_im_), A_im_}, -1);
  }
  return {};
}

DssmMixerImpl::ScanInputs DssmMixerImpl::prepare(const torch::Tensor& u,
                                                 const torch::Tensor& conv) {
  const int64_t B = u.size(0), T = u.size(1), N = state_;
  const bool cx = is_complex(eigen_);
  auto xz = in_proj_(u).chunk(2, -1);
  const int64_t W = kConvWidth - 1;
  ScanInputs in;
  if (fused_applies(kernel_, u, "dssm")) {  // one pass; the chain below is its reference
    in.x = kernels::causal_conv_silu(xz[0], conv, conv1d_->weight, conv1d_->bias);
    in.window = T >= W ? xz[0].slice(1, T - W).transpose(1, 2)
                       : torch::cat({conv.defined() ? conv : torch::zeros({B, inner_, W}, u.options()),
                                     xz[0].transpose(1, 2)}, 2).slice(2, T);
  } else {
    auto window = conv.defined() ? conv : torch::zeros({B, inner_, W}, u.options());
    const auto ext = torch::cat({window, xz[0].transpose(1, 2)}, 2);  // (B,D,T+3)
    in.x = torch::silu(conv1d_(ext)).transpose(1, 2).contiguous();   // (B,T,D)
    in.window = ext.slice(2, T);
  }
  const int64_t width = cx ? 2 * N : N;
  auto parts = x_proj_(in.x).split_with_sizes({dt_rank_, width, width}, -1);
  in.delta = torch::softplus(dt_proj_(parts[0])).contiguous();
  in.Bm = cx ? parts[1].reshape({B, T, N, 2}) : parts[1].contiguous();
  in.Cm = cx ? parts[2].reshape({B, T, N, 2}) : parts[2].contiguous();
  in.z = xz[1];
  return in;
}

DssmMixerImpl::Output DssmMixerImpl::forward(const torch::Tensor& u, const torch::Tensor& conv,
                                             const torch::Tensor& h0) {
  const ScanInputs in = prepare(u, conv);
  // The scan runs in the parameters' precision even under bf16 autocast (a no-op otherwise).
  auto f32 = [&](const torch::Tensor& t) { return t.to(D_.scalar_type()); };
  auto [y, h] = kernels::selective_scan(f32(in.x), f32(in.delta), A(), f32(in.Bm), f32(in.Cm), D_, h0,
                                        mode_, impl_);
  auto out = out_proj_(y * torch::silu(in.z));
  return {out, in.window, h};
}

DssmEigenvalues DssmMixerImpl::eigenvalues(const torch::Tensor& u) {
  const ScanInputs in = prepare(u, {});
  const torch::Tensor dt = in.delta.unsqueeze(-1);  // (B,T,D,1)
  const torch::Tensor a = A();
  if (!is_complex(eigen_)) {
    const torch::Tensor e = torch::exp(dt * a);
    const torch::Tensor value = eigen_ == DssmEigen::Signed ? 2.0 * e - 1.0 : e;
    return {value, value.abs()};
  }
  const torch::Tensor modulus = torch::exp(dt * a.select(-1, 0)), angle = dt * a.select(-1, 1);
  return {torch::stack({modulus * torch::cos(angle), modulus * torch::sin(angle)}, -1), modulus};
}

DssmModel::DssmModel(ModelConfig config) : SequenceModel(std::move(config)) {
  const auto& c = config_;
  emb_ = register_module("emb", torch::nn::Embedding(c.vocab_size, c.dim));
  auto norms = torch::nn::ModuleList(), mixers = torch::nn::ModuleList();
  for (int64_t l = 0; l < c.layers; ++l) {
    norms_.push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
    mixers_.push_back(DssmMixer(c));
    norms->push_back(norms_.back());
    mixers->push_back(mixers_.back());
  }
  register_module("norms", norms);
  register_module("mixers", mixers);
  ln_out_ = register_module("ln_out", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  head_ = register_module("head", torch::nn::Linear(c.dim, c.num_classes));
}

torch::Tensor DssmModel::run(const torch::Tensor& tokens, std::vector<torch::Tensor>* state) {
  auto x = emb_(tokens);
  for (size_t l = 0; l < mixers_.size(); ++l) {
    torch::Tensor conv, h;
    if (state) {
      conv = (*state)[2 * l];
      h = (*state)[2 * l + 1];
    }
    auto mixed = mixers_[l](norms_[l](x), conv, h);
    x = x + mixed.out;
    if (state) {
      (*state)[2 * l] = mixed.conv;
      (*state)[2 * l + 1] = mixed.h;
    }
  }
  return head_(ln_out_(x));
}

torch::Tensor DssmModel::forward(const torch::Tensor& tokens) {
  check_tokens(tokens, 2);
  return run(tokens, nullptr);
}

std::vector<DssmEigenvalues> DssmModel::eigenvalues(const torch::Tensor& tokens) {
  check_tokens(tokens, 2);
  torch::NoGradGuard no_grad;
  std::vector<DssmEigenvalues> out;
  auto x = emb_(tokens);
  for (size_t l = 0; l < mixers_.size(); ++l) {
    const auto u = norms_[l](x);
    out.push_back(mixers_[l]->eigenvalues(u));
    x = x + mixers_[l](u, torch::Tensor(), torch::Tensor()).out;
  }
  return out;
}

int64_t DssmModel::state_components() const {
  return is_complex(parse_dssm_eigen(config_.dssm_eigen)) ? 2 : 1;
}

std::vector<torch::Tensor> DssmModel::initial_state(int64_t batch) {
  const auto opts = emb_->weight.options();
  const int64_t D = config_.dssm_expand * config_.dim, N = config_.dssm_state;
  std::vector<int64_t> h_shape = {batch, D, N};
  if (state_components() == 2) h_shape.push_back(2);
  std::vector<torch::Tensor> state;
  for (int64_t l = 0; l < config_.layers; ++l) {
    state.push_back(torch::zeros({batch, D, DssmMixerImpl::kConvWidth - 1}, opts));
    state.push_back(torch::zeros(h_shape, opts));
  }
  return state;
}

torch::Tensor DssmModel::step(const torch::Tensor& token, std::vector<torch::Tensor>& state) {
  check_tokens(token, 1);
  if (static_cast<int64_t>(state.size()) != 2 * config_.layers)
    throw std::invalid_argument("dssm step: state has " + std::to_string(state.size()) +
                                " tensors, expected " + std::to_string(2 * config_.layers));
  return run(token.unsqueeze(1), &state).squeeze(1);
}

torch::Tensor DssmModel::forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) {
  check_tokens(tokens, 2);
  if (static_cast<int64_t>(state.size()) != 2 * config_.layers)
    throw std::invalid_argument("dssm forward_from: state has " + std::to_string(state.size()) +
                                " tensors, expected " + std::to_string(2 * config_.layers));
  return run(tokens, &state);
}

int64_t DssmModel::state_floats() const {
  const int64_t D = config_.dssm_expand * config_.dim;
  return config_.layers * (D * config_.dssm_state * state_components() +
                           (DssmMixerImpl::kConvWidth - 1) * D);
}

}  // namespace goose::core
