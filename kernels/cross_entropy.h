// The training loss as one differentiable op: mean cross-entropy over the labelled positions,
// fused on the CPU for fp32 logits (kernels/cross_entropy_cpu.h), LibTorch's cross_entropy
// otherwise and as the reference. Exports cross_entropy().
#pragma once
#include <torch/torch.h>

namespace goose::kernels {

// logits: (rows, K); targets: (rows) int64, a class or ignore_index.
//   loss = mean over {r : target_r ≠ ignore_index} of (log Σ_k e^{logits[r,k]} − logits[r, target_r])
// (NaN when no row is labelled, as LibTorch). fused = false forces LibTorch's op.
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets,
                            int64_t ignore_index, bool fused = true);

}  // namespace goose::kernels
