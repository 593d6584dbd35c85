// The Mamba-style diagonal SSM: mixer, blocks and model. forward() and step() share one
// path (a conv window and a scan that start from carried state), so they agree exactly.
#include "core/dssm.h"

#include <cmath>

#include "kernels/selective_scan.h"

namespace goose::core {

namespace {
constexpr double kDtMin = 1e-3, kDtMax = 1e-1, kDtFloor = 1e-4;
}

DssmMixerImpl::DssmMixerImpl(const ModelConfig& c)
    : inner_(c.dssm_expand * c.dim),
      state_(c.dssm_state),
      dt_rank_((c.dim + 15) / 16),
      signed_(c.dssm_eigen == "signed"),
      impl_(kernels::parse_impl(c.kernel)) {
  const int64_t C = c.dim, D = inner_, N = state_, R = dt_rank_;
  using torch::nn::LinearOptions;
  in_proj_ = register_module("in_proj", torch::nn::Linear(LinearOptions(C, 2 * D).bias(false)));
  conv1d_ = register_module(
      "conv1d", torch::nn::Conv1d(torch::nn::Conv1dOptions(D, D, kConvWidth).groups(D)));
  x_proj_ = register_module("x_proj", torch::nn::Linear(LinearOptions(D, R + 2 * N).bias(false)));
  dt_proj_ = register_module("dt_proj", torch::nn::Linear(R, D));
  out_proj_ = register_module("out_proj", torch::nn::Linear(LinearOptions(D, C).bias(false)));
  A_log_ = register_parameter("A_log",
                              torch::log(torch::arange(1, N + 1, torch::kFloat)).repeat({D, 1}));
  D_ = register_parameter("D", torch::ones({D}));

  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(R));
  dt_proj_->weight.uniform_(-bound, bound);
  auto dt = torch::exp(torch::rand({D}) * (std::log(kDtMax) - std::log(kDtMin)) + std::log(kDtMin))
                .clamp_min(kDtFloor);
  dt_proj_->bias.copy_(dt + torch::log(-torch::expm1(-dt)));  // softplus⁻¹(dt)
}

DssmMixerImpl::Output DssmMixerImpl::forward(const torch::Tensor& u, const torch::Tensor& conv,
                                             const torch::Tensor& h0) {
  const int64_t B = u.size(0), T = u.size(1);
  auto xz = in_proj_(u).chunk(2, -1);
  auto window = conv.defined() ? conv : torch::zeros({B, inner_, kConvWidth - 1}, u.options());
  auto ext = torch::cat({window, xz[0].transpose(1, 2)}, 2);        // (B,D,T+3)
  auto x = torch::silu(conv1d_(ext)).transpose(1, 2).contiguous();  // (B,T,D)
  auto parts = x_proj_(x).split_with_sizes({dt_rank_, state_, state_}, -1);
  auto delta = torch::softplus(dt_proj_(parts[0])).contiguous();
  auto A = -torch::exp(A_log_);
  auto [y, h] = kernels::selective_scan(x, delta, A, parts[1].contiguous(), parts[2].contiguous(),
                                        D_, h0, signed_ ? kernels::ScanMode::Signed : kernels::ScanMode::Real, impl_);
  auto out = out_proj_(y * torch::silu(xz[1]));
  return {out, ext.slice(2, T), h};
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

std::vector<torch::Tensor> DssmModel::initial_state(int64_t batch) {
  const auto opts = emb_->weight.options();
  const int64_t D = config_.dssm_expand * config_.dim;
  std::vector<torch::Tensor> state;
  for (int64_t l = 0; l < config_.layers; ++l) {
    state.push_back(torch::zeros({batch, D, DssmMixerImpl::kConvWidth - 1}, opts));
    state.push_back(torch::zeros({batch, D, config_.dssm_state}, opts));
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

int64_t DssmModel::state_floats() const {
  const int64_t D = config_.dssm_expand * config_.dim;
  return config_.layers * (D * config_.dssm_state + (DssmMixerImpl::kConvWidth - 1) * D);
}

}  // namespace goose::core
