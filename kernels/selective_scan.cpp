// selective_scan(): input checks per mode, dispatch to the reference / CPU / CUDA kernel
// (raw-pointer functions sharing kernels/selective_scan_shape.h) or the per-step loop, and
// the autograd Function that ties a forward to its backward (see selective_scan.h).
// x, delta: (B,T,D); A: (D,N[,2]); Bm, Cm: (B,T,N[,2]); h: (B,D,N[,2]);
// h_t = λ_t ⊙ h_{t−1} + Δ_t x_t Bm_t, y_t = Re(Σ_n Cm_t h_t) + Dskip x_t
#include "kernels/selective_scan.h"

#include <string>
#include <vector>

#include "kernels/recurrence_loops.h"
#include "kernels/selective_scan_cpu.h"
#include "kernels/selective_scan_reference.h"
#include "kernels/tensor_checks.h"
#ifdef GOOSE_WITH_CUDA
#include "kernels/selective_scan_cuda.h"
#endif

namespace goose::kernels {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const char* const kOp = "selective_scan";

// (sizes..., 2) in the Complex mode, (sizes...) otherwise.
std::vector<int64_t> with_parts(std::vector<int64_t> sizes, ScanMode mode) {
  if (mode == ScanMode::Complex) sizes.push_back(2);
  return sizes;
}

// Checks shapes (per mode), dtypes and devices; returns the implementation that will run.
Impl validate(const Tensor& x, const Tensor& delta, const Tensor& A, const Tensor& Bm,
              const Tensor& Cm, const Tensor& Dskip, const Tensor& h0, ScanMode mode,
              Impl impl) {
  const bool cx = mode == ScanMode::Complex;
  const std::string note = "in the " + to_string(mode) + " mode";
  check_leading(kOp, x, "x", "(B,T,D)");
  check_leading(kOp, A, "A", cx ? "(D,N,2)" : "(D,N)", note);
  const int64_t B = x.size(0), T = x.size(1), D = x.size(2), N = A.size(1);
  auto spec = [&](const char* name, const char* real_layout, const char* complex_layout,
                  std::vector<int64_t> sizes, bool per_mode) {
    return TensorSpec{name,
                      per_mode && cx ? complex_layout : real_layout,
                      per_mode ? with_parts(std::move(sizes), mode) : std::move(sizes),
                      x.scalar_type(),
                      "like x",
                      x.device(),
                      "like x",
                      per_mode ? note : ""};
  };
  check_tensor(kOp, delta, spec("delta", "(B,T,D)", "", {B, T, D}, false));
  check_tensor(kOp, A, spec("A", "(D,N)", "(D,N,2)", {D, N}, true));
  check_tensor(kOp, Bm, spec("Bm", "(B,T,N)", "(B,T,N,2)", {B, T, N}, true));
  check_tensor(kOp, Cm, spec("Cm", "(B,T,N)", "(B,T,N,2)", {B, T, N}, true));
  check_tensor(kOp, Dskip, spec("Dskip", "(D)", "", {D}, false));
  if (h0.defined()) check_tensor(kOp, h0, spec("h0", "(B,D,N)", "(B,D,N,2)", {B, D, N}, true));
  const Impl chosen = check_impl(kOp, impl, x, "x",
                                 {/*reference=*/{torch::kFloat, torch::kDouble},
                                  /*cpu=*/{torch::kFloat},
                                  /*cuda=*/{torch::kFloat},
                                  /*loop=*/{torch::kFloat, torch::kDouble}});
#ifdef GOOSE_WITH_CUDA
  const int64_t max_n = selective_scan_cuda_max_n(mode);
  if (chosen == Impl::Cuda && N > max_n)
    fail(kOp, "the cuda kernel takes N <= " + std::to_string(max_n) + " " + note + ", got N = " +
                  std::to_string(N));
#endif
  return chosen;
}

ScanDims dims_of(const Tensor& x, const Tensor& A, ScanMode mode) {
  ScanDims s;
  s.B = x.size(0);
  s.T = x.size(1);
  s.D = x.size(2);
  s.N = A.size(1);
  s.mode = mode;
  return s;
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// The inputs in the order x, delta, A, Bm, Cm, Dskip, h0 (h0 may be undefined).
template <typename T>
ScanForwardArgs<T> forward_args(const std::vector<Tensor>& in, Tensor& y, Tensor& hT,
                                Tensor& ckpt) {
  ScanForwardArgs<T> p;
  p.x = in[0].data_ptr<T>();
  p.delta = in[1].data_ptr<T>();
  p.A = in[2].data_ptr<T>();
  p.Bm = in[3].data_ptr<T>();
  p.Cm = in[4].data_ptr<T>();
  p.Dskip = in[5].data_ptr<T>();
  p.h0 = ptr_or_null<T>(in[6]);
  p.y = y.data_ptr<T>();
  p.hT = hT.data_ptr<T>();
  p.ckpt = ptr_or_null<T>(ckpt);
  return p;
}

// g: dx, ddelta, dA, dBm, dCm, dDskip, dh0 (allocated).
template <typename T>
ScanBackwardArgs<T> backward_args(const std::vector<Tensor>& in, const Tensor& ckpt,
                                  const Tensor& dy, const Tensor& dhT, std::vector<Tensor>& g) {
  ScanBackwardArgs<T> p;
  p.x = in[0].data_ptr<T>();
  p.delta = in[1].data_ptr<T>();
  p.A = in[2].data_ptr<T>();
  p.Bm = in[3].data_ptr<T>();
  p.Cm = in[4].data_ptr<T>();
  p.Dskip = in[5].data_ptr<T>();
  p.h0 = ptr_or_null<T>(in[6]);
  p.ckpt = ptr_or_null<T>(ckpt);
  p.dy = ptr_or_null<T>(dy);
  p.dhT = ptr_or_null<T>(dhT);
  p.dx = g[0].data_ptr<T>();
  p.ddelta = g[1].data_ptr<T>();
  p.dA = g[2].data_ptr<T>();
  p.dBm = g[3].data_ptr<T>();
  p.dCm = g[4].data_ptr<T>();
  p.dDskip = g[5].data_ptr<T>();
  p.dh0 = g[6].data_ptr<T>();
  return p;
}

// Runs the forward; ckpt (returned third) is defined only when keep_checkpoints and the
// implementation uses them.
std::tuple<Tensor, Tensor, Tensor> run_forward(Impl impl, const ScanDims& s,
                                               const std::vector<Tensor>& in,
                                               bool keep_checkpoints) {
  const Tensor& x = in[0];
  const int64_t c = scan_components(s.mode);
  Tensor y = torch::empty({s.B, s.T, s.D}, x.options());
  Tensor hT = torch::empty(with_parts({s.B, s.D, s.N}, s.mode), x.options());
  Tensor ckpt;
  if (impl == Impl::Reference) {
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "selective_scan_reference_forward", [&] {
      selective_scan_reference_forward<scalar_t>(s, forward_args<scalar_t>(in, y, hT, ckpt));
    });
    return {y, hT, ckpt};
  }
  if (keep_checkpoints)
    ckpt = torch::empty({s.B, scan_checkpoint_count(s.T), s.D, s.N * c}, x.options());
  if (impl == Impl::Cpu) {
    selective_scan_cpu_forward(s, forward_args<float>(in, y, hT, ckpt));
  } else {
#ifdef GOOSE_WITH_CUDA
    selective_scan_cuda_forward(static_cast<int>(x.get_device()), s,
                                forward_args<float>(in, y, hT, ckpt));
#endif
  }
  return {y, hT, ckpt};
}

class SelectiveScanFunction : public torch::autograd::Function<SelectiveScanFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, Tensor x, Tensor delta, Tensor A, Tensor Bm,
                               Tensor Cm, Tensor Dskip, Tensor h0, bool has_h0, int64_t mode_id,
                               int64_t impl_id) {
    const Impl impl = static_cast<Impl>(impl_id);
    const ScanDims s = dims_of(x, A, static_cast<ScanMode>(mode_id));
    auto [y, hT, ckpt] = run_forward(impl, s, {x, delta, A, Bm, Cm, Dskip, h0}, /*keep=*/true);
    ctx->save_for_backward({x, delta, A, Bm, Cm, Dskip, h0, ckpt});
    ctx->saved_data["mode"] = mode_id;
    ctx->saved_data["impl"] = impl_id;
    ctx->saved_data["has_h0"] = has_h0;
    return {y, hT};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const std::vector<Tensor> in(saved.begin(), saved.begin() + 7);
    const Tensor &x = in[0], &ckpt = saved[7];
    const Impl impl = static_cast<Impl>(ctx->saved_data["impl"].toInt());
    const ScanDims s = dims_of(x, in[2], static_cast<ScanMode>(ctx->saved_data["mode"].toInt()));
    Tensor dy = grads[0].defined() ? grads[0].to(x.scalar_type()).contiguous() : Tensor();
    Tensor dhT = grads[1].defined() ? grads[1].to(x.scalar_type()).contiguous() : Tensor();
    std::vector<Tensor> g;
    for (int i = 0; i < 6; ++i) g.push_back(torch::empty_like(in[i]));
    g.push_back(torch::empty(with_parts({s.B, s.D, s.N}, s.mode), x.options()));
    if (impl == Impl::Reference) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "selective_scan_reference_backward", [&] {
        selective_scan_reference_backward<scalar_t>(s,
                                                    backward_args<scalar_t>(in, ckpt, dy, dhT, g));
      });
    } else if (impl == Impl::Cpu) {
      selective_scan_cpu_backward(s, backward_args<float>(in, ckpt, dy, dhT, g));
    } else {
#ifdef GOOSE_WITH_CUDA
      auto workspace = torch::empty({selective_scan_cuda_workspace_floats(s)}, x.options());
      selective_scan_cuda_backward(static_cast<int>(x.get_device()), s,
                                   backward_args<float>(in, ckpt, dy, dhT, g),
                                   workspace.data_ptr<float>());
#endif
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
    const torch::Tensor& h0, ScanMode mode, Impl impl) {
  impl = validate(x, delta, A, Bm, Cm, Dskip, h0, mode, impl);
  if (impl == Impl::Loop)  // autograd does the backward
    return selective_scan_loop(x, delta, A, Bm, Cm, Dskip, h0, mode);
  bool needs_grad = false;
  if (torch::GradMode::is_enabled())
    for (const Tensor* t : {&x, &delta, &A, &Bm, &Cm, &Dskip, &h0})
      needs_grad = needs_grad || (t->defined() && t->requires_grad());

  std::vector<Tensor> in = {x.contiguous(),  delta.contiguous(), A.contiguous(),
                            Bm.contiguous(), Cm.contiguous(),    Dskip.contiguous(),
                            contiguous_or_undefined(h0)};
  if (!needs_grad) {  // inference: no checkpoints, no autograd node
    auto [y, hT, ckpt] = run_forward(impl, dims_of(x, A, mode), in, false);
    return {y, hT};
  }
  // Function::apply cannot take an undefined tensor: pass zeros, and backward drops their
  // gradient (has_h0 = false).
  const bool has_h0 = in[6].defined();
  if (!has_h0)
    in[6] = torch::zeros(with_parts({x.size(0), x.size(2), A.size(1)}, mode), x.options());
  auto outs = SelectiveScanFunction::apply(in[0], in[1], in[2], in[3], in[4], in[5], in[6],
                                           has_h0, static_cast<int64_t>(mode),
                                           static_cast<int64_t>(impl));
  return {outs[0], outs[1]};
}

}  // namespace goose::kernels
