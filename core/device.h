// Where a run computes: `--device cpu|cuda|cuda:N|auto` resolved once, batches moved there
// (pinned and asynchronous from the CPU that generates them), and bf16 autocast of the matrix
// products as an option (states and recurrence kernels stay fp32). The same code path runs on
// the CPU, so everything but the copy to a GPU is exercised without one.
// Exports parse_device(), to_device(), AutocastScope, cpu_autocast_active().
#pragma once
#include <string>

#include <torch/torch.h>

#include "core/batch.h"

namespace goose::core {

// "cpu", "cuda" (device 0), "cuda:N", or "auto" (cuda when a GPU is visible, else cpu).
// Throws std::invalid_argument for anything else, or for a GPU that is not there.
torch::Device parse_device(const std::string& name);

// The batch on `device`: unchanged on the CPU; from pinned memory, non-blocking, on a GPU.
Batch to_device(const Batch& batch, const torch::Device& device);

// Whether autocast is on for CPU tensors now (the fused CPU ops read fp32 buffers and step
// aside under it).
bool cpu_autocast_active();

// While alive: autocast of the matrix products to bfloat16 on `device`'s type (when enabled);
// restores the previous state on destruction.
class AutocastScope {
 public:
  AutocastScope(bool enabled, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
  torch::DeviceType type_ = torch::kCPU;
};

}  // namespace goose::core
