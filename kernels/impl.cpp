// Choosing a kernel implementation by name, and resolving Impl::Auto (see impl.h).
#include "kernels/impl.h"

#include <stdexcept>

namespace goose::kernels {

Impl parse_impl(const std::string& name) {
  if (name == "auto") return Impl::Auto;
  if (name == "reference") return Impl::Reference;
  if (name == "cpu") return Impl::Cpu;
  if (name == "cuda") return Impl::Cuda;
  if (name == "loop") return Impl::Loop;
  throw std::invalid_argument("unknown kernel '" + name +
                              "' (use auto, reference, cpu, cuda or loop)");
}

std::string to_string(Impl impl) {
  switch (impl) {
    case Impl::Auto: return "auto";
    case Impl::Reference: return "reference";
    case Impl::Cpu: return "cpu";
    case Impl::Cuda: return "cuda";
    case Impl::Loop: return "loop";
  }
  return "auto";
}

bool cuda_kernels_built() {
#ifdef GOOSE_WITH_CUDA
  return true;
#else
  return false;
#endif
}

Impl resolve_impl(Impl impl, bool on_cuda) {
  if (impl != Impl::Auto) return impl;
  return on_cuda ? Impl::Cuda : Impl::Cpu;
}

}  // namespace goose::kernels
