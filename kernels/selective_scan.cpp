// selective_scan(): input checks, dispatch to the reference / CPU / CUDA kernel, and the
// autograd Function that ties a forward to its backward (see selective_scan.h).
#include "kernels/selective_scan.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/recurrence_loops.h"
#include "kernels/selective_scan_cpu.h"
#include "kernels/selective_scan_reference.h"
#ifdef GOOSE_WITH_CUDA
#include "kernels/selective_scan_cuda.h"
#endif

namespace goose::kernels {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::string shape_str(torch::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

void check_shape(const Tensor& t, const char* name, const char* layout,
                 std::vector<int64_t> expected) {
  if (!t.defined())
    throw std::invalid_argument(std::string("selective_scan: ") + name + " is undefined");
  if (t.sizes() != torch::IntArrayRef(expected))
    throw std::invalid_argument(std::string("selective_scan: ") + name + " must have shape " +
                                layout + " = " + shape_str(expected) + ", got " +
                                shape_str(t.sizes()));
}

// Checks shapes, dtypes and devices; returns the implementation that will run.
Impl validate(const Tensor& x, const Tensor& delta, const Tensor& A, const Tensor& Bm,
              const Tensor& Cm, const Tensor& Dskip, const Tensor& h0, Impl impl) {
  if (!x.defined()) throw std::invalid_argument("selective_scan: x is undefined");
  if (x.dim() != 3)
    throw std::invalid_argument("selective_scan: x must have shape (B,T,D), got " +
                                shape_str(x.sizes()));
  if (!A.defined() || A.dim() != 2)
    throw std::invalid_argument("selective_scan: A must have shape (D,N), got " +
                                (A.defined() ? shape_str(A.sizes()) : std::string("undefined")));
  const int64_t B = x.size(0), T = x.size(1), D = x.size(2), N = A.size(1);
  if (B < 1 || T < 1 || D < 1 || N < 1)
    throw std::invalid_argument("selective_scan: sizes B,T,D,N must be >= 1, got " +
                                std::to_string(B) + "," + std::to_string(T) + "," +
                                std::to_string(D) + "," + std::to_string(N));
  check_shape(delta, "delta", "(B,T,D)", {B, T, D});
  check_shape(A, "A", "(D,N)", {D, N});
  check_shape(Bm, "Bm", "(B,T,N)", {B, T, N});
  check_shape(Cm, "Cm", "(B,T,N)", {B, T, N});
  check_shape(Dskip, "Dskip", "(D)", {D});
  if (h0.defined()) check_shape(h0, "h0", "(B,D,N)", {B, D, N});

  if (impl == Impl::Auto) impl = x.is_cuda() ? Impl::Cuda : Impl::Cpu;
  const bool allow_double = impl == Impl::Reference || impl == Impl::Loop;
  const std::vector<std::pair<const Tensor*, const char*>> all = {
      {&x, "x"}, {&delta, "delta"}, {&A, "A"}, {&Bm, "Bm"},
      {&Cm, "Cm"}, {&Dskip, "Dskip"}, {&h0, "h0"}};
  for (const auto& [t, name] : all) {
    if (!t->defined()) continue;
    const auto st = t->scalar_type();
    if (!(st == torch::kFloat || (allow_double && st == torch::kDouble)))
      throw std::invalid_argument(std::string("selective_scan: ") + name + " must be float32" +
                                  (allow_double ? " or float64" : "") + ", got " +
                                  std::string(c10::toString(st)));
    if (st != x.scalar_type())
      throw std::invalid_argument(std::string("selective_scan: ") + name +
                                  " has a different dtype from x");
    if (t->device() != x.device())
      throw std::invalid_argument(std::string("selective_scan: ") + name + " is on " +
                                  t->device().str() + " but x is on " + x.device().str());
  }
  if (impl == Impl::Cuda) {
    if (!x.is_cuda())
      throw std::invalid_argument("selective_scan: the cuda kernel needs CUDA tensors (x is on " +
                                  x.device().str() + ")");
#ifndef GOOSE_WITH_CUDA
    throw std::invalid_argument(
        "selective_scan: this build has no CUDA kernels (configure with nvcc present)");
#else
    if (N > kScanCudaMaxN)
      throw std::invalid_argument("selective_scan: the cuda kernel supports N <= " +
                                  std::to_string(kScanCudaMaxN) + ", got N = " +
                                  std::to_string(N));
#endif
  } else if (x.is_cuda() && impl != Impl::Loop) {
    throw std::invalid_argument("selective_scan: the " + to_string(impl) +
                                " kernel needs CPU tensors (x is on " + x.device().str() + ")");
  }
  return impl;
}

ScanShape shape_of(const Tensor& x, const Tensor& A, bool signed_decay) {
  ScanShape s;
  s.B = x.size(0);
  s.T = x.size(1);
  s.D = x.size(2);
  s.N = A.size(1);
  s.signed_decay = signed_decay;
  return s;
}

const float* ptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; }

// Runs the forward; ckpt (returned third) is defined only when keep_checkpoints and the
// implementation uses them.
std::tuple<Tensor, Tensor, Tensor> run_forward(Impl impl, const Tensor& x, const Tensor& delta,
                                               const Tensor& A, const Tensor& Bm,
                                               const Tensor& Cm, const Tensor& Dskip,
                                               const Tensor& h0, bool signed_decay,
                                               bool keep_checkpoints) {
  if (impl == Impl::Reference) {
    auto [y, hT] = selective_scan_reference_forward(x, delta, A, Bm, Cm, Dskip, h0, signed_decay);
    return {y, hT, Tensor()};
  }
  const ScanShape s = shape_of(x, A, signed_decay);
  auto y = torch::empty({s.B, s.T, s.D}, x.options());
  auto hT = torch::empty({s.B, s.D, s.N}, x.options());
  Tensor ckpt;
  if (keep_checkpoints)
    ckpt = torch::empty({s.B, scan_checkpoint_count(s.T), s.D, s.N}, x.options());
  float* ckpt_ptr = ckpt.defined() ? ckpt.data_ptr<float>() : nullptr;
  if (impl == Impl::Cpu) {
    selective_scan_cpu_forward(s, x.data_ptr<float>(), delta.data_ptr<float>(),
                               A.data_ptr<float>(), Bm.data_ptr<float>(), Cm.data_ptr<float>(),
                               Dskip.data_ptr<float>(), ptr_or_null(h0), y.data_ptr<float>(),
                               hT.data_ptr<float>(), ckpt_ptr);
  } else {
#ifdef GOOSE_WITH_CUDA
    selective_scan_cuda_forward(s, x.data_ptr<float>(), delta.data_ptr<float>(),
                                A.data_ptr<float>(), Bm.data_ptr<float>(), Cm.data_ptr<float>(),
                                Dskip.data_ptr<float>(), ptr_or_null(h0), y.data_ptr<float>(),
                                hT.data_ptr<float>(), ckpt_ptr);
#endif
  }
  return {y, hT, ckpt};
}

class SelectiveScanFunction : public torch::autograd::Function<SelectiveScanFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, Tensor x, Tensor delta, Tensor A, Tensor Bm,
                               Tensor Cm, Tensor Dskip, Tensor h0, bool has_h0,
                               bool signed_decay, int64_t impl_id) {
    const Impl impl = static_cast<Impl>(impl_id);
    auto [y, hT, ckpt] =
        run_forward(impl, x, delta, A, Bm, Cm, Dskip, h0, signed_decay, /*keep=*/true);
    ctx->save_for_backward({x, delta, A, Bm, Cm, Dskip, h0, ckpt});
    ctx->saved_data["signed_decay"] = signed_decay;
    ctx->saved_data["impl"] = impl_id;
    ctx->saved_data["has_h0"] = has_h0;
    return {y, hT};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &delta = saved[1], &A = saved[2], &Bm = saved[3],
                 &Cm = saved[4], &Dskip = saved[5], &h0 = saved[6], &ckpt = saved[7];
    const bool signed_decay = ctx->saved_data["signed_decay"].toBool();
    const Impl impl = static_cast<Impl>(ctx->saved_data["impl"].toInt());
    Tensor dy = grads[0].defined() ? grads[0].contiguous() : Tensor();
    Tensor dhT = grads[1].defined() ? grads[1].contiguous() : Tensor();

    std::vector<Tensor> g;
    if (impl == Impl::Reference) {
      g = selective_scan_reference_backward(x, delta, A, Bm, Cm, Dskip, h0, signed_decay, dy,
                                            dhT);
    } else {
      const ScanShape s = shape_of(x, A, signed_decay);
      g = {torch::empty_like(x),  torch::empty_like(delta), torch::empty_like(A),
           torch::empty_like(Bm), torch::empty_like(Cm),    torch::empty_like(Dskip),
           torch::empty({s.B, s.D, s.N}, x.options())};
      if (impl == Impl::Cpu) {
        selective_scan_cpu_backward(
            s, x.data_ptr<float>(), delta.data_ptr<float>(), A.data_ptr<float>(),
            Bm.data_ptr<float>(), Cm.data_ptr<float>(), Dskip.data_ptr<float>(),
            ckpt.data_ptr<float>(), ptr_or_null(dy), ptr_or_null(dhT), g[0].data_ptr<float>(),
            g[1].data_ptr<float>(), g[2].data_ptr<float>(), g[3].data_ptr<float>(),
            g[4].data_ptr<float>(), g[5].data_ptr<float>(), g[6].data_ptr<float>());
      } else {
#ifdef GOOSE_WITH_CUDA
        auto workspace =
            torch::empty({selective_scan_cuda_workspace_floats(s)}, x.options());
        selective_scan_cuda_backward(
            s, x.data_ptr<float>(), delta.data_ptr<float>(), A.data_ptr<float>(),
            Bm.data_ptr<float>(), Cm.data_ptr<float>(), Dskip.data_ptr<float>(),
            ckpt.data_ptr<float>(), ptr_or_null(dy), ptr_or_null(dhT), g[0].data_ptr<float>(),
            g[1].data_ptr<float>(), g[2].data_ptr<float>(), g[3].data_ptr<float>(),
            g[4].data_ptr<float>(), g[5].data_ptr<float>(), g[6].data_ptr<float>(),
            workspace.data_ptr<float>());
#endif
      }
    }
    if (!ctx->saved_data["has_h0"].toBool()) g[6] = Tensor();
    return {g[0], g[1], g[2], g[3], g[4], g[5], g[6], Tensor(), Tensor(), Tensor()};
  }
};

Tensor contiguous_or_undefined(const Tensor& t) { return t.defined() ? t.contiguous() : t; }

}  // namespace

std::tuple<torch::Tensor, torch::Tensor> selective_scan(
    const torch::Tensor& x, const torch::Tensor& delta, const torch::Tensor& A,
    const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& Dskip,
    const torch::Tensor& h0, bool signed_decay, Impl impl) {
  impl = validate(x, delta, A, Bm, Cm, Dskip, h0, impl);
  if (impl == Impl::Loop)  // autograd does the backward
    return selective_scan_loop(x, delta, A, Bm, Cm, Dskip, h0, signed_decay);
  const std::vector<Tensor> in = {x, delta, A, Bm, Cm, Dskip, h0};
  bool needs_grad = false;
  if (torch::GradMode::is_enabled())
    for (const auto& t : in) needs_grad = needs_grad || (t.defined() && t.requires_grad());

  const Tensor xc = x.contiguous(), dc = delta.contiguous(), Ac = A.contiguous(),
               Bc = Bm.contiguous(), Cc = Cm.contiguous(), Dc = Dskip.contiguous(),
               hc = contiguous_or_undefined(h0);
  if (!needs_grad) {  // inference: no checkpoints, no autograd node
    auto [y, hT, ckpt] = run_forward(impl, xc, dc, Ac, Bc, Cc, Dc, hc, signed_decay, false);
    return {y, hT};
  }
  // Function::apply cannot take an undefined tensor: pass zeros, and backward drops their
  // gradient (has_h0 = false).
  const bool has_h0 = hc.defined();
  const Tensor h0_in = has_h0 ? hc : torch::zeros({x.size(0), x.size(2), A.size(1)}, x.options());
  auto outs = SelectiveScanFunction::apply(xc, dc, Ac, Bc, Cc, Dc, h0_in, has_h0, signed_decay,
                                           static_cast<int64_t>(impl));
  return {outs[0], outs[1]};
}

}  // namespace goose::kernels
