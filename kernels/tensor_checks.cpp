// The wrappers' shared input checks and their one message format (see tensor_checks.h).
#include "kernels/tensor_checks.h"

#include <algorithm>
#include <stdexcept>

namespace goose::kernels {

namespace {

std::string dtype_str(torch::ScalarType t) { return std::string(c10::toString(t)); }

std::string dtypes_str(const std::vector<torch::ScalarType>& ts) {
  std::string out;
  for (size_t i = 0; i < ts.size(); ++i)
    out += (i == 0 ? "" : (i + 1 == ts.size() ? " or " : ", ")) + dtype_str(ts[i]);
  return out;
}

bool contains(const std::vector<torch::ScalarType>& ts, torch::ScalarType t) {
  return std::find(ts.begin(), ts.end(), t) != ts.end();
}

// "(B,T,D)" -> number of comma-separated names.
int64_t rank_of(const std::string& layout) {
  return 1 + static_cast<int64_t>(std::count(layout.begin(), layout.end(), ','));
}

std::string with_note(const std::string& note) { return note.empty() ? "" : " " + note; }

}  // namespace

std::string shape_str(torch::IntArrayRef sizes) {
  std::string out = "(";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? "," : "") + std::to_string(sizes[i]);
  return out + ")";
}

void fail(const std::string& op, const std::string& what) {
  throw std::invalid_argument(op + ": " + what);
}

void check_leading(const std::string& op, const torch::Tensor& t, const std::string& name,
                   const std::string& layout, const std::string& note) {
  if (!t.defined()) fail(op, name + " is undefined");
  const int64_t rank = rank_of(layout);
  if (t.dim() != rank)
    fail(op, name + " must be " + std::to_string(rank) + "-D " + layout + with_note(note) +
                 ", got shape " + shape_str(t.sizes()));
  for (int64_t d = 0; d < rank; ++d)
    if (t.size(d) < 1)
      fail(op, name + " must have " + layout.substr(1, layout.size() - 2) + " >= 1, got shape " +
                   shape_str(t.sizes()));
}

void check_tensor(const std::string& op, const torch::Tensor& t, const TensorSpec& spec) {
  if (!t.defined()) fail(op, spec.name + " is undefined");
  if (t.sizes() != torch::IntArrayRef(spec.shape))
    fail(op, spec.name + " must have shape " + spec.layout + " = " + shape_str(spec.shape) +
                 with_note(spec.note) + ", got " + shape_str(t.sizes()));
  if (t.scalar_type() != spec.dtype)
    fail(op, spec.name + " must have dtype " + dtype_str(spec.dtype) + " " + spec.dtype_source +
                 ", got " + dtype_str(t.scalar_type()));
  if (t.device() != spec.device)
    fail(op, spec.name + " must be on " + spec.device.str() + " " + spec.device_source +
                 ", got " + t.device().str());
}

Impl check_impl(const std::string& op, Impl impl, const torch::Tensor& lead,
                const std::string& lead_name, const ImplDtypes& dtypes) {
  const Impl chosen = resolve_impl(impl, lead.is_cuda());
  const std::string what =
      "the " + to_string(chosen) + (chosen == Impl::Loop ? " implementation" : " kernel");
  const std::vector<torch::ScalarType>* takes = &dtypes.loop;
  switch (chosen) {
    case Impl::Reference:
    case Impl::Cpu:
      if (!lead.is_cpu())
        fail(op, what + " needs CPU tensors, got " + lead_name + " on " + lead.device().str());
      takes = chosen == Impl::Cpu ? &dtypes.cpu : &dtypes.reference;
      break;
    case Impl::Cuda:
      if (!cuda_kernels_built()) fail(op, what + " was not built (no CUDA compiler)");
      if (!lead.is_cuda())
        fail(op, what + " needs CUDA tensors, got " + lead_name + " on " + lead.device().str());
      takes = &dtypes.cuda;
      break;
    case Impl::Loop:
    case Impl::Auto: break;
  }
  const auto st = lead.scalar_type();
  if (!contains(*takes, st)) {
    std::string hint;
    if (chosen != Impl::Reference && contains(dtypes.reference, st))
      hint = " (use the reference for " + dtype_str(st) + ")";
    fail(op, what + " takes " + dtypes_str(*takes) + ", got " + lead_name + " " + dtype_str(st) +
                 hint);
  }
  return chosen;
}

}  // namespace goose::kernels
