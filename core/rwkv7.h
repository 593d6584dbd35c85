// RWKV-7 "Goose" exactly as REFERENCE.md §1 (official RWKV-LM x070 code): time mixing with
// the generalised delta rule (kernels::wkv7), ReLU² channel mixing, official initialisation,
// and three independent expressivity knobs (rate range, decay range, initialisation; see
// ModelConfig). Exports Rwkv7Model, rwkv7_lora_sizes(), Rwkv7Rates.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/model.h"
#include "kernels/rwkv7_mix.h"
#include "kernels/wkv7.h"

namespace goose::core {

// Low-rank (LoRA) widths of the decay, in-context rate, value residual and gate.
// A config value > 0 is used as given; 0 = automatic, with f = 2.5, 2.5, 1.7, 5 respectively:
//   C > 128:  max(32, 32·round(f·√C / 32))            (the official code's suggestion)
//   C ≤ 128:  clamp(8·round(f·√C / 16), 8, 16)         (half the formula, multiple of 8, 8..16)
// e.g. C = 128 → 16, 16, 8, 16;  C = 64 → 8, 8, 8, 16;  C = 768 → 64, 64, 32, 128.
struct Rwkv7LoraSizes {
  int64_t decay, a, value, gate;
};
Rwkv7LoraSizes rwkv7_lora_sizes(const ModelConfig& config);

// The decay w, in-context rate a and removal key κ̂ (unit per head) a layer used, (B,T,C)
// each: the per-token transition of every head is G = diag(w) − κ̂ᵀ(a⊙κ̂) (for tests and
// gooselab inspect).
struct Rwkv7Rates {
  torch::Tensor w, a, kk;
};

// The special eigenvalue λ* of every head's transition, (B,T,H) fp64 for rates (B,T,C) and
// head size N. For a > 0, G is similar to the symmetric diag(w) − uuᵀ with u = √a⊙κ̂, so its
// eigenvalues are real; all but one lie in [min w, max w] and λ*, the smallest, solves
// Σ u_i²/(w_i − λ) = 1 (REFERENCE.md §1). Computed in double by a symmetric eigensolver.
torch::Tensor rwkv7_special_eigenvalues(const Rwkv7Rates& rates, int64_t head_size);

// Time mixing of one layer. Parameter names follow the official code:
//   x_r..x_g = μ_□;  w0,w1,w2 = w0,A_w,B_w;  a0,a1,a2;  v0,v1,v2 (layers > 0 only);  g1,g2;
//   k_k, k_a, r_k;  receptance/key/value/output = Wr/Wk/Wv/Wo;  ln_x = the per-head GroupNorm.
// Two implementations of the same function (kernel_choice(), core/model.h): the fused CPU op
// (kernels::rwkv7_time_mix) and the unfused LibTorch chain, its reference.
class Rwkv7TimeMixImpl : public torch::nn::Module {
 public:
  Rwkv7TimeMixImpl(const ModelConfig& config, int64_t layer);

  struct Output {
    torch::Tensor out;      // (B,T,C)
    torch::Tensor v_first;  // (B,T,C): this layer's v in layer 0, else the input v_first
    torch::Tensor last_x;   // (B,C): x at the last position (the next call's x_prev)
    torch::Tensor state;    // (B,H,N,N): WKV state after the last position
  };
  // x: (B,T,C) (after ln1); v_first: layer 0's v, undefined in layer 0; x_prev: (B,C), the
  // input before x[:,0] (undefined = zeros, a sequence start); s0: (B,H,N,N) or undefined.
  Output forward(const torch::Tensor& x, const torch::Tensor& v_first, const torch::Tensor& x_prev,
                 const torch::Tensor& s0);

  bool record_rates_ = false;  // when set, forward() keeps its w and a in last_rates_
  Rwkv7Rates last_rates_;

 private:
  // The fused op when the kernel choice and x allow it (throws for "fused" on other inputs).
  bool use_fused(const torch::Tensor& x) const;
  Output forward_fused(const torch::Tensor& x, const torch::Tensor& v_first,
                       const torch::Tensor& x_prev, const torch::Tensor& s0);

  int64_t layer_, heads_, head_size_;
  std::string rate_, decay_;
  KernelChoice kernel_;
  kernels::Impl impl_;
  torch::Tensor x_r_, x_w_, x_k_, x_v_, x_a_, x_g_;
  torch::Tensor w0_, w1_, w2_, a0_, a1_, a2_, v0_, v1_, v2_, g1_, g2_;
  torch::Tensor k_k_, k_a_, r_k_;
  torch::nn::Linear receptance_{nullptr}, key_{nullptr}, value_{nullptr}, output_{nullptr};
  torch::nn::GroupNorm ln_x_{nullptr};
};
TORCH_MODULE(Rwkv7TimeMix);

// Channel mixing: out = relu(x_k-mixed · W1)² · W2, hidden 4C, its own token shift; fused
// (kernels::rwkv7_channel_mix) or unfused as the time mix.
class Rwkv7ChannelMixImpl : public torch::nn::Module {
 public:
  Rwkv7ChannelMixImpl(const ModelConfig& config, int64_t layer);
  // x: (B,T,C), x_prev: (B,C) or undefined. Returns {out (B,T,C), last x (B,C)}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x,
                                                  const torch::Tensor& x_prev);

 private:
  KernelChoice kernel_;
  torch::Tensor x_k_;
  torch::nn::Linear key_{nullptr}, value_{nullptr};
};
TORCH_MODULE(Rwkv7ChannelMix);

// x = x + att(ln1(x)); x = x + ffn(ln2(x)).
class Rwkv7BlockImpl : public torch::nn::Module {
 public:
  Rwkv7BlockImpl(const ModelConfig& config, int64_t layer);
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  Rwkv7TimeMix att_{nullptr};
  Rwkv7ChannelMix ffn_{nullptr};
};
TORCH_MODULE(Rwkv7Block);

// emb → ln0 → blocks → ln_out → head (no bias); the LayerNorms run as kernels::rwkv7_layer_norm
// where the mixes run fused. Step state per layer, in this order:
// {time-mix shift (B,C), channel-mix shift (B,C), WKV state (B,H,N,N)}.
class Rwkv7Model : public SequenceModel {
 public:
  explicit Rwkv7Model(ModelConfig config);
  torch::Tensor forward(const torch::Tensor& tokens) override;
  bool has_step() const override { return true; }
  std::vector<torch::Tensor> initial_state(int64_t batch) override;
  torch::Tensor step(const torch::Tensor& token, std::vector<torch::Tensor>& state) override;
  torch::Tensor forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) override;
  // layers·(H·N² + 2·C)
  int64_t state_floats() const override;
  // Decay on the matrices and the embedding; w0 at twice the learning rate (official optimiser).
  std::vector<ParameterGroup> parameter_groups() const override;

  // Runs forward(tokens) and returns each layer's w and a (detached).
  std::vector<Rwkv7Rates> rates(const torch::Tensor& tokens);

 private:
  // tokens (B,T); state: the per-layer step state to read and update, or null (zeros).
  torch::Tensor run(const torch::Tensor& tokens, std::vector<torch::Tensor>* state);
  // ln(x), through the fused op where the kernel choice and x allow (as the mixes).
  torch::Tensor norm(torch::nn::LayerNorm& ln, const torch::Tensor& x) const;

  KernelChoice kernel_;

  torch::nn::Embedding emb_{nullptr};
  torch::nn::LayerNorm ln0_{nullptr}, ln_out_{nullptr};
  std::vector<Rwkv7Block> blocks_;  // also registered as the ModuleList "blocks"
  torch::nn::Linear head_{nullptr};
};

}  // namespace goose::core
