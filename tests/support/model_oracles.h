// Independent double-precision forward passes of the baselines (Transformer, diagonal SSM, LSTM),
// written from REFERENCE.md §2 and the parameter names and layouts the model headers document,
// with explicit loops over positions and never a call into the model code: a test compares a
// model's forward() with its oracle on perturbed weights. Exports transformer_oracle(),
// dssm_oracle(), lstm_oracle().
#pragma once
#include <torch/torch.h>

#include "core/model.h"

namespace goose::testing {

// Every oracle reads `model`'s parameters by name (converted to double) and returns the logits
// (B,T,num_classes) in double for tokens (B,T). A missing parameter throws std::runtime_error.

// core/transformer.h: emb (+ pos table | sinusoidal table | RoPE on q and k, half-split pairs
// (x_i, x_{i+h/2}) rotated by pos·10000^(−2i/h)); per block x += proj(attn(ln1(x))) with
// qkv = [q | k | v], heads of head_size, scores q·k/√head_size over j ≤ i;
// x += fc2(GELU(fc1(ln2(x)))) with the exact (erf) GELU; then ln_out and head.
torch::Tensor transformer_oracle(const torch::nn::Module& model, const core::ModelConfig& config,
                                 const torch::Tensor& tokens);

// core/dssm.h: per layer u = norms.l(x); [x, z] = in_proj(u); x = SiLU(causal depthwise conv of
// width 4 with bias); [δ | B | C] = x_proj(x) (complex B, C as (re, im) pairs);
// Δ = softplus(dt_proj(δ)); h_t = λ_t h_{t−1} + Δ_t B_t x_t, y_t = Re(Σ_n C_t,n h_t,n) + D x_t
// with λ = exp(ΔA) (real), 2·exp(ΔA) − 1 (signed), exp(Δ(A_re + i·A_im)) (complex, A_re =
// −exp(A_log); complex-unit A_re = 0); x += out_proj(y · SiLU(z)); then ln_out and head.
torch::Tensor dssm_oracle(const torch::nn::Module& model, const core::ModelConfig& config,
                          const torch::Tensor& tokens);

// core/lstm.h: emb → the classical LSTM per layer (PyTorch's gate order i, f, g, o;
// c = f·c + i·g, h = o·tanh(c), zero initial state) → ln_out → head.
torch::Tensor lstm_oracle(const torch::nn::Module& model, const core::ModelConfig& config,
                          const torch::Tensor& tokens);

}  // namespace goose::testing
