// Spellings that differ between the two LibTorch versions gooselab builds against: 1.13 (this
// machine and CI) and 2.x (the GPU machine, PyTorch's own LibTorch). Exports OptionalTensor.
#pragma once
#include <optional>

#include <torch/torch.h>
#include <torch/version.h>

namespace goose::kernels {

// An autograd Function's optional tensor argument. Since LibTorch 2.3 c10::optional is only an
// alias of std::optional, and PyTorch is removing the alias; in 1.13 it is a class of its own,
// which is what 1.13's autograd Functions unpack.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
using OptionalTensor = std::optional<torch::Tensor>;
#else
using OptionalTensor = c10::optional<torch::Tensor>;
#endif

}  // namespace goose::kernels
