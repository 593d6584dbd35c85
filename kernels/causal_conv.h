// The diagonal SSM's causal depthwise convolution + SiLU as one LibTorch autograd op on CPU fp32
// tensors, over the torch-free loops of causal_conv_cpu.h. Exports causal_conv_silu().
#pragma once
#include <torch/torch.h>

namespace goose::kernels {

// x = silu(conv1d(cat(window, uᵀ), weight, bias, groups = D)) transposed back: u (B,T,D) with
// unit channel stride (a chunk of a wider projection is fine), window (B,D,K−1) or undefined
// (zeros), weight (D,1,K), bias (D); returns x (B,T,D) contiguous. Gradients flow to u, window,
// weight and bias. Throws std::invalid_argument on other devices, dtypes or shapes.
torch::Tensor causal_conv_silu(const torch::Tensor& u, const torch::Tensor& window,
                               const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace goose::kernels
