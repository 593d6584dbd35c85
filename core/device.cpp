// Devices, batch transfer and autocast (see device.h). The autocast switches changed name in
// LibTorch 2.4 (per device type); both forms are written here, chosen by the version.
#include "core/device.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>

#include "core/text.h"

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define GOOSE_AUTOCAST_PER_DEVICE 1
#endif

namespace goose::core {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    const int64_t index = name == "cuda" ? 0 : parse_int64(name.substr(5), "--device");
    if (!torch::cuda::is_available())
      throw std::invalid_argument("--device " + name + ": no CUDA device (this LibTorch has no CUDA or no GPU is visible; use --device cpu)");
    if (index < 0 || index >= int64_t(torch::cuda::device_count()))
      throw std::invalid_argument("--device " + name + ": there are " + std::to_string(torch::cuda::device_count()) + " CUDA devices");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("unknown device '" + name + "' (use cpu, cuda, cuda:N or auto)");
}

Batch to_device(const Batch& batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  auto move = [&](const torch::Tensor& t) { return t.pin_memory().to(device, /*non_blocking=*/true); };
  return {move(batch.tokens), move(batch.targets), move(batch.lengths)};
}

bool cpu_autocast_active() {
#ifdef GOOSE_AUTOCAST_PER_DEVICE
  return at::autocast::is_autocast_enabled(torch::kCPU);
#else
  return at::autocast::is_cpu_enabled();
#endif
}

AutocastScope::AutocastScope(bool enabled, const torch::Device& device) : type_(device.type()) {
  if (!enabled) return;
  active_ = true;
#ifdef GOOSE_AUTOCAST_PER_DEVICE
  previous_enabled_ = at::autocast::is_autocast_enabled(type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(type_);
  at::autocast::set_autocast_dtype(type_, at::kBFloat16);
  at::autocast::set_autocast_enabled(type_, true);
#else
  if (type_ == torch::kCUDA) {
    previous_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    previous_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
#endif
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
#ifdef GOOSE_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(type_, previous_enabled_);
  at::autocast::set_autocast_dtype(type_, previous_dtype_);
#else
  if (type_ == torch::kCUDA) {
    at::autocast::set_enabled(previous_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(previous_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
#endif
  at::autocast::clear_cache();
}

}  // namespace goose::core
