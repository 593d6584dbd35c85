// The training loop's optimiser: AdamW over the model's parameter groups (a learning-rate
// multiplier and weight decay on or off per group, core/model.h) after gradient-norm clipping,
// in two implementations of the same update. Exports OptimizerImpl, FusedAdamW, TrainOptimizer,
// make_optimizer().
#pragma once
#include <memory>
#include <string>

#include <torch/torch.h>

#include "core/model.h"
#include "core/train.h"

namespace goose::core {

// Fused: FusedAdamW, one pass over every parameter's raw fp32 buffers (clip scale, decay, both
// moments and the update in one loop; no per-tensor LibTorch operations), CPU fp32 parameters
// only. Torch: torch::optim::AdamW after torch::nn::utils::clip_grad_norm_ (the reference the
// fused one is tested against). Auto: fused when every parameter is a CPU fp32 tensor.
enum class OptimizerImpl { Auto, Fused, Torch };

// torch::optim::AdamW with the same state (AdamWParamState per parameter, so checkpoints are
// interchangeable with torch's AdamW) and the same update, per parameter p with gradient g:
//   g ← g·c, c = min(1, clip / (‖all g‖₂ + 1e-6))      (clip_and_step only; ‖·‖ in double)
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  t ← t + 1
//   p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + ε)
// Parameters without a gradient are skipped (as torch's AdamW does). Element-wise, in a fixed
// order: results do not depend on the thread count.
class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
  // Clips the gradients to a total 2-norm of max_norm (max_norm <= 0: no clipping), then
  // steps, in one pass. Returns the norm before clipping; when it is not finite, nothing is
  // updated.
  double clip_and_step(double max_norm);
  // Gradients to undefined: the next backward writes them without an extra addition.
  void clear_grads();
};

class TrainOptimizer {
 public:
  // Groups from model.parameter_groups(): lr·lr_scale, weight decay config.weight_decay on the
  // groups that ask for it, betas and eps from the config.
  TrainOptimizer(SequenceModel& model, const TrainConfig& config, OptimizerImpl impl);
  bool fused() const { return fused_ != nullptr; }
  void set_learning_rate(double lr);  // lr·lr_scale for each group
  void zero_grad();
  // Clips to max_norm (<= 0: off) and steps; returns the gradient norm before clipping (NaN or
  // Inf when a gradient is not finite: the weights are then left alone; the torch implementation
  // returns 0 when it does not clip).
  double clip_and_step(double max_norm);
  // The state checkpoints save and load (a torch::optim::AdamW either way).
  torch::optim::Optimizer& state() { return *adamw_; }

 private:
  std::unique_ptr<torch::optim::AdamW> adamw_;
  FusedAdamW* fused_ = nullptr;  // adamw_ when it is the fused one
  std::vector<double> scales_;
  std::vector<torch::Tensor> parameters_;
};

std::unique_ptr<TrainOptimizer> make_optimizer(SequenceModel& model, const TrainConfig& config,
                                               OptimizerImpl impl = OptimizerImpl::Auto);

}  // namespace goose::core
