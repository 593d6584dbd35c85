// The Transformer baseline (REFERENCE.md §2): causal, pre-LayerNorm, multi-head attention
// written out by hand (LibTorch 1.13 has no scaled_dot_product_attention), GELU MLP of width
// 4·dim, and a selectable positional encoding. Exports TransformerModel.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/model.h"

namespace goose::core {

// x = x + attn(ln1(x)); x = x + mlp(ln2(x)). heads = dim / head_size.
class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(const ModelConfig& config);
  // x: (B,T,C); rope_cos, rope_sin: (T, head_size/2), or undefined without RoPE.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& rope_cos,
                        const torch::Tensor& rope_sin);

  bool record_attention_ = false;  // when set, forward() keeps its attention (B,H,T,T)
  torch::Tensor last_attention_;

 private:
  int64_t heads_, head_size_;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// emb (+ positions) → blocks → ln_out → head. Positional encodings (config.pos_encoding):
//   learned:    a trained table of max_len positions, added to the embedding; T > max_len throws;
//   sinusoidal: the fixed sin/cos table of Vaswani et al. (base 10000), added, any length;
//   rope:       rotary embedding of q and k in every head (half-split pairs, base 10000);
//   none:       no positional signal beyond the causal mask.
// No step mode. state_floats() = 2·layers·dim: the keys and values cached PER TOKEN of
// context, since a Transformer's state grows with the sequence.
class TransformerModel : public SequenceModel {
 public:
  explicit TransformerModel(ModelConfig config);
  torch::Tensor forward(const torch::Tensor& tokens) override;
  int64_t state_floats() const override { return 2 * config_.layers * config_.dim; }

  // Runs forward(tokens) and returns each layer's attention probabilities (B,H,T,T), detached
  // (for gooselab inspect: attention entropy versus length).
  std::vector<torch::Tensor> attention(const torch::Tensor& tokens);

 private:
  torch::nn::Embedding emb_{nullptr}, pos_{nullptr};
  std::vector<TransformerBlock> blocks_;  // also registered as the ModuleList "blocks"
  torch::nn::LayerNorm ln_out_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace goose::core
