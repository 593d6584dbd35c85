// The autograd op of causal_conv.h: checks, the forward saves the pre-activation, the backward
// calls the CPU loops. The LibTorch chain it replaces (cat, conv1d, silu) is its reference
// (tests/kernels/causal_conv_test.cpp).
#include "kernels/causal_conv.h"

#include <stdexcept>
#include <string>

#include "kernels/causal_conv_cpu.h"
#include "kernels/profile_scope.h"
#include "kernels/torch_compat.h"

namespace goose::kernels {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("causal_conv_silu: " + what);
}

CausalConvDims dims_of(const Tensor& u, const Tensor& weight) {
  return {u.size(0), u.size(1), u.size(2), weight.size(2), u.stride(1)};
}

// u as the loops read it: unit channel stride and batches T rows apart.
Tensor readable(const Tensor& u) {
  const bool ok = u.stride(2) == 1 && u.stride(1) >= u.size(2) && u.stride(0) == u.size(1) * u.stride(1);
  return ok ? u : u.contiguous();
}

const float* cfp(const Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; }
float* fp(const Tensor& t) { return t.data_ptr<float>(); }

class CausalConvSiluFunction : public torch::autograd::Function<CausalConvSiluFunction> {
 public:
  // window: absent (nullopt) for zeros; autograd takes only defined tensors.
  static variable_list forward(AutogradContext* ctx, Tensor u, OptionalTensor window_opt,
                               Tensor weight, Tensor bias) {
    const Tensor window = window_opt.has_value() ? window_opt->contiguous() : Tensor();
    const Tensor w = weight.contiguous(), b = bias.contiguous();
    const CausalConvDims d = dims_of(u, w);
    auto c = torch::empty({d.B, d.T, d.D}, u.options()), x = torch::empty_like(c);
    {
      ProfileScope scope("causal_conv_silu_forward");
      causal_conv_silu_forward(d, cfp(u), cfp(window), cfp(w), cfp(b), fp(c), fp(x));
    }
    ctx->save_for_backward({u, window, w, c});
    ctx->saved_data["has_window"] = window.defined();
    return {x};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &u = saved[0], &w = saved[2], &c = saved[3];
    const Tensor window = ctx->saved_data["has_window"].toBool() ? saved[1] : Tensor();
    const CausalConvDims d = dims_of(u, w);
    const Tensor dx = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(c);
    auto du = torch::empty({d.B, d.T, d.D}, c.options());
    auto dwindow = window.defined() ? torch::empty_like(window) : Tensor();
    auto dweight = torch::empty_like(w), dbias = torch::empty({d.D}, c.options());
    {
      ProfileScope scope("causal_conv_silu_backward");
      causal_conv_silu_backward(d, cfp(u), cfp(window), cfp(w), cfp(c), cfp(dx), fp(du),
                                window.defined() ? fp(dwindow) : nullptr, fp(dweight), fp(dbias));
    }
    return {du, dwindow, dweight, dbias};
  }
};

}  // namespace

Tensor causal_conv_silu(const Tensor& u, const Tensor& window, const Tensor& weight,
                        const Tensor& bias) {
  require(u.dim() == 3 && weight.dim() == 3 && weight.size(1) == 1 && bias.dim() == 1,
          "expects u (B,T,D), weight (D,1,K), bias (D)");
  const int64_t D = u.size(2), K = weight.size(2);
  require(weight.size(0) == D && bias.size(0) == D && K >= 1, "weight and bias must have D channels");
  require(!window.defined() || (window.dim() == 3 && window.size(0) == u.size(0) &&
                                window.size(1) == D && window.size(2) == K - 1),
          "window must be (B,D,K-1)");
  for (const Tensor& t : {u, window, weight, bias})
    require(!t.defined() || (t.device().is_cpu() && t.scalar_type() == torch::kFloat),
            "takes CPU fp32 tensors");
  OptionalTensor window_opt;
  if (window.defined()) window_opt = window;
  return CausalConvSiluFunction::apply(readable(u), window_opt, weight, bias)[0];
}

}  // namespace goose::kernels
