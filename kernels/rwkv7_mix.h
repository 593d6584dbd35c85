// RWKV-7's time mix and channel mix (REFERENCE.md §1) as single differentiable LibTorch ops for
// CPU fp32 tensors: the products through at::mm, the element-wise chains through the fused
// kernels (rwkv7_mix_cpu.h), the recurrence through the CPU WKV7 kernel, and a hand-written
// backward (no autograd graph inside, few temporaries); and the model's LayerNorm, likewise. The
// reference they are tested against is the unfused LibTorch chain in core/rwkv7.cpp. Exports
// Rwkv7TimeMixParams, Rwkv7TimeMixResult, rwkv7_time_mix(), rwkv7_layer_norm(),
// rwkv7_channel_mix().
#pragma once
#include <torch/torch.h>

#include "kernels/rwkv7_mix_shape.h"

namespace goose::kernels {

// A time-mix layer's parameters, as core/rwkv7.h names them; all CPU fp32 contiguous.
struct Rwkv7TimeMixParams {
  torch::Tensor x_r, x_w, x_k, x_v, x_a, x_g;  // μ: (C)
  torch::Tensor w0, w1, w2;                    // (C), (C,dw), (dw,C)
  torch::Tensor a0, a1, a2;                    // (C), (C,da), (da,C)
  torch::Tensor v0, v1, v2;                    // (C), (C,dv), (dv,C); undefined in layer 0
  torch::Tensor g1, g2;                        // (C,dg), (dg,C)
  torch::Tensor k_k, k_a, r_k;                 // (C), (C), (H,N)
  torch::Tensor receptance, key, value, output;  // (C,C) Linear weights: y = x·Wᵀ
  torch::Tensor ln_w, ln_b;                    // the per-head GroupNorm's (C)
  Rwkv7Rate rate = Rwkv7Rate::Released;
  Rwkv7Decay decay = Rwkv7Decay::Clamped;
  int64_t head_size = 0;
  double group_norm_eps = 64e-5;
};

struct Rwkv7TimeMixResult {
  torch::Tensor out;      // (B,T,C)
  torch::Tensor v_first;  // (B,T,C): layer 0 (params.v0 undefined): its value vv; else undefined
  torch::Tensor state;    // (B,H,N,N): the WKV state after the last position
  torch::Tensor w, a, kk; // (B,T,C) when record_rates (and no gradient is being recorded)
};

// x: (B,T,C); v_first: (B,T,C), layer 0's value (layers > 0 only, else undefined); x_prev:
// (B,C), the input before x[:,0] (undefined: zeros); s0: (B,H,N,N) or undefined (zeros).
//   xx = shift(x) − x;  x_□ = x + xx ⊙ μ_□;  r = x_r Wrᵀ;  k = x_k Wkᵀ;  v = x_v Wvᵀ
//   w = decay(w0 + tanh(x_w w1) w2);  a = rate(σ(a0 + (x_a a1) a2), w);  g = σ(x_g g1) g2
//   vv = v + (v_first − v) ⊙ σ(v0 + (x_v v1) v2)   (layer 0: vv = v)
//   κ̂ = normalise_head(k ⊙ k_k);  k̃ = k ⊙ (1 + (a − 1) ⊙ k_a)
//   y, state = wkv7(r, w, k̃, vv, −κ̂, κ̂ ⊙ a, s0)
//   out = ((GroupNorm_H(y)·γ + β + (Σ_head r ⊙ k̃ ⊙ r_k) vv) ⊙ g) Woᵀ
// Differentiable in x, v_first, x_prev, s0 and every parameter.
Rwkv7TimeMixResult rwkv7_time_mix(const torch::Tensor& x, const torch::Tensor& v_first,
                                  const torch::Tensor& x_prev, const torch::Tensor& s0,
                                  const Rwkv7TimeMixParams& params, bool record_rates = false);

// LayerNorm over the last dimension (the model's ln0, ln1, ln2, ln_out) for CPU fp32 x (...,C):
//   y = (x − mean)/√(var + eps)·γ + β, var biased; differentiable in x, γ and β.
torch::Tensor rwkv7_layer_norm(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, double eps);

// The channel mix: x, out (B,T,C); x_prev (B,C) or undefined; mu (C); key (4C,C); value (C,4C).
//   out = relu((x + (shift(x) − x) ⊙ μ) Wkᵀ)² Wvᵀ
torch::Tensor rwkv7_channel_mix(const torch::Tensor& x, const torch::Tensor& x_prev,
                                const torch::Tensor& mu, const torch::Tensor& key,
                                const torch::Tensor& value);

}  // namespace goose::kernels
