// The models gooselab compares (RWKV-7, Transformer, diagonal SSM, LSTM) behind one
// interface: tokens (B,T) -> per-position logits, optional token-by-token step mode,
// parameter and state-size accounting. Exports ModelConfig, SequenceModel, make_model().
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "kernels/impl.h"

namespace goose::core {

// Every model option and its default lives here (DESIGN.md: defaults in one place); the
// field table in core/config.cpp names, documents and validates each one.
struct ModelConfig {
  std::string arch = "rwkv7";     // rwkv7 | transformer | dssm | lstm
  int64_t vocab_size = 0;         // derived from the task
  int64_t num_classes = 0;        // derived from the task
  int64_t layers = 2;
  int64_t dim = 128;
  int64_t head_size = 32;         // RWKV-7 N and Transformer head width (heads = dim / head_size)
  // RWKV-7 expressivity knobs (REFERENCE.md §1), each independent of the others:
  //   rwkv_rate:  released a = σ(·) ∈ (0,1) | relaxed a = 2σ(·) ∈ (0,2) | stable a = (1+w)σ(·),
  //               which keeps the special eigenvalue λ* > −1 yet lets it approach −1;
  //   rwkv_decay: clamped w = exp(−e^{−1/2}σ(z)) ∈ (0.545,1) as released | unclamped
  //               w = exp(−exp(u)) ∈ (0,1), with u initialised so that w starts where the
  //               released w does (only the reachable range differs);
  //   rwkv_init:  official (train.py: receptance, value orthogonal gain 1, key gain 0.1,
  //               channel-mix key gain 1) | simple (the single-file trainer's uniform init).
  std::string rwkv_rate = "released";
  std::string rwkv_decay = "clamped";
  std::string rwkv_init = "official";
  int64_t rwkv_lora_decay = 0;    // low-rank sizes; 0 = automatic (REFERENCE.md §1)
  int64_t rwkv_lora_a = 0;
  int64_t rwkv_lora_value = 0;
  int64_t rwkv_lora_gate = 0;
  std::string kernel = "auto";    // auto | fused | reference | cpu | cuda | loop (kernel_choice())
  // Transformer
  std::string pos_encoding = "rope";  // learned | sinusoidal | rope | none
  int64_t max_len = 4096;             // learned positions only
  // Diagonal SSM
  // Eigenvalues of the diagonal transition: real (0,1) | signed (−1,1) | complex (open unit
  // disk, exp(Δ·(A_re + i·A_im))) | complex-unit (on the unit circle). REFERENCE.md §2–3:
  // star-free only / adds Z2 sign flips / abelian groups.
  std::string dssm_eigen = "real";
  int64_t dssm_state = 16;        // N per channel
  int64_t dssm_expand = 2;        // inner width = expand * dim
};

// What ModelConfig::kernel selects. RWKV-7's time and channel mixes run as the fused CPU ops
// (kernels/rwkv7_mix.h; the diagonal SSM's convolution + SiLU, kernels/causal_conv.h) for
// "fused", and for "auto" when the inputs are CPU fp32 tensors (not under bf16 autocast);
// otherwise as the unfused LibTorch chain (the reference the fused ops are tested against)
// around the recurrence implementation the name gives (kernels/impl.h: reference, cpu, cuda,
// loop; auto and fused → the recurrence's own auto).
struct KernelChoice {
  kernels::Impl recurrence = kernels::Impl::Auto;
  bool fused = false;       // the fused mixes where the inputs allow
  bool fused_only = false;  // "fused": other inputs are an error
};
// Throws std::invalid_argument on an unknown name.
KernelChoice kernel_choice(const std::string& kernel);
// Whether the fused CPU ops run on x: as the choice allows, x is a CPU fp32 tensor and no CPU
// autocast is on (bf16 training takes the unfused chain); under "fused" anything else throws
// std::invalid_argument naming `model`.
bool fused_applies(const KernelChoice& choice, const torch::Tensor& x, const std::string& model);

struct ParameterGroup {
  std::string name;
  std::vector<torch::Tensor> params;
  double lr_scale = 1.0;     // times the schedule's learning rate
  bool weight_decay = false; // AdamW's decay applies
};

class SequenceModel : public torch::nn::Module {
 public:
  explicit SequenceModel(ModelConfig config) : config_(std::move(config)) {}
  const ModelConfig& config() const { return config_; }

  // tokens: (B,T) int64 -> logits (B,T,num_classes). Causal.
  virtual torch::Tensor forward(const torch::Tensor& tokens) = 0;

  // Step mode (recurrent models): state from initial_state(B), then one token (B) at a time;
  // must equal forward() position by position. Transformers return false from has_step().
  virtual bool has_step() const { return false; }
  virtual std::vector<torch::Tensor> initial_state(int64_t batch) { return {}; }
  virtual torch::Tensor step(const torch::Tensor& token, std::vector<torch::Tensor>& state);
  // Chunked form of forward() for recurrent models: tokens (B,T) continuing from `state`
  // (initial_state(B) before the first chunk), logits (B,T,num_classes); `state` becomes the
  // state after the last position. Consecutive chunks give forward()'s logits on their
  // concatenation (within fp32 rounding), so memory need not grow with the sequence length.
  // Models without a recurrent state (the Transformer) throw std::invalid_argument.
  virtual torch::Tensor forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state);

  // Floats carried between tokens per sequence (for Transformers: per token of context).
  virtual int64_t state_floats() const = 0;
  int64_t num_parameters() const;
  torch::Device device() const;  // where its parameters live
  // The optimiser's parameter groups, every parameter in exactly one. The default: "decayed"
  // (weight matrices of Linear, LSTM and Embedding layers: weight decay) and "plain" (norms,
  // biases, per-channel vectors, low-rank adapters: none), both at the base learning rate.
  virtual std::vector<ParameterGroup> parameter_groups() const;

 protected:
  // Throws std::invalid_argument unless tokens is a non-empty `dims`-D int64 tensor whose ids
  // (checked for CPU tensors only) lie in [0, vocab_size).
  void check_tokens(const torch::Tensor& tokens, int64_t dims) const;

  ModelConfig config_;
};

// Throws std::invalid_argument for an unknown arch or inconsistent sizes.
std::shared_ptr<SequenceModel> make_model(const ModelConfig& config);

// Every configurable field by name (the field table, core/config.cpp); vocab_size and
// num_classes are derived from the task and not included.
nlohmann::json to_json(const ModelConfig& config);

}  // namespace goose::core
