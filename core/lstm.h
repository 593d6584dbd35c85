// The LSTM baseline (REFERENCE.md §2): the classical recurrent control, which recognises
// every regular language in one layer. Exports LstmModel.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/model.h"

namespace goose::core {

// emb → torch::nn::LSTM (layers, hidden = dim) → ln_out → head. Step state:
// {h (layers,B,dim), c (layers,B,dim)}; state_floats = 2·layers·dim.
// Parameters: V·d + layers·(8·d² + 8·d) + 2·d + d·K + K (V = vocab, K = classes).
class LstmModel : public SequenceModel {
 public:
  explicit LstmModel(ModelConfig config);
  torch::Tensor forward(const torch::Tensor& tokens) override;
  bool has_step() const override { return true; }
  std::vector<torch::Tensor> initial_state(int64_t batch) override;
  torch::Tensor step(const torch::Tensor& token, std::vector<torch::Tensor>& state) override;
  torch::Tensor forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) override;
  int64_t state_floats() const override { return 2 * config_.layers * config_.dim; }

  // Each layer's forget gate σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf) at every position,
  // (B,T,dim), recomputed from the weights (torch's LSTM does not expose its gates; a test
  // checks that the same recurrence reproduces forward()).
  std::vector<torch::Tensor> forget_gates(const torch::Tensor& tokens);

 private:
  torch::nn::Embedding emb_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::LayerNorm ln_out_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace goose::core
