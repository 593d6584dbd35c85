// Which implementation runs a recurrence kernel (WKV7, the selective scan), chosen by name,
// and the one rule that resolves Impl::Auto for every wrapper. Torch-free.
// Exports Impl, parse_impl(), to_string(Impl), cuda_kernels_built(), resolve_impl().
#pragma once
#include <string>

namespace goose::kernels {

// Reference = the plain loops with double accumulation (slow on purpose; the `--kernel
// reference` debugging path). Cpu, Cuda = the optimised kernels. Loop = per-step LibTorch ops
// with autograd through them, the no-kernel baseline (kernels/recurrence_loops.h).
enum class Impl { Auto, Reference, Cpu, Cuda, Loop };

// "auto" | "reference" | "cpu" | "cuda" | "loop"; anything else throws std::invalid_argument.
Impl parse_impl(const std::string& name);
std::string to_string(Impl impl);

// False when the build had no CUDA compiler (the Cuda implementation then always fails).
bool cuda_kernels_built();

// The rule every wrapper uses: Auto runs the CUDA kernel on CUDA tensors and the CPU kernel
// otherwise; any other choice is returned as it is (the wrapper then checks that it fits).
Impl resolve_impl(Impl impl, bool on_cuda);

}  // namespace goose::kernels
