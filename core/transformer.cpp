// The causal pre-LayerNorm Transformer baseline: attention with an explicit causal mask,
// GELU MLP, and learned / sinusoidal / rotary / no positional encoding.
#include "core/transformer.h"

#include <cmath>
#include <limits>

namespace goose::core {

namespace {

constexpr double kPositionBase = 10000.0;

// Rotates the pairs (x_i, x_{i+h/2}) of every head by angle pos·θ_i.
torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.slice(-1, 0, half), x2 = x.slice(-1, half);
  return torch::cat({x1 * cos - x2 * sin, x2 * cos + x1 * sin}, -1);
}

// pe[t, 2i] = sin(t / base^(2i/C)), pe[t, 2i+1] = cos(t / base^(2i/C)).
torch::Tensor sinusoidal_table(int64_t T, int64_t C, const torch::TensorOptions& opts) {
  auto pos = torch::arange(T, opts).unsqueeze(1);
  auto pair = torch::floor(torch::arange(C, opts) / 2.0);
  auto angle = pos * torch::exp(pair * (-2.0 * std::log(kPositionBase) / C));
  auto even = torch::remainder(torch::arange(C, opts), 2.0).eq(0);
  return torch::where(even, torch::sin(angle), torch::cos(angle));
}

}  // namespace

TransformerBlockImpl::TransformerBlockImpl(const ModelConfig& c)
    : heads_(c.dim / c.head_size), head_size_(c.head_size) {
  const int64_t C = c.dim;
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({C})));
  qkv_ = register_module("qkv", torch::nn::Linear(C, 3 * C));
  proj_ = register_module("proj", torch::nn::Linear(C, C));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({C})));
  fc1_ = register_module("fc1", torch::nn::Linear(C, 4 * C));
  fc2_ = register_module("fc2", torch::nn::Linear(4 * C, C));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& rope_cos,
                                            const torch::Tensor& rope_sin) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  auto qkv = qkv_(ln1_(x)).view({B, T, 3, heads_, head_size_}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0], k = qkv[1], v = qkv[2];  // (B,H,T,hs)
  if (rope_cos.defined()) {
    q = rotate(q, rope_cos, rope_sin);
    k = rotate(k, rope_cos, rope_sin);
  }
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_size_));
  auto future = torch::ones({T, T}, x.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  auto attention = torch::softmax(scores, -1);
  if (record_attention_) last_attention_ = attention.detach();
  auto y = torch::matmul(attention, v).transpose(1, 2).reshape({B, T, C});
  auto h = x + proj_(y);
  return h + fc2_(torch::gelu(fc1_(ln2_(h))));
}

TransformerModel::TransformerModel(ModelConfig config) : SequenceModel(std::move(config)) {
  const auto& c = config_;
  emb_ = register_module("emb", torch::nn::Embedding(c.vocab_size, c.dim));
  if (c.pos_encoding == "learned")
    pos_ = register_module("pos", torch::nn::Embedding(c.max_len, c.dim));
  auto list = torch::nn::ModuleList();
  for (int64_t l = 0; l < c.layers; ++l) {
    blocks_.push_back(TransformerBlock(c));
    list->push_back(blocks_.back());
  }
  register_module("blocks", list);
  ln_out_ = register_module("ln_out", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  head_ = register_module("head", torch::nn::Linear(c.dim, c.num_classes));
}

torch::Tensor TransformerModel::forward(const torch::Tensor& tokens) {
  check_tokens(tokens, 2);
  const int64_t T = tokens.size(1);
  const auto& pe = config_.pos_encoding;
  if (pe == "learned" && T > config_.max_len)
    throw std::invalid_argument("transformer: sequence length " + std::to_string(T) +
                                " exceeds max_len " + std::to_string(config_.max_len) +
                                " of the learned positions");
  auto x = emb_(tokens);
  const auto opts = x.options();
  torch::Tensor cos, sin;
  if (pe == "learned") {
    x = x + pos_(torch::arange(T, tokens.options()));
  } else if (pe == "sinusoidal") {
    x = x + sinusoidal_table(T, config_.dim, opts);
  } else if (pe == "rope") {
    const int64_t half = config_.head_size / 2;
    auto theta = torch::exp(torch::arange(half, opts) *
                            (-2.0 * std::log(kPositionBase) / config_.head_size));
    auto angle = torch::arange(T, opts).unsqueeze(1) * theta;  // (T, half)
    cos = torch::cos(angle);
    sin = torch::sin(angle);
  }
  for (auto& block : blocks_) x = block(x, cos, sin);
  return head_(ln_out_(x));
}

std::vector<torch::Tensor> TransformerModel::attention(const torch::Tensor& tokens) {
  for (auto& b : blocks_) b->record_attention_ = true;
  {
    torch::NoGradGuard no_grad;
    forward(tokens);
  }
  std::vector<torch::Tensor> out;
  for (auto& b : blocks_) {
    b->record_attention_ = false;
    out.push_back(std::move(b->last_attention_));
    b->last_attention_ = torch::Tensor();
  }
  return out;
}

}  // namespace goose::core
