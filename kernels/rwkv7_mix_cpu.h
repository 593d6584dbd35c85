// The fused CPU kernels of RWKV-7's element-wise chains (equations in rwkv7_mix_shape.h): each
// chain is one pass over the rows (forward) or one pass that recomputes what it needs and
// writes every gradient (backward), fp32, torch-free interface. Threads take blocks of
// kRwkv7MixBlockRows rows; per-channel parameter gradients are summed per block and then over
// blocks in a fixed order, so results do not depend on the thread count.
// Exports kRwkv7MixBlockRows and the rwkv7_*_forward / _backward functions below.
#pragma once
#include <cstdint>

#include "kernels/rwkv7_mix_shape.h"

namespace goose::kernels {

constexpr int64_t kRwkv7MixBlockRows = 32;

// x, out_m: (B,T,C) (dims.H·dims.N = C); xx_t = x_{t−1} − x_t, out_m = x + xx ⊙ μ_m.
void rwkv7_shift_mix_forward(const Rwkv7MixDims& dims, const Rwkv7ShiftMixArgs& args);
void rwkv7_shift_mix_backward(const Rwkv7MixDims& dims, const Rwkv7ShiftMixBackwardArgs& args);

// The chain between the products and wkv7 (w, k̃, vv, −κ̂, κ̂⊙a), and its gradients.
void rwkv7_pre_forward(const Rwkv7MixDims& dims, const Rwkv7PreArgs& args);
void rwkv7_pre_backward(const Rwkv7MixDims& dims, const Rwkv7PreBackwardArgs& args);

// GroupNorm per head, the bonus and the gate: u = (GN(y)·γ + β + (Σ r⊙k̃⊙r_k)·vv) ⊙ g.
void rwkv7_post_forward(const Rwkv7MixDims& dims, const Rwkv7PostArgs& args);
void rwkv7_post_backward(const Rwkv7MixDims& dims, const Rwkv7PostBackwardArgs& args);

// LayerNorm over the last dimension of rows×C: y = (x − mean)/√(var + eps)·γ + β (biased
// variance, as torch's); mean and rstd (rows) are kept for the backward, which writes dx and
// dγ, dβ (C).
void rwkv7_layer_norm_forward(int64_t rows, int64_t C, const float* x, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* rstd);
void rwkv7_layer_norm_backward(int64_t rows, int64_t C, const float* x, const float* gamma,
                               const float* mean, const float* rstd, const float* dy, float* dx,
                               float* dgamma, float* dbeta);

// The channel mix's activation over n floats: p ← relu(p) = max(p, 0) in place (kept for the
// backward), h = relu(p)²; backward dp = dh ⊙ 2·relu.
void rwkv7_relu_square_forward(int64_t n, float* p, float* h);
void rwkv7_relu_square_backward(int64_t n, const float* relu, const float* dh, float* dp);

}  // namespace goose::kernels
