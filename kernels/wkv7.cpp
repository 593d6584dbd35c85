// wkv7(): input validation, choice of implementation and the autograd Function that ties the
// reference, CPU and CUDA kernels (raw-pointer functions) into LibTorch.
// r,w,k,v,a,b: (B,T,H,N); s0: (B,H,N,N); S_t = S_{t-1}·(diag(w_t) + a_t b_tᵀ) + v_t k_tᵀ, y_t = S_t r_t
#include <sstream>
#include <stdexcept>

#include "kernels/wkv7.h"
#include "kernels/recurrence_loops.h"
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

std::string shape_str(const Tensor& t) {
  std::ostringstream os;
  os << "(";
  for (int64_t d = 0; d < t.dim(); ++d) os << (d ? "," : "") << t.size(d);
  os << ")";
  return os.str();
}

std::string dims_str(std::initializer_list<int64_t> dims) {
  std::ostringstream os;
  os << "(";
  bool first = true;
  for (auto d : dims) {
    os << (first ? "" : ",") << d;
    first = false;
  }
  os << ")";
  return os.str();
}

std::string dtype_str(const Tensor& t) { return std::string(c10::toString(t.scalar_type())); }

Impl resolve_impl(Impl impl, const Tensor& r) {
  if (impl != Impl::Auto) return impl;
  if (r.is_cuda()) return Impl::Cuda;
  return r.scalar_type() == torch::kDouble ? Impl::Reference : Impl::Cpu;
}

// Throws invalid_argument naming the offending tensor; returns the implementation to run.
Impl validate(const Tensor& r, const Tensor& w, const Tensor& k, const Tensor& v, const Tensor& a,
              const Tensor& b, const Tensor& s0, Impl impl) {
  if (!r.defined()) throw std::invalid_argument("wkv7: r is undefined");
  if (r.dim() != 4)
    throw std::invalid_argument("wkv7: r must be 4-D (B,T,H,N), got shape " + shape_str(r));
  const int64_t B = r.size(0), T = r.size(1), H = r.size(2), N = r.size(3);
  if (B < 1 || T < 1 || H < 1 || N < 1)
    throw std::invalid_argument("wkv7: r must have B,T,H,N >= 1, got shape " + shape_str(r));
  const std::string want = dims_str({B, T, H, N});
  const std::pair<const char*, const Tensor*> others[] = {{"w", &w}, {"k", &k}, {"v", &v},
                                                          {"a", &a}, {"b", &b}};
  for (const auto& [name, t] : others) {
    if (!t->defined()) throw std::invalid_argument(std::string("wkv7: ") + name + " is undefined");
    if (t->sizes() != r.sizes())
      throw std::invalid_argument(std::string("wkv7: ") + name + " must have shape (B,T,H,N) = " +
                                  want + " like r, got " + shape_str(*t));
    if (t->scalar_type() != r.scalar_type())
      throw std::invalid_argument(std::string("wkv7: ") + name + " must have dtype " +
                                  dtype_str(r) + " like r, got " + dtype_str(*t));
    if (t->device() != r.device())
      throw std::invalid_argument(std::string("wkv7: ") + name + " must be on " +
                                  r.device().str() + " like r, got " + t->device().str());
  }
  const bool is_double = r.scalar_type() == torch::kDouble;
  if (s0.defined()) {
    if (s0.sizes() != torch::IntArrayRef({B, H, N, N}))
      throw std::invalid_argument("wkv7: s0 must have shape (B,H,N,N) = " +
                                  dims_str({B, H, N, N}) + ", got " + shape_str(s0));
    const auto state_type = is_double ? torch::kDouble : torch::kFloat;
    if (s0.scalar_type() != state_type)
      throw std::invalid_argument("wkv7: s0 must have dtype " +
                                  std::string(c10::toString(state_type)) + " for " +
                                  dtype_str(r) + " inputs, got " + dtype_str(s0));
    if (s0.device() != r.device())
      throw std::invalid_argument("wkv7: s0 must be on " + r.device().str() + " like r, got " +
                                  s0.device().str());
  }

  const Impl chosen = resolve_impl(impl, r);
  const auto st = r.scalar_type();
  switch (chosen) {
    case Impl::Reference:
      if (!r.is_cpu())
        throw std::invalid_argument("wkv7: the reference kernel needs CPU tensors, got r on " +
                                    r.device().str());
      if (st != torch::kFloat && st != torch::kDouble)
        throw std::invalid_argument("wkv7: the reference kernel takes Float or Double, got r " +
                                    dtype_str(r));
      break;
    case Impl::Cpu:
      if (!r.is_cpu())
        throw std::invalid_argument("wkv7: the cpu kernel needs CPU tensors, got r on " +
                                    r.device().str());
      if (st != torch::kFloat)
        throw std::invalid_argument("wkv7: the cpu kernel takes Float, got r " + dtype_str(r) +
                                    " (use the reference for Double)");
      break;
    case Impl::Cuda:
      if (!cuda_kernels_built())
        throw std::invalid_argument("wkv7: the cuda kernel was not built (no CUDA compiler)");
      if (!r.is_cuda())
        throw std::invalid_argument("wkv7: the cuda kernel needs CUDA tensors, got r on " +
                                    r.device().str());
      if (st != torch::kFloat && st != torch::kBFloat16)
        throw std::invalid_argument("wkv7: the cuda kernel takes Float or BFloat16, got r " +
                                    dtype_str(r));
#ifdef GOOSE_WITH_CUDA
      if (N > kWkv7CudaMaxN)
        throw std::invalid_argument("wkv7: the cuda kernel takes N <= " +
                                    std::to_string(kWkv7CudaMaxN) + ", got N = " +
                                    std::to_string(N));
#endif
      break;
    case Impl::Loop:
      if (st != torch::kFloat && st != torch::kDouble)
        throw std::invalid_argument("wkv7: the loop implementation takes Float or Double, got r " +
                                    dtype_str(r));
      break;
    case Impl::Auto: break;
  }
  return chosen;
}

Wkv7Sizes sizes_of(const Tensor& r) { return {r.size(0), r.size(1), r.size(2), r.size(3)}; }

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

#ifdef GOOSE_WITH_CUDA
Wkv7CudaDtype cuda_dtype(const Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 ? Wkv7CudaDtype::BFloat16 : Wkv7CudaDtype::Float32;
}
const void* vptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }
#endif

class Wkv7Function : public torch::autograd::Function<Wkv7Function> {
 public:
  // Inputs are contiguous and validated; s0 is always defined (zeros when not given).
  static variable_list forward(AutogradContext* ctx, Tensor r, Tensor w, Tensor k, Tensor v,
                               Tensor a, Tensor b, Tensor s0, int64_t impl_code,
                               bool needs_grad) {
    const Impl impl = static_cast<Impl>(impl_code);
    const Wkv7Sizes sz = sizes_of(r);
    auto y = torch::empty_like(r);
    auto s_out = torch::empty_like(s0);
    Tensor ckpt;
    if (impl == Impl::Reference) {
      AT_DISPATCH_FLOATING_TYPES(r.scalar_type(), "wkv7_reference_forward", [&] {
        wkv7_reference_forward<scalar_t>(sz, r.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(),
                                         k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(),
                                         a.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(),
                                         s0.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(),
                                         s_out.data_ptr<scalar_t>());
      });
    } else if (impl == Impl::Cpu) {
      if (needs_grad)
        ckpt = torch::empty({sz.B, sz.H, wkv7_cpu_checkpoints(sz.T), sz.N, sz.N}, s0.options());
      wkv7_cpu_forward(sz, r.data_ptr<float>(), w.data_ptr<float>(), k.data_ptr<float>(),
                       v.data_ptr<float>(), a.data_ptr<float>(), b.data_ptr<float>(),
                       s0.data_ptr<float>(), y.data_ptr<float>(), s_out.data_ptr<float>(),
                       ptr_or_null<float>(ckpt));
    } else {
#ifdef GOOSE_WITH_CUDA
      const int64_t chunk = wkv7_cuda_chunk();
      ctx->saved_data["chunk"] = chunk;
      if (needs_grad)
        ckpt = torch::empty({sz.B, sz.H, wkv7_cuda_checkpoints(sz.T, chunk), sz.N, sz.N},
                            s0.options());
      wkv7_cuda_forward(static_cast<int>(r.get_device()), cuda_dtype(r), sz, chunk, r.data_ptr(),
                        w.data_ptr(), k.data_ptr(), v.data_ptr(), a.data_ptr(), b.data_ptr(),
                        s0.data_ptr<float>(), y.data_ptr(), s_out.data_ptr<float>(),
                        ptr_or_null<float>(ckpt));
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
    const Tensor &r = saved[0], &w = saved[1], &k = saved[2], &v = saved[3], &a = saved[4],
                 &b = saved[5], &state0 = saved[6];
    const Wkv7Sizes sz = sizes_of(r);
    Tensor dy = grads[0].defined() ? grads[0].to(r.scalar_type()).contiguous() : Tensor();
    const auto state_type = impl == Impl::Reference ? r.scalar_type() : torch::kFloat;
    Tensor ds_out = grads[1].defined() ? grads[1].to(state_type).contiguous() : Tensor();
    auto dr = torch::empty_like(r), dw = torch::empty_like(r), dk = torch::empty_like(r),
         dv = torch::empty_like(r), da = torch::empty_like(r), db = torch::empty_like(r);
    auto ds0 = torch::empty({sz.B, sz.H, sz.N, sz.N}, r.options().dtype(state_type));
    if (impl == Impl::Reference) {
      AT_DISPATCH_FLOATING_TYPES(r.scalar_type(), "wkv7_reference_backward", [&] {
        wkv7_reference_backward<scalar_t>(
            sz, r.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), k.data_ptr<scalar_t>(),
            v.data_ptr<scalar_t>(), a.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(),
            state0.data_ptr<scalar_t>(), ptr_or_null<scalar_t>(dy), ptr_or_null<scalar_t>(ds_out),
            dr.data_ptr<scalar_t>(), dw.data_ptr<scalar_t>(), dk.data_ptr<scalar_t>(),
            dv.data_ptr<scalar_t>(), da.data_ptr<scalar_t>(), db.data_ptr<scalar_t>(),
            ds0.data_ptr<scalar_t>());
      });
    } else if (impl == Impl::Cpu) {
      wkv7_cpu_backward(sz, r.data_ptr<float>(), w.data_ptr<float>(), k.data_ptr<float>(),
                        v.data_ptr<float>(), a.data_ptr<float>(), b.data_ptr<float>(),
                        state0.data_ptr<float>(), ptr_or_null<float>(dy),
                        ptr_or_null<float>(ds_out), dr.data_ptr<float>(), dw.data_ptr<float>(),
                        dk.data_ptr<float>(), dv.data_ptr<float>(), da.data_ptr<float>(),
                        db.data_ptr<float>(), ds0.data_ptr<float>());
    } else {
#ifdef GOOSE_WITH_CUDA
      // The chunk the forward checkpointed with, even if the environment changed since.
      const int64_t chunk = ctx->saved_data["chunk"].toInt();
      auto scratch = torch::empty({wkv7_cuda_scratch_floats(sz, chunk)}, ds0.options());
      wkv7_cuda_backward(static_cast<int>(r.get_device()), cuda_dtype(r), sz, chunk, r.data_ptr(),
                         w.data_ptr(), k.data_ptr(), v.data_ptr(), a.data_ptr(), b.data_ptr(),
                         state0.data_ptr<float>(), vptr_or_null(dy), ptr_or_null<float>(ds_out),
                         dr.data_ptr(), dw.data_ptr(), dk.data_ptr(), dv.data_ptr(), da.data_ptr(),
                         db.data_ptr(), ds0.data_ptr<float>(), scratch.data_ptr<float>());
#endif
    }
    return {dr, dw, dk, dv, da, db, ds0, Tensor(), Tensor()};
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
