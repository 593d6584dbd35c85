// The LSTM baseline: embedding, a multi-layer torch::nn::LSTM, final LayerNorm and head,
// with step mode carrying (h, c).
#include "core/lstm.h"

namespace goose::core {

LstmModel::LstmModel(ModelConfig config) : SequenceModel(std::move(config)) {
  const auto& c = config_;
  emb_ = register_module("emb", torch::nn::Embedding(c.vocab_size, c.dim));
  lstm_ = register_module(
      "lstm",
      torch::nn::LSTM(torch::nn::LSTMOptions(c.dim, c.dim).num_layers(c.layers).batch_first(true)));
  ln_out_ = register_module("ln_out", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dim})));
  head_ = register_module("head", torch::nn::Linear(c.dim, c.num_classes));
}

torch::Tensor LstmModel::forward(const torch::Tensor& tokens) {
  check_tokens(tokens, 2);
  auto out = std::get<0>(lstm_(emb_(tokens)));
  return head_(ln_out_(out));
}

std::vector<torch::Tensor> LstmModel::initial_state(int64_t batch) {
  const auto opts = emb_->weight.options();
  return {torch::zeros({config_.layers, batch, config_.dim}, opts),
          torch::zeros({config_.layers, batch, config_.dim}, opts)};
}

torch::Tensor LstmModel::step(const torch::Tensor& token, std::vector<torch::Tensor>& state) {
  check_tokens(token, 1);
  if (state.size() != 2)
    throw std::invalid_argument("lstm step: state has " + std::to_string(state.size()) +
                                " tensors, expected 2 (h, c)");
  auto [out, hc] = lstm_(emb_(token).unsqueeze(1), std::make_tuple(state[0], state[1]));
  state[0] = std::get<0>(hc);
  state[1] = std::get<1>(hc);
  return head_(ln_out_(out.squeeze(1)));
}

torch::Tensor LstmModel::forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) {
  check_tokens(tokens, 2);
  if (state.size() != 2)
    throw std::invalid_argument("lstm forward_from: state has " + std::to_string(state.size()) +
                                " tensors, expected 2 (h, c)");
  auto [out, hc] = lstm_(emb_(tokens), std::make_tuple(state[0], state[1]));
  state[0] = std::get<0>(hc);
  state[1] = std::get<1>(hc);
  return head_(ln_out_(out));
}

}  // namespace goose::core
