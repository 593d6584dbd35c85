// The diagonal SSM's input path as one CPU pass (torch-free): a causal depthwise convolution over
// time of width K (the K−1 inputs before the sequence come from a carried window) followed by
// SiLU, forward and backward. It replaces cat + conv1d + silu + transpose, whose backward
// (mkldnn's depthwise convolution) took a fifth of a DSSM training step. The LibTorch chain in
// core/dssm.cpp stays the reference. Exports CausalConvDims, causal_conv_silu_forward(),
// causal_conv_silu_backward().
#pragma once
#include <cstdint>

namespace goose::kernels {

struct CausalConvDims {
  int64_t B = 0, T = 0, D = 0, K = 0;
  int64_t u_row_stride = 0;  // floats between u's time steps (D when contiguous; 2D for a chunk of in_proj)
};

// u: (B,T,D) with rows u_row_stride apart; window: (B,D,K−1) or null (zeros); weight: (D,K);
// bias: (D). c (pre-activation) and x = silu(c): (B,T,D) contiguous, where
// c[b,t,d] = bias[d] + Σ_j weight[d,j]·ext[b,t+j,d], ext = the window's K−1 steps then u.
void causal_conv_silu_forward(const CausalConvDims& dims, const float* u, const float* window,
                              const float* weight, const float* bias, float* c, float* x);

// From dx and the forward's c: du (B,T,D contiguous), dwindow (B,D,K−1; skipped when null),
// dweight (D,K) and dbias (D), all fully written. Threads split the channels, so every sum has
// one fixed order and results do not depend on the thread count.
void causal_conv_silu_backward(const CausalConvDims& dims, const float* u, const float* window,
                               const float* weight, const float* c, const float* dx, float* du,
                               float* dwindow, float* dweight, float* dbias);

}  // namespace goose::kernels
