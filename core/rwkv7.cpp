// RWKV-7 time mixing, channel mixing, blocks and the model (REFERENCE.md §1). forward() and
// step() share one code path: a token shift that starts from a carried previous input and a
// WKV call that starts from a carried state, so step mode reproduces forward() exactly.
#include "core/rwkv7.h"

#include <algorithm>
#include <cmath>

#include "core/device.h"

namespace goose::core {

namespace F = torch::nn::functional;

namespace {

constexpr double kReleasedDecayScale = 0.6065306597;  // e^{-1/2}: w in (e^{-e^{-1/2}}, 1)
// exp(-exp(u)) is 0 in fp32 beyond u ≈ 4.5; clamping u at 20 keeps the gradient finite there.
constexpr double kMaxLogDecay = 20.0;

int64_t auto_lora(double factor, int64_t dim) {
  const double raw = factor * std::sqrt(static_cast<double>(dim));
  if (dim > 128) return std::max<int64_t>(32, 32 * std::llround(raw / 32.0));
  return std::clamp<int64_t>(8 * std::llround(raw / 16.0), 8, 16);
}

// shift(x)_t = x_{t-1}, with x_prev (or zeros) before the first position.
torch::Tensor token_shift(const torch::Tensor& x, const torch::Tensor& x_prev) {
  auto first =
      x_prev.defined() ? x_prev.unsqueeze(1) : torch::zeros_like(x.select(1, 0)).unsqueeze(1);
  return torch::cat({first, x.slice(1, 0, x.size(1) - 1)}, 1);
}

// 1 - ddd^p with ddd_i = i/C.
torch::Tensor mix_init(int64_t dim, double power) {
  auto ddd = torch::arange(dim, torch::kFloat) / static_cast<double>(dim);
  return 1.0 - torch::pow(ddd, power);
}

}  // namespace

torch::Tensor rwkv7_special_eigenvalues(const Rwkv7Rates& rates, int64_t head_size) {
  const int64_t B = rates.w.size(0), T = rates.w.size(1), N = head_size, H = rates.w.size(2) / N;
  auto heads = [&](const torch::Tensor& t) { return t.to(torch::kDouble).reshape({B, T, H, N}); };
  const auto w = heads(rates.w), u = torch::sqrt(heads(rates.a)) * heads(rates.kk);
  const auto g = torch::diag_embed(w) - u.unsqueeze(-1) * u.unsqueeze(-2);  // (B,T,H,N,N)
  return torch::linalg_eigvalsh(g).select(-1, 0);  // ascending: the first is the smallest
}

Rwkv7LoraSizes rwkv7_lora_sizes(const ModelConfig& c) {
  auto pick = [&](int64_t given, double factor) {
    return given > 0 ? given : auto_lora(factor, c.dim);
  };
  return {pick(c.rwkv_lora_decay, 2.5), pick(c.rwkv_lora_a, 2.5), pick(c.rwkv_lora_value, 1.7),
          pick(c.rwkv_lora_gate, 5.0)};
}

// ---------------------------------------------------------------------------------------
Rwkv7TimeMixImpl::Rwkv7TimeMixImpl(const ModelConfig& c, int64_t layer)
    : layer_(layer),
      heads_(c.dim / c.head_size),
      head_size_(c.head_size),
      rate_(c.rwkv_rate),
      decay_(c.rwkv_decay),
      kernel_(kernel_choice(c.kernel)),
      impl_(kernel_.recurrence) {
  const int64_t C = c.dim, N = c.head_size, L = c.layers;
  const auto lora = rwkv7_lora_sizes(c);
  // r01 = l/(L-1) is 0/0 for a single layer; the official code has no such case: use 0.
  const double r01 = L > 1 ? static_cast<double>(layer) / (L - 1) : 0.0;
  const double r10 = 1.0 - static_cast<double>(layer) / L;

  auto n = torch::arange(C, torch::kFloat);
  auto linear = n / static_cast<double>(std::max<int64_t>(C - 1, 1)) - 0.5;
  auto zigzag = torch::zeros({C});
  if (N > 1) {
    auto z = (torch::remainder(n, N) - (N - 1) / 2.0) / ((N - 1) / 2.0);
    zigzag = z * z.abs();
  }
  auto www = -6.0 + 6.0 * torch::pow(n / static_cast<double>(std::max<int64_t>(C - 1, 1)),
                                     1.0 + std::pow(r01, 0.3));

  x_r_ = register_parameter("x_r", mix_init(C, 0.2 * r10));
  x_w_ = register_parameter("x_w", mix_init(C, 0.9 * r10));
  x_k_ = register_parameter("x_k", mix_init(C, 0.7 * r10));
  x_v_ = register_parameter("x_v", mix_init(C, 0.7 * r10));
  x_a_ = register_parameter("x_a", mix_init(C, 0.9 * r10));
  x_g_ = register_parameter("x_g", mix_init(C, 0.2 * r10));

  // Low-rank B matrices: orthogonal rows times 0.1 (the official ortho_init's gain is 1
  // because rank < C); A matrices start at zero.
  auto lora_b = [&](int64_t rank) {
    auto m = torch::empty({rank, C});
    torch::NoGradGuard no_grad;
    const double gain = rank > C ? std::sqrt(static_cast<double>(rank) / C) : 1.0;
    torch::nn::init::orthogonal_(m, gain * 0.1);
    return m;
  };
  // The released decay is w = exp(-e^{-1/2}·σ(z)) with z = w0 + lora. The unclamped one is
  // w = exp(-exp(u)) with u = w0 + lora, and its w0 = log(e^{-1/2}·σ(z0)) makes both start
  // from the same w (the lora term is zero at initialisation): only the reachable range differs.
  auto released_w0 = www + 0.5 + 2.5 * zigzag;
  w0_ = register_parameter("w0", decay_ == "clamped"
                                     ? released_w0
                                     : std::log(kReleasedDecayScale) + F::logsigmoid(released_w0));
  w1_ = register_parameter("w1", torch::zeros({C, lora.decay}));
  w2_ = register_parameter("w2", lora_b(lora.decay));
  a0_ = register_parameter("a0", -0.19 + 0.3 * zigzag + 0.4 * linear);
  a1_ = register_parameter("a1", torch::zeros({C, lora.a}));
  a2_ = register_parameter("a2", lora_b(lora.a));
  if (layer > 0) {  // layer 0 produces v_first and has no value residual
    v0_ = register_parameter("v0", 0.73 - 0.4 * linear);
    v1_ = register_parameter("v1", torch::zeros({C, lora.value}));
    v2_ = register_parameter("v2", lora_b(lora.value));
  }
  g1_ = register_parameter("g1", torch::zeros({C, lora.gate}));
  g2_ = register_parameter("g2", lora_b(lora.gate));
  k_k_ = register_parameter("k_k", 0.71 - 0.1 * linear);
  k_a_ = register_parameter("k_a", torch::full({C}, 1.02));
  r_k_ = register_parameter("r_k", torch::full({heads_, N}, -0.04));

  auto linear_layer = [&](const char* name) {
    return register_module(name, torch::nn::Linear(torch::nn::LinearOptions(C, C).bias(false)));
  };
  receptance_ = linear_layer("receptance");
  key_ = linear_layer("key");
  value_ = linear_layer("value");
  output_ = linear_layer("output");
  ln_x_ = register_module("ln_x",
                          torch::nn::GroupNorm(torch::nn::GroupNormOptions(heads_, C).eps(64e-5)));

  torch::NoGradGuard no_grad;
  if (c.rwkv_init == "official") {  // train.py's generate_init_weight
    torch::nn::init::orthogonal_(receptance_->weight, 1.0);
    torch::nn::init::orthogonal_(key_->weight, 0.1);
    torch::nn::init::orthogonal_(value_->weight, 1.0);
  } else {  // the single-file trainer
    const double s = 1.0 / std::sqrt(static_cast<double>(C));
    receptance_->weight.uniform_(-0.5 * s, 0.5 * s);
    key_->weight.uniform_(-0.05 * s, 0.05 * s);
    value_->weight.uniform_(-0.5 * s, 0.5 * s);
  }
  output_->weight.zero_();
  ln_x_->weight.fill_(std::pow((1.0 + layer) / L, 0.7));
  ln_x_->bias.zero_();
}

bool Rwkv7TimeMixImpl::use_fused(const torch::Tensor& x) const {
  return fused_applies(kernel_, x, "rwkv7") && !(record_rates_ && torch::GradMode::is_enabled());
}

Rwkv7TimeMixImpl::Output Rwkv7TimeMixImpl::forward_fused(const torch::Tensor& x,
                                                         const torch::Tensor& v_first_in,
                                                         const torch::Tensor& x_prev,
                                                         const torch::Tensor& s0) {
  kernels::Rwkv7TimeMixParams p;
  p.x_r = x_r_, p.x_w = x_w_, p.x_k = x_k_, p.x_v = x_v_, p.x_a = x_a_, p.x_g = x_g_;
  p.w0 = w0_, p.w1 = w1_, p.w2 = w2_, p.a0 = a0_, p.a1 = a1_, p.a2 = a2_;
  p.v0 = v0_, p.v1 = v1_, p.v2 = v2_, p.g1 = g1_, p.g2 = g2_;
  p.k_k = k_k_, p.k_a = k_a_, p.r_k = r_k_;
  p.receptance = receptance_->weight, p.key = key_->weight, p.value = value_->weight;
  p.output = output_->weight;
  p.ln_w = ln_x_->weight, p.ln_b = ln_x_->bias;
  p.rate = rate_ == "released"  ? kernels::Rwkv7Rate::Released
           : rate_ == "relaxed" ? kernels::Rwkv7Rate::Relaxed
                                : kernels::Rwkv7Rate::Stable;
  p.decay = decay_ == "clamped" ? kernels::Rwkv7Decay::Clamped : kernels::Rwkv7Decay::Unclamped;
  p.head_size = head_size_;
  p.group_norm_eps = ln_x_->options.eps();
  auto r = kernels::rwkv7_time_mix(x, layer_ == 0 ? torch::Tensor() : v_first_in, x_prev, s0, p,
                                   record_rates_);
  if (record_rates_) last_rates_ = {r.w, r.a, r.kk};
  return {r.out, layer_ == 0 ? r.v_first : v_first_in, x.select(1, x.size(1) - 1), r.state};
}

Rwkv7TimeMixImpl::Output Rwkv7TimeMixImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& v_first_in,
                                                   const torch::Tensor& x_prev,
                                                   const torch::Tensor& s0) {
  if (use_fused(x)) return forward_fused(x, v_first_in, x_prev, s0);
  // The unfused chain: the reference of the fused op, and the path on CUDA and in double.
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = heads_, N = head_size_;
  auto xx = token_shift(x, x_prev) - x;
  auto xr = x + xx * x_r_, xw = x + xx * x_w_, xk = x + xx * x_k_;
  auto xv = x + xx * x_v_, xa = x + xx * x_a_, xg = x + xx * x_g_;

  auto r = receptance_(xr);
  auto z = w0_ + torch::matmul(torch::tanh(torch::matmul(xw, w1_)), w2_);
  auto w = decay_ == "clamped" ? torch::exp(-kReleasedDecayScale * torch::sigmoid(z))
                               : torch::exp(-torch::exp(torch::clamp_max(z, kMaxLogDecay)));
  auto k = key_(xk);
  auto v = value_(xv);
  torch::Tensor v_first;
  if (layer_ == 0) {
    v_first = v;
  } else {
    v_first = v_first_in;
    v = v + (v_first - v) * torch::sigmoid(v0_ + torch::matmul(torch::matmul(xv, v1_), v2_));
  }
  auto a_logit = a0_ + torch::matmul(torch::matmul(xa, a1_), a2_);
  // The rate range: (0,1) released; (0,2) relaxed; (1+w)·σ stable, which keeps the special
  // eigenvalue of diag(w) − κ̂ᵀ(a⊙κ̂) above −1 (Σ a_i κ̂_i² / (1 + w_i) < 1, REFERENCE.md §1).
  auto a = rate_ == "released" ? torch::sigmoid(a_logit)
           : rate_ == "relaxed" ? 2.0 * torch::sigmoid(a_logit)
                                : (1.0 + w) * torch::sigmoid(a_logit);
  auto g = torch::matmul(torch::sigmoid(torch::matmul(xg, g1_)), g2_);

  auto kk = F::normalize((k * k_k_).view({B, T, H, N}),
                         F::NormalizeFuncOptions().p(2.0).dim(-1).eps(1e-12))
                .view({B, T, C});
  k = k * (1.0 + (a - 1.0) * k_a_);
  if (record_rates_) last_rates_ = {w.detach(), a.detach(), kk.detach()};

  // The recurrence runs in the parameters' precision even under bf16 autocast (a no-op otherwise).
  auto heads = [&](const torch::Tensor& t) { return t.reshape({B, T, H, N}).to(w0_.scalar_type()); };
  auto [y, state] =
      kernels::wkv7(heads(r), heads(w), heads(k), heads(v), heads(-kk), heads(kk * a), s0, impl_);
  auto out = ln_x_(y.reshape({B * T, C})).view({B, T, C});
  auto bonus = (heads(r) * heads(k) * r_k_).sum(-1, /*keepdim=*/true) * heads(v);
  out = out + bonus.view({B, T, C});
  out = output_(out * g);
  return {out, v_first, x.select(1, T - 1), state};
}

// ---------------------------------------------------------------------------------------
Rwkv7ChannelMixImpl::Rwkv7ChannelMixImpl(const ModelConfig& c, int64_t layer)
    : kernel_(kernel_choice(c.kernel)) {
  const int64_t C = c.dim;
  const double r10 = 1.0 - static_cast<double>(layer) / c.layers;
  x_k_ = register_parameter("x_k", mix_init(C, std::pow(r10, 4)));
  key_ = register_module("key", torch::nn::Linear(torch::nn::LinearOptions(C, 4 * C).bias(false)));
  value_ =
      register_module("value", torch::nn::Linear(torch::nn::LinearOptions(4 * C, C).bias(false)));
  torch::NoGradGuard no_grad;
  if (c.rwkv_init == "official") {
    torch::nn::init::orthogonal_(key_->weight, 1.0);
  } else {
    const double s = 0.5 / std::sqrt(static_cast<double>(C));
    key_->weight.uniform_(-s, s);
  }
  value_->weight.zero_();
}

std::pair<torch::Tensor, torch::Tensor> Rwkv7ChannelMixImpl::forward(const torch::Tensor& x,
                                                                     const torch::Tensor& x_prev) {
  if (fused_applies(kernel_, x, "rwkv7"))
    return {kernels::rwkv7_channel_mix(x, x_prev, x_k_, key_->weight, value_->weight),
            x.select(1, x.size(1) - 1)};
  auto k = x + (token_shift(x, x_prev) - x) * x_k_;
  auto hidden = torch::relu(key_(k)).square();
  return {value_(hidden), x.select(1, x.size(1) - 1)};
}

// ---------------------------------------------------------------------------------------
Rwkv7BlockImpl::Rwkv7BlockImpl(const ModelConfig& c, int64_t layer) {
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim}).eps(1e-5)); };
  ln1_ = register_module("ln1", ln());
  ln2_ = register_module("ln2", ln());
  att_ = register_module("att", Rwkv7TimeMix(c, layer));
  ffn_ = register_module("ffn", Rwkv7ChannelMix(c, layer));
}

// ---------------------------------------------------------------------------------------
Rwkv7Model::Rwkv7Model(ModelConfig config)
    : SequenceModel(std::move(config)), kernel_(kernel_choice(config_.kernel)) {
  const auto& c = config_;
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim}).eps(1e-5)); };
  emb_ = register_module("emb", torch::nn::Embedding(c.vocab_size, c.dim));
  ln0_ = register_module("ln0", ln());
  auto list = torch::nn::ModuleList();
  for (int64_t l = 0; l < c.layers; ++l) {
    blocks_.push_back(Rwkv7Block(c, l));
    list->push_back(blocks_.back());
  }
  register_module("blocks", list);
  ln_out_ = register_module("ln_out", ln());
  head_ = register_module(
      "head", torch::nn::Linear(torch::nn::LinearOptions(c.dim, c.num_classes).bias(false)));

  torch::NoGradGuard no_grad;
  emb_->weight.uniform_(-1e-4, 1e-4);
  // The official head init: orthogonal, gain 0.5·√(V/C) when V > C, else 0.5.
  const double gain =
      c.num_classes > c.dim ? 0.5 * std::sqrt(static_cast<double>(c.num_classes) / c.dim) : 0.5;
  torch::nn::init::orthogonal_(head_->weight, gain);
}

torch::Tensor Rwkv7Model::norm(torch::nn::LayerNorm& ln, const torch::Tensor& x) const {
  if (fused_applies(kernel_, x, "rwkv7"))
    return kernels::rwkv7_layer_norm(x, ln->weight, ln->bias, ln->options.eps());
  return ln(x);
}

torch::Tensor Rwkv7Model::run(const torch::Tensor& tokens, std::vector<torch::Tensor>* state) {
  auto x = norm(ln0_, emb_(tokens));
  torch::Tensor v_first;
  for (size_t l = 0; l < blocks_.size(); ++l) {
    auto& block = *blocks_[l];
    torch::Tensor att_prev, ffn_prev, wkv;
    if (state) {
      att_prev = (*state)[3 * l];
      ffn_prev = (*state)[3 * l + 1];
      wkv = (*state)[3 * l + 2];
    }
    auto att = block.att_(norm(block.ln1_, x), v_first, att_prev, wkv);
    x = x + att.out;
    v_first = att.v_first;
    auto [ffn_out, ffn_last] = block.ffn_(norm(block.ln2_, x), ffn_prev);
    x = x + ffn_out;
    if (state) {
      (*state)[3 * l] = att.last_x;
      (*state)[3 * l + 1] = ffn_last;
      (*state)[3 * l + 2] = att.state;
    }
  }
  return head_(norm(ln_out_, x));
}

torch::Tensor Rwkv7Model::forward(const torch::Tensor& tokens) {
  check_tokens(tokens, 2);
  return run(tokens, nullptr);
}

std::vector<torch::Tensor> Rwkv7Model::initial_state(int64_t batch) {
  const auto opts = emb_->weight.options();
  const int64_t C = config_.dim, N = config_.head_size, H = C / N;
  std::vector<torch::Tensor> state;
  for (int64_t l = 0; l < config_.layers; ++l) {
    state.push_back(torch::zeros({batch, C}, opts));
    state.push_back(torch::zeros({batch, C}, opts));
    state.push_back(torch::zeros({batch, H, N, N}, opts));
  }
  return state;
}

torch::Tensor Rwkv7Model::step(const torch::Tensor& token, std::vector<torch::Tensor>& state) {
  check_tokens(token, 1);
  if (static_cast<int64_t>(state.size()) != 3 * config_.layers)
    throw std::invalid_argument("rwkv7 step: state has " + std::to_string(state.size()) +
                                " tensors, expected " + std::to_string(3 * config_.layers));
  return run(token.unsqueeze(1), &state).squeeze(1);
}

torch::Tensor Rwkv7Model::forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) {
  check_tokens(tokens, 2);
  if (static_cast<int64_t>(state.size()) != 3 * config_.layers)
    throw std::invalid_argument("rwkv7 forward_from: state has " + std::to_string(state.size()) +
                                " tensors, expected " + std::to_string(3 * config_.layers));
  return run(tokens, &state);
}

int64_t Rwkv7Model::state_floats() const {
  const int64_t C = config_.dim, N = config_.head_size;
  return config_.layers * ((C / N) * N * N + 2 * C);
}

std::vector<ParameterGroup> Rwkv7Model::parameter_groups() const {
  std::vector<ParameterGroup> groups = SequenceModel::parameter_groups();
  // Move every layer's w0 out of the plain group into its own at twice the learning rate.
  std::vector<torch::Tensor> w0s;
  for (const auto& item : named_parameters())
    if (item.key().size() >= 3 && item.key().compare(item.key().size() - 3, 3, ".w0") == 0)
      w0s.push_back(item.value());
  for (auto& group : groups)
    group.params.erase(std::remove_if(group.params.begin(), group.params.end(),
                                      [&](const torch::Tensor& p) {
                                        for (const auto& w0 : w0s)
                                          if (p.is_same(w0)) return true;
                                        return false;
                                      }),
                       group.params.end());
  groups.push_back({"w0", w0s, 2.0, false});
  return groups;
}

std::vector<Rwkv7Rates> Rwkv7Model::rates(const torch::Tensor& tokens) {
  for (auto& b : blocks_) b->att_->record_rates_ = true;
  {
    torch::NoGradGuard no_grad;
    forward(tokens);
  }
  std::vector<Rwkv7Rates> out;
  for (auto& b : blocks_) {
    b->att_->record_rates_ = false;
    out.push_back(std::move(b->att_->last_rates_));
    b->att_->last_rates_ = {};
  }
  return out;
}

}  // namespace goose::core
