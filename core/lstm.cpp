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

std::vector<torch::Tensor> LstmModel::forget_gates(const torch::Tensor& tokens) {
  check_tokens(tokens, 2);
  torch::NoGradGuard no_grad;
  auto params = lstm_->named_parameters();
  auto x = emb_(tokens);  // (B,T,d)
  const int64_t B = x.size(0), T = x.size(1), d = config_.dim;
  std::vector<torch::Tensor> gates;
  for (int64_t l = 0; l < config_.layers; ++l) {
    const std::string s = std::to_string(l);
    // Gate order of torch's LSTM: input, forget, cell, output.
    auto pre = torch::matmul(x, params["weight_ih_l" + s].t()) + params["bias_ih_l" + s] + params["bias_hh_l" + s];
    auto w_hh = params["weight_hh_l" + s].t();
    auto h = torch::zeros({B, d}, x.options()), c = torch::zeros({B, d}, x.options());
    std::vector<torch::Tensor> outputs, forgets;
    for (int64_t t = 0; t < T; ++t) {
      auto g = (pre.select(1, t) + torch::matmul(h, w_hh)).chunk(4, -1);
      auto i = torch::sigmoid(g[0]), f = torch::sigmoid(g[1]), cell = torch::tanh(g[2]), o = torch::sigmoid(g[3]);
      c = f * c + i * cell;
      h = o * torch::tanh(c);
      outputs.push_back(h);
      forgets.push_back(f);
    }
    x = torch::stack(outputs, 1);
    gates.push_back(torch::stack(forgets, 1));
  }
  return gates;
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
