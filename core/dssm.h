// The diagonal selective SSM baseline (REFERENCE.md §2): a Mamba-style block around
// kernels::selective_scan, with the "signed" variant (eigenvalues in (−1,1)) as an option.
// Exports DssmModel.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/model.h"
#include "kernels/impl.h"

namespace goose::core {

// One Mamba mixer (inner = expand·dim, N = dssm_state, R = dt_rank = ceil(dim/16)):
//   [x, z] = in_proj(u);  x = SiLU(causal depthwise conv1d_4(x));  [δ, B, C] = x_proj(x);
//   Δ = softplus(dt_proj(δ));  A = −exp(A_log);  y = selective_scan(x, Δ, A, B, C, Dskip);
//   out = out_proj(y · SiLU(z)).
// Init: A_log = log(1..N) per channel (S4D-real), Dskip = 1, dt_proj bias = softplus⁻¹(dt)
// with dt log-uniform in [1e-3, 1e-1], dt_proj weight uniform ±R^-½ (Mamba's defaults).
class DssmMixerImpl : public torch::nn::Module {
 public:
  explicit DssmMixerImpl(const ModelConfig& config);
  static constexpr int64_t kConvWidth = 4;

  struct Output {
    torch::Tensor out;   // (B,T,C)
    torch::Tensor conv;  // (B,inner,3): the last kConvWidth-1 conv inputs
    torch::Tensor h;     // (B,inner,N): scan state after the last position
  };
  // u: (B,T,C); conv: (B,inner,3) inputs before u[:,0] (undefined = zeros); h0: (B,inner,N)
  // or undefined.
  Output forward(const torch::Tensor& u, const torch::Tensor& conv, const torch::Tensor& h0);

 private:
  int64_t inner_, state_, dt_rank_;
  bool signed_;
  kernels::Impl impl_;
  torch::nn::Linear in_proj_{nullptr}, x_proj_{nullptr}, dt_proj_{nullptr}, out_proj_{nullptr};
  torch::nn::Conv1d conv1d_{nullptr};
  torch::Tensor A_log_, D_;
};
TORCH_MODULE(DssmMixer);

// emb → blocks (x = x + mixer(ln(x))) → ln_out → head. Step state per layer:
// {conv inputs (B,inner,3), scan state h (B,inner,N)}; state_floats = layers·(inner·N + 3·inner).
class DssmModel : public SequenceModel {
 public:
  explicit DssmModel(ModelConfig config);
  torch::Tensor forward(const torch::Tensor& tokens) override;
  bool has_step() const override { return true; }
  std::vector<torch::Tensor> initial_state(int64_t batch) override;
  torch::Tensor step(const torch::Tensor& token, std::vector<torch::Tensor>& state) override;
  int64_t state_floats() const override;

 private:
  torch::Tensor run(const torch::Tensor& tokens, std::vector<torch::Tensor>* state);

  torch::nn::Embedding emb_{nullptr};
  std::vector<torch::nn::LayerNorm> norms_;  // registered as "norms.<l>"
  std::vector<DssmMixer> mixers_;            // registered as "mixers.<l>"
  torch::nn::LayerNorm ln_out_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace goose::core
