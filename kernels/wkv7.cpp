// wkv7(): input validation, choice of implementation and the autograd Function that ties the
// reference, CPU and CUDA kernels (raw-pointer functions sharing kernels/wkv7_shape.h) into
// LibTorch.
// r,w,k,v,a,b: (B,T,H,N); s0: (B,H,N,N); S_t = S_{t-1}·(diag(w_t) + a_t b_tᵀ) + v_t k_tᵀ, y_t = S_t r_t
#include "kernels/wkv7.h"

#include "kernels/recurrence_loops.h"
#include "kernels/tensor_checks.h"
#include "kernels/wkv7_cpu.h"
#include "kernels/wkv7_reference.h"
#ifdef GOOSE_WITH_CUDA
#include "kernels/wkv7_cuda.h"
#endif

namespace goose::kernels {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const char* const kOp = "wkv7";

// Throws invalid_argument naming the offending tensor; returns the implementation to run.
Impl validate(const Tensor& r, const Tensor& w, const Tensor& k, const Tensor& v, const Tensor& a,
              const Tensor& b, const Tensor& s0, Impl impl) {
  check_leading(kOp, r, "r", "(B,T,H,N)");
  const int64_t B = r.size(0), T = r.size(1), H = r.size(2), N = r.size(3);
  const std::pair<const char*, const Tensor*> others[] = {{"w", &w}, {"k", &k}, {"v", &v},
                                                          {"a", &a}, {"b", &b}};
  for (const auto& [name, t] : others)
    check_tensor(kOp, *t,
                 {name, "(B,T,H,N)", {B, T, H, N}, r.scalar_type(), "like r", r.device(),
                  "like r", ""});
  const auto state_type = r.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  if (s0.defined())
    check_tensor(kOp, s0,
                 {"s0", "(B,H,N,N)", {B, H, N, N}, state_type,
                  "for " + std::string(c10::toString(r.scalar_type())) + " inputs", r.device(),
                  "like r", ""});
  const Impl chosen = check_impl(kOp, impl, r, "r",
                                 {/*reference=*/{torch::kFloat, torch::kDouble},
                                  /*cpu=*/{torch::kFloat},
                                  /*cuda=*/{torch::kFloat, torch::kBFloat16},
                                  /*loop=*/{torch::kFloat, torch::kDouble}});
#ifdef GOOSE_WITH_CUDA
  if (chosen == Impl::Cuda && N > kWkv7CudaMaxN)
    fail(kOp, "the cuda kernel takes N <= " + std::to_string(kWkv7CudaMaxN) + ", got N = " +
                  std::to_string(N));
#endif
  return chosen;
}

Wkv7Dims dims_of(const Tensor& r) { return {r.size(0), r.size(1), r.size(2), r.size(3)}; }

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// The forward's arguments as element type E (T for the reference and the CPU kernel, void for
// the CUDA launcher), states S.
template <typename E, typename S>
Wkv7ForwardArgs<E, S> forward_args(const Tensor& r, const Tensor& w, const Tensor& k,
                                   const Tensor& v, const Tensor& a, const Tensor& b,
                                   const Tensor& s0, Tensor& y, Tensor& s_out, Tensor& ckpt) {
  auto p = [](const Tensor& t) { return static_cast<E*>(t.data_ptr()); };
  Wkv7ForwardArgs<E, S> args;
  args.r = p(r);
  args.w = p(w);
  args.k = p(k);
  args.v = p(v);
  args.a = p(a);
  args.b = p(b);
  args.s0 = s0.data_ptr<S>();
  args.y = p(y);
  args.s_out = s_out.data_ptr<S>();
  args.ckpt = ptr_or_null<S>(ckpt);
  return args;
}

// The backward's arguments; state0 is s0 for the reference and the checkpoints for the kernels.
template <typename E, typename S>
Wkv7BackwardArgs<E, S> backward_args(const std::vector<Tensor>& in, const Tensor& state0,
                                     bool is_reference, const Tensor& dy, const Tensor& ds_out,
                                     std::vector<Tensor>& g) {
  auto p = [](const Tensor& t) { return static_cast<E*>(t.defined() ? t.data_ptr() : nullptr); };
  Wkv7BackwardArgs<E, S> args;
  args.r = p(in[0]);
  args.w = p(in[1]);
  args.k = p(in[2]);
  args.v = p(in[3]);
  args.a = p(in[4]);
  args.b = p(in[5]);
  (is_reference ? args.s0 : args.ckpt) = state0.data_ptr<S>();
  args.dy = p(dy);
  args.ds_out = ptr_or_null<S>(ds_out);
  args.dr = p(g[0]);
  args.dw = p(g[1]);
  args.dk = p(g[2]);
  args.dv = p(g[3]);
  args.da = p(g[4]);
  args.db = p(g[5]);
  args.ds0 = g[6].data_ptr<S>();
  return args;
}

#ifdef GOOSE_WITH_CUDA
Wkv7CudaDtype cuda_dtype(const Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 ? Wkv7CudaDtype::BFloat16 : Wkv7CudaDtype::Float32;
}
#endif

class Wkv7Function : public torch::autograd::Function<Wkv7Function> {
 public:
  // Inputs are contiguous and validated; s0 is always defined (zeros when not given).
  static variable_list forward(AutogradContext* ctx, Tensor r, Tensor w, Tensor k, Tensor v,
                               Tensor a, Tensor b, Tensor s0, int64_t impl_code,
                               bool needs_grad) {
    const Impl impl = static_cast<Impl>(impl_code);
    const Wkv7Dims sz = dims_of(r);
    auto y = torch::empty_like(r);
    auto s_out = torch::empty_like(s0);
    Tensor ckpt;
    if (impl == Impl::Reference) {
      AT_DISPATCH_FLOATING_TYPES(r.scalar_type(), "wkv7_reference_forward", [&] {
        wkv7_reference_forward<scalar_t>(
            sz, forward_args<scalar_t, scalar_t>(r, w, k, v, a, b, s0, y, s_out, ckpt));
      });
    } else if (impl == Impl::Cpu) {
      if (needs_grad)
        ckpt = torch::empty({sz.B, sz.H, wkv7_cpu_checkpoints(sz.T), sz.N, sz.N}, s0.options());
      wkv7_cpu_forward(sz, forward_args<float, float>(r, w, k, v, a, b, s0, y, s_out, ckpt));
    } else {
#ifdef GOOSE_WITH_CUDA
      const int64_t chunk = wkv7_cuda_chunk();
      ctx->saved_data["chunk"] = chunk;
      if (needs_grad)
        ckpt = torch::empty({sz.B, sz.H, wkv7_cuda_checkpoints(sz.T, chunk), sz.N, sz.N},
                            s0.options());
      wkv7_cuda_forward(static_cast<int>(r.get_device()), cuda_dtype(r), sz, chunk,
                        forward_args<void, float>(r, w, k, v, a, b, s0, y, s_out, ckpt));
#endif
    }
    ctx->saved_data["impl"] = impl_code;
    // The reference recomputes everything from s0; the kernels start from their checkpoints.
    ctx->save_for_backward({r, w, k, v, a, b, impl == Impl::Reference ? s0 : ckpt});
    return {y, s_out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const Impl impl = static_cast<Impl>(ctx->saved_data["impl"].toInt());
    auto saved = ctx->get_saved_variables();
    const std::vector<Tensor> in(saved.begin(), saved.begin() + 6);
    const Tensor& r = in[0];
    const Tensor& state0 = saved[6];
    const Wkv7Dims sz = dims_of(r);
    Tensor dy = grads[0].defined() ? grads[0].to(r.scalar_type()).contiguous() : Tensor();
    const auto state_type = impl == Impl::Reference ? r.scalar_type() : torch::kFloat;
    Tensor ds_out = grads[1].defined() ? grads[1].to(state_type).contiguous() : Tensor();
    std::vector<Tensor> g;
    for (int i = 0; i < 6; ++i) g.push_back(torch::empty_like(r));
    g.push_back(torch::empty({sz.B, sz.H, sz.N, sz.N}, r.options().dtype(state_type)));
    const bool is_ref = impl == Impl::Reference;
    if (is_ref) {
      AT_DISPATCH_FLOATING_TYPES(r.scalar_type(), "wkv7_reference_backward", [&] {
        wkv7_reference_backward<scalar_t>(
            sz, backward_args<scalar_t, scalar_t>(in, state0, true, dy, ds_out, g));
      });
    } else if (impl == Impl::Cpu) {
      wkv7_cpu_backward(sz, backward_args<float, float>(in, state0, false, dy, ds_out, g));
    } else {
#ifdef GOOSE_WITH_CUDA
      // The chunk the forward checkpointed with, even if the environment changed since.
      const int64_t chunk = ctx->saved_data["chunk"].toInt();
      auto scratch = torch::empty({wkv7_cuda_scratch_floats(sz, chunk)}, g[6].options());
      wkv7_cuda_backward(static_cast<int>(r.get_device()), cuda_dtype(r), sz, chunk,
                         backward_args<void, float>(in, state0, false, dy, ds_out, g),
                         scratch.data_ptr<float>());
#endif
    }
    return {g[0], g[1], g[2], g[3], g[4], g[5], g[6], Tensor(), Tensor()};
  }
};

}  // namespace

std::tuple<torch::Tensor, torch::Tensor> wkv7(const torch::Tensor& r, const torch::Tensor& w,
                                              const torch::Tensor& k, const torch::Tensor& v,
                                              const torch::Tensor& a, const torch::Tensor& b,
                                              const torch::Tensor& s0, Impl impl) {
  const Impl chosen = validate(r, w, k, v, a, b, s0, impl);
  if (chosen == Impl::Loop) return wkv7_loop(r, w, k, v, a, b, s0);  // autograd does the backward
  const auto state_type = r.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  Tensor state0 = s0.defined()
                      ? s0.contiguous()
                      : torch::zeros({r.size(0), r.size(2), r.size(3), r.size(3)},
                                     r.options().dtype(state_type));
  const bool needs_grad =
      torch::GradMode::is_enabled() &&
      (r.requires_grad() || w.requires_grad() || k.requires_grad() || v.requires_grad() ||
       a.requires_grad() || b.requires_grad() || state0.requires_grad());
  auto out = Wkv7Function::apply(r.contiguous(), w.contiguous(), k.contiguous(), v.contiguous(),
                                 a.contiguous(), b.contiguous(), state0,
                                 static_cast<int64_t>(chosen), needs_grad);
  return {out[0], out[1]};
}

}  // namespace goose::kernels
