// Input validation shared by the autograd wrappers (wkv7.cpp, selective_scan.cpp): one
// message format, "<op>: <tensor> must ..., got ...", for shapes, dtypes, devices and the
// implementation chosen. Exports TensorSpec, check_leading(), check_tensor(), ImplDtypes,
// check_impl(), shape_str().
#pragma once
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kernels/impl.h"

namespace goose::kernels {

// "(2,5,1,8)"
std::string shape_str(torch::IntArrayRef sizes);

// Throws std::invalid_argument("<op>: <what>").
[[noreturn]] void fail(const std::string& op, const std::string& what);

// The tensor whose sizes fix the others (x, r, A): defined, `layout`'s rank, every size >= 1.
// `note` (may be empty) follows the layout in the message, e.g. "in the complex mode".
//   "<op>: <name> must be 3-D (B,T,D), got shape (2,5)"
//   "<op>: <name> must have B,T,D >= 1, got shape (2,0,3)"
void check_leading(const std::string& op, const torch::Tensor& t, const std::string& name,
                   const std::string& layout, const std::string& note = "");

// What a wrapper expects of one input.
struct TensorSpec {
  std::string name;            // as the caller knows it: "delta"
  std::string layout;          // "(B,T,D)"
  std::vector<int64_t> shape;  // the sizes the layout resolves to
  torch::ScalarType dtype;
  std::string dtype_source;    // why that dtype: "like x", "for BFloat16 inputs"
  torch::Device device;
  std::string device_source;   // why that device: "like x"
  std::string note;            // follows the layout in a shape error (may be empty)
};

// Checks, in this order, that t is defined, has spec.shape, spec.dtype and spec.device:
//   "<op>: <name> is undefined"
//   "<op>: <name> must have shape <layout> = (2,5,4)[ <note>], got (2,5,3)"
//   "<op>: <name> must have dtype Float like x, got Double"
//   "<op>: <name> must be on cpu like x, got cuda:0"
void check_tensor(const std::string& op, const torch::Tensor& t, const TensorSpec& spec);

// The dtypes each implementation takes (of the leading tensor; the others must match it).
struct ImplDtypes {
  std::vector<torch::ScalarType> reference, cpu, cuda, loop;
};

// Resolves Auto with resolve_impl() (CUDA tensors → Cuda, else Cpu) and checks that the
// implementation takes `lead` and was built. Returns the implementation that will run.
//   "<op>: the cuda kernel was not built (no CUDA compiler)"
//   "<op>: the cpu kernel needs CPU tensors, got x on cuda:0"
//   "<op>: the cpu kernel takes Float, got x Double (use the reference for Double)"
Impl check_impl(const std::string& op, Impl impl, const torch::Tensor& lead,
                const std::string& lead_name, const ImplDtypes& dtypes);

}  // namespace goose::kernels
