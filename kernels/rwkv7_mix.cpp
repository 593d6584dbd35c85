// rwkv7_time_mix() and rwkv7_channel_mix(): validation, the forward as one sequence of at::mm
// calls and fused kernels over preallocated buffers, and autograd Functions whose backward
// is written out by hand (see rwkv7_mix.h for the equations and layouts).
// Time mix, x: (B,T,C); y = wkv7(r, w, k̃, vv, −κ̂, κ̂⊙a, s0); out = ((GN(y)γ+β + bonus) ⊙ g) Woᵀ
#include "kernels/rwkv7_mix.h"

#include "kernels/profile_scope.h"

#include "kernels/rwkv7_mix_cpu.h"
#include "kernels/tensor_checks.h"
#include "kernels/torch_compat.h"
#include "kernels/wkv7_cpu.h"

namespace goose::kernels {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const char* const kTimeOp = "rwkv7_time_mix";
const char* const kChannelOp = "rwkv7_channel_mix";

float* fp(const Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; }
const float* cfp(const Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; }

using Scope = ProfileScope;

// out = a·b written into out (contiguous, the right size: no reallocation), e.g. a slice.
void mm_into(Tensor out, const Tensor& a, const Tensor& b) { at::mm_out(out, a, b); }

// The time mix's tensor inputs, in the order the autograd Function takes (and returns the
// gradients of) them.
enum Input : int {
  kX, kVFirst, kXPrev, kS0,
  kMuR, kMuW, kMuK, kMuV, kMuA, kMuG,
  kW0, kW1, kW2, kA0, kA1, kA2, kV0, kV1, kV2, kG1, kG2,
  kKK, kKA, kRK, kWr, kWk, kWv, kWo, kLnW, kLnB,
  kInputs
};

std::vector<Tensor> time_mix_inputs(const Tensor& x, const Tensor& v_first, const Tensor& x_prev,
                                    const Tensor& s0, const Rwkv7TimeMixParams& p) {
  std::vector<Tensor> in(kInputs);
  in[kX] = x, in[kVFirst] = v_first, in[kXPrev] = x_prev, in[kS0] = s0;
  in[kMuR] = p.x_r, in[kMuW] = p.x_w, in[kMuK] = p.x_k, in[kMuV] = p.x_v, in[kMuA] = p.x_a,
  in[kMuG] = p.x_g;
  in[kW0] = p.w0, in[kW1] = p.w1, in[kW2] = p.w2, in[kA0] = p.a0, in[kA1] = p.a1, in[kA2] = p.a2;
  in[kV0] = p.v0, in[kV1] = p.v1, in[kV2] = p.v2, in[kG1] = p.g1, in[kG2] = p.g2;
  in[kKK] = p.k_k, in[kKA] = p.k_a, in[kRK] = p.r_k;
  in[kWr] = p.receptance, in[kWk] = p.key, in[kWv] = p.value, in[kWo] = p.output;
  in[kLnW] = p.ln_w, in[kLnB] = p.ln_b;
  return in;
}

TensorSpec spec(const char* name, const char* layout, std::vector<int64_t> shape) {
  return {name, layout, std::move(shape), torch::kFloat, "(fp32 only)", torch::kCPU,
          "(the fused ops run on the CPU)", ""};
}

// The forward's buffers: what the backward needs and the outputs. Buffers of (B,T,C) live in
// one allocation, `arena`; mm outputs are written in place (at::mm_out).
struct TimeMixForward {
  Rwkv7MixDims d;
  bool residual = false;   // layers > 0: the value residual
  Tensor arena;            // (kBuffers, B·T, C)
  Tensor X;                // (6, B·T, C): x_r, x_w, x_k, x_v, x_a, x_g
  Tensor hw, ha, hv, hg;   // low-rank hidden: tanh(x_w w1), x_a a1, x_v v1, σ(x_g g1)
  Tensor vv;               // (B,T,C), its own tensor (layer 0 returns it)
  Tensor out, state, ckpt;
  Tensor a_out, kk_out;    // when recording rates
  enum Buffer { kR, kK, kV, kZw, kZa, kZv, kG, kW, kKt, kAin, kBin, kY, kU, kBuffers };
  std::vector<Tensor> buf, x;  // arena.unbind(0), X.unbind(0): the views, made once
  void make_views() {
    buf = arena.unbind(0);
    x = X.unbind(0);
  }
};

Rwkv7MixDims dims_of(const Tensor& x, int64_t N) {
  return {x.size(0), x.size(1), x.size(2) / N, N};
}

// The whole forward; with_backward keeps the WKV checkpoints.
// The pre kernel's inputs: the forward reads them, the backward reads them again.
Rwkv7PreArgs pre_inputs(const TimeMixForward& f, const std::vector<Tensor>& in, const Rwkv7TimeMixParams& p) {
  using B = TimeMixForward;
  Rwkv7PreArgs pre;
  pre.rate = p.rate;
  pre.decay = p.decay;
  pre.k = cfp(f.buf[B::kK]);
  pre.v = cfp(f.buf[B::kV]);
  pre.zw = cfp(f.buf[B::kZw]);
  pre.za = cfp(f.buf[B::kZa]);
  if (f.residual) {
    pre.zv = cfp(f.buf[B::kZv]);
    pre.v_first = cfp(in[kVFirst]);
    pre.v0 = cfp(in[kV0]);
  }
  pre.w0 = cfp(in[kW0]);
  pre.a0 = cfp(in[kA0]);
  pre.k_k = cfp(in[kKK]);
  pre.k_a = cfp(in[kKA]);
  return pre;
}

// The post kernel's inputs, shared by forward and backward likewise.
Rwkv7PostArgs post_inputs(const TimeMixForward& f, const std::vector<Tensor>& in, const Rwkv7TimeMixParams& p) {
  using B = TimeMixForward;
  Rwkv7PostArgs post;
  post.y = cfp(f.buf[B::kY]);
  post.r = cfp(f.buf[B::kR]);
  post.kt = cfp(f.buf[B::kKt]);
  post.vv = cfp(f.vv);
  post.g = cfp(f.buf[B::kG]);
  post.ln_w = cfp(in[kLnW]);
  post.ln_b = cfp(in[kLnB]);
  post.r_k = cfp(in[kRK]);
  post.eps = static_cast<float>(p.group_norm_eps);
  return post;
}

// The WKV7 sequence inputs (r, w, k, v, a, b) of the forward's buffers, for either direction.
template <class WkvArgs>
void set_wkv_sequences(WkvArgs& wkv, const TimeMixForward& f) {
  using B = TimeMixForward;
  wkv.r = cfp(f.buf[B::kR]);
  wkv.w = cfp(f.buf[B::kW]);
  wkv.k = cfp(f.buf[B::kKt]);
  wkv.v = cfp(f.vv);
  wkv.a = cfp(f.buf[B::kAin]);
  wkv.b = cfp(f.buf[B::kBin]);
}

TimeMixForward time_mix_forward(const std::vector<Tensor>& in, const Rwkv7TimeMixParams& p,
                                bool with_backward, bool record_rates) {
  RECORD_FUNCTION("rwkv7_time_mix_forward", std::vector<c10::IValue>());
  TimeMixForward f;
  const Tensor& x = in[kX];
  f.d = dims_of(x, p.head_size);
  f.residual = in[kV0].defined();
  const int64_t R = f.d.rows(), C = f.d.C();
  const auto opts = x.options();
  f.arena = torch::empty({TimeMixForward::kBuffers, R, C}, opts);
  f.X = torch::empty({6, R, C}, opts);
  f.make_views();
  f.vv = torch::empty({f.d.B, f.d.T, C}, opts);

  Rwkv7ShiftMixArgs shift;
  shift.M = 6;
  shift.x = cfp(x);
  shift.x_prev = cfp(in[kXPrev]);
  for (int m = 0; m < 6; ++m) {
    shift.mu[m] = cfp(in[kMuR + m]);
    shift.out[m] = fp(f.x[m]);
  }
  {
    Scope scope("rwkv7_shift_mix_forward");
    rwkv7_shift_mix_forward(f.d, shift);
  }

  const Tensor &xr = f.x[0], &xw = f.x[1], &xk = f.x[2], &xv = f.x[3], &xa = f.x[4], &xg = f.x[5];
  using B = TimeMixForward;
  mm_into(f.buf[B::kR], xr, in[kWr].t());
  mm_into(f.buf[B::kK], xk, in[kWk].t());
  mm_into(f.buf[B::kV], xv, in[kWv].t());
  f.hw = at::mm(xw, in[kW1]).tanh_();
  mm_into(f.buf[B::kZw], f.hw, in[kW2]);
  f.ha = at::mm(xa, in[kA1]);
  mm_into(f.buf[B::kZa], f.ha, in[kA2]);
  if (f.residual) {
    f.hv = at::mm(xv, in[kV1]);
    mm_into(f.buf[B::kZv], f.hv, in[kV2]);
  }
  f.hg = at::mm(xg, in[kG1]).sigmoid_();
  mm_into(f.buf[B::kG], f.hg, in[kG2]);

  Rwkv7PreArgs pre = pre_inputs(f, in, p);
  pre.w = fp(f.buf[B::kW]);
  pre.kt = fp(f.buf[B::kKt]);
  pre.vv = fp(f.vv);
  pre.a_in = fp(f.buf[B::kAin]);
  pre.b_in = fp(f.buf[B::kBin]);
  if (record_rates) {
    f.a_out = torch::empty({R, C}, opts);
    f.kk_out = torch::empty({R, C}, opts);
    pre.a_out = fp(f.a_out);
    pre.kk_out = fp(f.kk_out);
  }
  {
    Scope scope("rwkv7_pre_forward");
    rwkv7_pre_forward(f.d, pre);
  }

  const Wkv7Dims wd{f.d.B, f.d.T, f.d.H, f.d.N};
  const int64_t N = f.d.N;
  f.state = torch::empty({f.d.B, f.d.H, N, N}, opts);
  if (with_backward)
    f.ckpt = torch::empty({f.d.B, f.d.H, wkv7_cpu_checkpoints(f.d.T), N, N}, opts);
  Wkv7ForwardArgs<float> wkv;
  set_wkv_sequences(wkv, f);
  wkv.s0 = cfp(in[kS0]);
  wkv.y = fp(f.buf[B::kY]);
  wkv.s_out = fp(f.state);
  wkv.ckpt = fp(f.ckpt);
  {
    Scope scope("wkv7_cpu_forward");
    wkv7_cpu_forward(wd, wkv);
  }

  Rwkv7PostArgs post = post_inputs(f, in, p);
  post.u = fp(f.buf[B::kU]);
  {
    Scope scope("rwkv7_post_forward");
    rwkv7_post_forward(f.d, post);
  }

  f.out = torch::empty({f.d.B, f.d.T, C}, opts);
  mm_into(f.out.view({R, C}), f.buf[B::kU], in[kWo].t());
  return f;
}

// The backward, from the forward's buffers and the cotangents of out, state and (layer 0)
// v_first. Returns one gradient per Input (undefined for absent inputs).
std::vector<Tensor> time_mix_backward(const TimeMixForward& f, const std::vector<Tensor>& in,
                                      const Rwkv7TimeMixParams& p, const Tensor& dout_in,
                                      const Tensor& dstate, const Tensor& dvfirst_out) {
  RECORD_FUNCTION("rwkv7_time_mix_backward", std::vector<c10::IValue>());
  using B = TimeMixForward;
  const int64_t R = f.d.rows(), C = f.d.C(), N = f.d.N;
  const auto opts = in[kX].options();
  std::vector<Tensor> g(kInputs);
  enum Grad { kDu, kDy, kDr, kDkt1, kDvv1, kDg, kDr2, kDw, kDkt2, kDvv2, kDain, kDbin,
              kDk, kDv, kDzw, kDza, kDzv, kGrads };
  const std::vector<Tensor> arena = torch::empty({kGrads, R, C}, opts).unbind(0);
  const Tensor dout = dout_in.defined() ? dout_in.reshape({R, C}).contiguous()
                                        : torch::zeros({R, C}, opts);

  // out = u Woᵀ
  mm_into(arena[kDu], dout, in[kWo]);
  g[kWo] = at::mm(dout.t(), f.buf[B::kU]);

  Rwkv7PostBackwardArgs post;
  post.in = post_inputs(f, in, p);
  post.du = cfp(arena[kDu]);
  post.dy = fp(arena[kDy]);
  post.dr = fp(arena[kDr]);
  post.dkt = fp(arena[kDkt1]);
  post.dvv = fp(arena[kDvv1]);
  post.dg = fp(arena[kDg]);
  g[kLnW] = torch::empty({C}, opts);
  g[kLnB] = torch::empty({C}, opts);
  g[kRK] = torch::empty({f.d.H, N}, opts);
  post.dln_w = fp(g[kLnW]);
  post.dln_b = fp(g[kLnB]);
  post.dr_k = fp(g[kRK]);
  {
    Scope scope("rwkv7_post_backward");
    rwkv7_post_backward(f.d, post);
  }

  const Wkv7Dims wd{f.d.B, f.d.T, f.d.H, N};
  g[kS0] = torch::empty({f.d.B, f.d.H, N, N}, opts);
  const Tensor ds = dstate.defined() ? dstate.contiguous() : Tensor();
  Wkv7BackwardArgs<float> wkv;
  set_wkv_sequences(wkv, f);
  wkv.ckpt = cfp(f.ckpt);
  wkv.dy = cfp(arena[kDy]);
  wkv.ds_out = cfp(ds);
  wkv.dr = fp(arena[kDr2]);
  wkv.dw = fp(arena[kDw]);
  wkv.dk = fp(arena[kDkt2]);
  wkv.dv = fp(arena[kDvv2]);
  wkv.da = fp(arena[kDain]);
  wkv.db = fp(arena[kDbin]);
  wkv.ds0 = fp(g[kS0]);
  {
    Scope scope("wkv7_cpu_backward");
    wkv7_cpu_backward(wd, wkv);
  }
  if (!in[kS0].defined()) g[kS0] = Tensor();

  Rwkv7PreBackwardArgs pre;
  pre.in = pre_inputs(f, in, p);
  pre.dw = cfp(arena[kDw]);
  pre.dkt1 = cfp(arena[kDkt1]);
  pre.dkt2 = cfp(arena[kDkt2]);
  pre.dvv1 = cfp(arena[kDvv1]);
  pre.dvv2 = cfp(arena[kDvv2]);
  Tensor dvf_out;
  if (!f.residual && dvfirst_out.defined()) {
    dvf_out = dvfirst_out.reshape({R, C}).contiguous();
    pre.dvv3 = cfp(dvf_out);
  }
  pre.da_in = cfp(arena[kDain]);
  pre.db_in = cfp(arena[kDbin]);
  pre.dk = fp(arena[kDk]);
  pre.dv = fp(arena[kDv]);
  pre.dzw = fp(arena[kDzw]);
  pre.dza = fp(arena[kDza]);
  g[kW0] = torch::empty({C}, opts);
  g[kA0] = torch::empty({C}, opts);
  g[kKK] = torch::empty({C}, opts);
  g[kKA] = torch::empty({C}, opts);
  pre.dw0 = fp(g[kW0]);
  pre.da0 = fp(g[kA0]);
  pre.dk_k = fp(g[kKK]);
  pre.dk_a = fp(g[kKA]);
  if (f.residual) {
    pre.dzv = fp(arena[kDzv]);
    g[kVFirst] = torch::empty_like(in[kVFirst]);
    g[kV0] = torch::empty({C}, opts);
    pre.dv_first = fp(g[kVFirst]);
    pre.dv0 = fp(g[kV0]);
  }
  pre.dr_acc = fp(arena[kDr]);
  pre.dr_add = cfp(arena[kDr2]);
  {
    Scope scope("rwkv7_pre_backward");
    rwkv7_pre_backward(f.d, pre);
  }

  // The products, back to the six mixed inputs and to the weights.
  const std::vector<Tensor>& X = f.x;
  const std::vector<Tensor> dX = torch::empty({6, R, C}, opts).unbind(0);
  const Tensor dr = arena[kDr], dk = arena[kDk], dv = arena[kDv];
  mm_into(dX[0], dr, in[kWr]);
  g[kWr] = at::mm(dr.t(), X[0]);
  mm_into(dX[2], dk, in[kWk]);
  g[kWk] = at::mm(dk.t(), X[2]);
  mm_into(dX[3], dv, in[kWv]);
  g[kWv] = at::mm(dv.t(), X[3]);
  if (f.residual) {  // zv = (x_v v1) v2
    const Tensor dzv = arena[kDzv];
    const Tensor dhv = at::mm(dzv, in[kV2].t());
    g[kV2] = at::mm(f.hv.t(), dzv);
    g[kV1] = at::mm(X[3].t(), dhv);
    dX[3].addmm_(dhv, in[kV1].t());
  }
  {  // zw = tanh(x_w w1) w2
    const Tensor dzw = arena[kDzw];
    const Tensor dpw = at::tanh_backward(at::mm(dzw, in[kW2].t()), f.hw);
    g[kW2] = at::mm(f.hw.t(), dzw);
    g[kW1] = at::mm(X[1].t(), dpw);
    mm_into(dX[1], dpw, in[kW1].t());
  }
  {  // za = (x_a a1) a2
    const Tensor dza = arena[kDza];
    const Tensor dha = at::mm(dza, in[kA2].t());
    g[kA2] = at::mm(f.ha.t(), dza);
    g[kA1] = at::mm(X[4].t(), dha);
    mm_into(dX[4], dha, in[kA1].t());
  }
  {  // g = σ(x_g g1) g2
    const Tensor dgt = arena[kDg];
    const Tensor dpg = at::sigmoid_backward(at::mm(dgt, in[kG2].t()), f.hg);
    g[kG2] = at::mm(f.hg.t(), dgt);
    g[kG1] = at::mm(X[5].t(), dpg);
    mm_into(dX[5], dpg, in[kG1].t());
  }

  Rwkv7ShiftMixBackwardArgs shift;
  shift.M = 6;
  shift.x = cfp(in[kX]);
  shift.x_prev = cfp(in[kXPrev]);
  g[kX] = torch::empty_like(in[kX]);
  shift.dx = fp(g[kX]);
  if (in[kXPrev].defined()) {
    g[kXPrev] = torch::empty_like(in[kXPrev]);
    shift.dx_prev = fp(g[kXPrev]);
  }
  for (int m = 0; m < 6; ++m) {
    shift.mu[m] = cfp(in[kMuR + m]);
    shift.dout[m] = cfp(dX[m]);
    g[kMuR + m] = torch::empty({C}, opts);
    shift.dmu[m] = fp(g[kMuR + m]);
  }
  {
    Scope scope("rwkv7_shift_mix_backward");
    rwkv7_shift_mix_backward(f.d, shift);
  }
  return g;
}

// Non-tensor settings travel through the Function as integers.
Rwkv7TimeMixParams settings(int64_t rate, int64_t decay, int64_t head_size, double eps) {
  Rwkv7TimeMixParams p;
  p.rate = static_cast<Rwkv7Rate>(rate);
  p.decay = static_cast<Rwkv7Decay>(decay);
  p.head_size = head_size;
  p.group_norm_eps = eps;
  return p;
}

// Autograd takes only defined tensors: the Function receives the defined inputs in Input order
// and a bit mask of which Inputs they are.
std::vector<Tensor> defined_inputs(const std::vector<Tensor>& in, int64_t& mask) {
  std::vector<Tensor> out;
  mask = 0;
  for (int i = 0; i < kInputs; ++i)
    if (in[i].defined()) {
      out.push_back(in[i]);
      mask |= int64_t(1) << i;
    }
  return out;
}

std::vector<Tensor> all_inputs(at::TensorList defined, int64_t mask) {
  std::vector<Tensor> in(kInputs);
  size_t j = 0;
  for (int i = 0; i < kInputs; ++i)
    if (mask & (int64_t(1) << i)) in[i] = defined[j++];
  return in;
}

class TimeMixFunction : public torch::autograd::Function<TimeMixFunction> {
 public:
  // inputs: the defined Inputs (mask: which). Returns {out, state} and, in layer 0, v_first
  // (= vv).
  static variable_list forward(AutogradContext* ctx, at::TensorList inputs, int64_t mask,
                               int64_t rate, int64_t decay, int64_t head_size, double eps) {
    const std::vector<Tensor> in = all_inputs(inputs, mask);
    const auto p = settings(rate, decay, head_size, eps);
    TimeMixForward f = time_mix_forward(in, p, /*with_backward=*/true, /*record_rates=*/false);
    const bool layer0 = !f.residual;
    std::vector<Tensor> saved(inputs.begin(), inputs.end());
    saved.push_back(f.vv);  // an output in layer 0: saved through save_for_backward
    ctx->save_for_backward(saved);
    ctx->saved_data["mask"] = mask;
    // Intermediates (no autograd history) in saved_data; undefined ones are not stored.
    ctx->saved_data["arena"] = f.arena;
    ctx->saved_data["X"] = f.X;
    ctx->saved_data["hw"] = f.hw;
    ctx->saved_data["ha"] = f.ha;
    if (f.residual) ctx->saved_data["hv"] = f.hv;
    ctx->saved_data["hg"] = f.hg;
    ctx->saved_data["ckpt"] = f.ckpt;
    ctx->saved_data["settings"] = std::vector<int64_t>{rate, decay, head_size};
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["dims"] = std::vector<int64_t>{f.d.B, f.d.T, f.d.H, f.d.N};
    if (layer0) return {f.out, f.state, f.vv};
    return {f.out, f.state};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const int64_t mask = ctx->saved_data["mask"].toInt();
    const Tensor vv = saved.back();
    saved.pop_back();
    const std::vector<Tensor> in = all_inputs(saved, mask);
    const auto s = ctx->saved_data["settings"].toIntVector();
    const auto p = settings(s[0], s[1], s[2], ctx->saved_data["eps"].toDouble());
    const auto dims = ctx->saved_data["dims"].toIntVector();
    TimeMixForward f;
    f.d = {dims[0], dims[1], dims[2], dims[3]};
    f.residual = in[kV0].defined();
    auto& data = ctx->saved_data;
    f.arena = data["arena"].toTensor(), f.X = data["X"].toTensor();
    f.hw = data["hw"].toTensor(), f.ha = data["ha"].toTensor(), f.hg = data["hg"].toTensor();
    if (f.residual) f.hv = data["hv"].toTensor();
    f.ckpt = data["ckpt"].toTensor();
    f.make_views();
    f.vv = vv;
    const Tensor dvfirst = f.residual ? Tensor() : grads[2];
    const std::vector<Tensor> g = time_mix_backward(f, in, p, grads[0], grads[1], dvfirst);
    variable_list out;
    for (int i = 0; i < kInputs; ++i)
      if (mask & (int64_t(1) << i)) out.push_back(g[i]);
    out.resize(out.size() + 5);  // the mask and the four settings
    return out;
  }
};

void validate_time_mix(const Tensor& x, const Tensor& v_first, const Tensor& x_prev,
                       const Tensor& s0, const Rwkv7TimeMixParams& p) {
  check_leading(kTimeOp, x, "x", "(B,T,C)");
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), N = p.head_size;
  if (N <= 0 || C % N != 0)
    fail(kTimeOp, "the head size must divide C = " + std::to_string(C) + ", got " +
                      std::to_string(N));
  const int64_t H = C / N;
  check_tensor(kTimeOp, x, spec("x", "(B,T,C)", {B, T, C}));
  const bool layer0 = !p.v0.defined();
  if (layer0 && v_first.defined()) fail(kTimeOp, "v_first is given but the layer has no v0 (layer 0)");
  if (!layer0) check_tensor(kTimeOp, v_first, spec("v_first", "(B,T,C)", {B, T, C}));
  if (x_prev.defined()) check_tensor(kTimeOp, x_prev, spec("x_prev", "(B,C)", {B, C}));
  if (s0.defined()) check_tensor(kTimeOp, s0, spec("s0", "(B,H,N,N)", {B, H, N, N}));
  const std::pair<const char*, const Tensor*> vectors[] = {
      {"x_r", &p.x_r}, {"x_w", &p.x_w}, {"x_k", &p.x_k}, {"x_v", &p.x_v}, {"x_a", &p.x_a},
      {"x_g", &p.x_g}, {"w0", &p.w0},   {"a0", &p.a0},   {"k_k", &p.k_k}, {"k_a", &p.k_a},
      {"ln_w", &p.ln_w}, {"ln_b", &p.ln_b}};
  for (const auto& [name, t] : vectors) check_tensor(kTimeOp, *t, spec(name, "(C)", {C}));
  if (!layer0) check_tensor(kTimeOp, p.v0, spec("v0", "(C)", {C}));
  check_tensor(kTimeOp, p.r_k, spec("r_k", "(H,N)", {H, N}));
  for (const auto& [name, t] : {std::make_pair("receptance", &p.receptance),
                                std::make_pair("key", &p.key), std::make_pair("value", &p.value),
                                std::make_pair("output", &p.output)})
    check_tensor(kTimeOp, *t, spec(name, "(C,C)", {C, C}));
  auto lora = [&](const char* a_name, const Tensor& a, const char* b_name, const Tensor& b) {
    if (!a.defined() || a.dim() != 2) fail(kTimeOp, std::string(a_name) + " must be (C,d)");
    check_tensor(kTimeOp, a, spec(a_name, "(C,d)", {C, a.size(1)}));
    check_tensor(kTimeOp, b, spec(b_name, "(d,C)", {a.size(1), C}));
  };
  lora("w1", p.w1, "w2", p.w2);
  lora("a1", p.a1, "a2", p.a2);
  lora("g1", p.g1, "g2", p.g2);
  if (!layer0) lora("v1", p.v1, "v2", p.v2);
}

// ---- channel mix -------------------------------------------------------------------------

struct ChannelMixForward {
  Rwkv7MixDims d;  // H = 1, N = C
  Tensor X, relu, h, out;
};

ChannelMixForward channel_mix_forward(const Tensor& x, const Tensor& x_prev, const Tensor& mu,
                                      const Tensor& key, const Tensor& value) {
  RECORD_FUNCTION("rwkv7_channel_mix_forward", std::vector<c10::IValue>());
  ChannelMixForward f;
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), R = B * T;
  f.out = torch::empty({B, T, C}, x.options());
  f.d = {B, T, 1, C};
  f.X = torch::empty({R, C}, x.options());
  Rwkv7ShiftMixArgs shift;
  shift.M = 1;
  shift.x = cfp(x);
  shift.x_prev = cfp(x_prev);
  shift.mu[0] = cfp(mu);
  shift.out[0] = fp(f.X);
  {
    Scope scope("rwkv7_shift_mix_forward");
    rwkv7_shift_mix_forward(f.d, shift);
  }
  f.relu = at::mm(f.X, key.t());
  f.h = torch::empty_like(f.relu);
  {
    Scope scope("rwkv7_relu_square_forward");
    rwkv7_relu_square_forward(f.relu.numel(), fp(f.relu), fp(f.h));
  }
  mm_into(f.out.view({R, C}), f.h, value.t());
  return f;
}

class ChannelMixFunction : public torch::autograd::Function<ChannelMixFunction> {
 public:
  // x_prev: absent (nullopt) at a sequence start; autograd takes only defined tensors.
  static variable_list forward(AutogradContext* ctx, Tensor x, OptionalTensor x_prev_opt,
                               Tensor mu, Tensor key, Tensor value) {
    const Tensor x_prev = x_prev_opt.has_value() ? *x_prev_opt : Tensor();
    ChannelMixForward f = channel_mix_forward(x, x_prev, mu, key, value);
    ctx->save_for_backward({x, x_prev, mu, key, value});
    ctx->saved_data["X"] = f.X;
    ctx->saved_data["relu"] = f.relu;
    ctx->saved_data["h"] = f.h;
    return {f.out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    RECORD_FUNCTION("rwkv7_channel_mix_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &x_prev = saved[1], &mu = saved[2], &key = saved[3],
                 &value = saved[4];
    const Tensor X = ctx->saved_data["X"].toTensor(), relu = ctx->saved_data["relu"].toTensor(),
                 h = ctx->saved_data["h"].toTensor();
    const int64_t B = x.size(0), T = x.size(1), C = x.size(2), R = B * T;
    const Tensor dout = grads[0].defined() ? grads[0].reshape({R, C}).contiguous()
                                           : torch::zeros({R, C}, x.options());
    Tensor dp = at::mm(dout, value);  // dL/dh, then dL/d(X Wkᵀ) in place
    const Tensor dvalue = at::mm(dout.t(), h);
    {
      Scope scope("rwkv7_relu_square_backward");
      rwkv7_relu_square_backward(dp.numel(), cfp(relu), cfp(dp), fp(dp));
    }
    const Tensor dkey = at::mm(dp.t(), X);
    const Tensor dX = at::mm(dp, key);
    Rwkv7ShiftMixBackwardArgs shift;
    shift.M = 1;
    shift.x = cfp(x);
    shift.x_prev = cfp(x_prev);
    shift.mu[0] = cfp(mu);
    shift.dout[0] = cfp(dX);
    Tensor dx = torch::empty_like(x), dx_prev, dmu = torch::empty_like(mu);
    if (x_prev.defined()) dx_prev = torch::empty_like(x_prev);
    shift.dx = fp(dx);
    shift.dx_prev = fp(dx_prev);
    shift.dmu[0] = fp(dmu);
    {
      Scope scope("rwkv7_shift_mix_backward");
      rwkv7_shift_mix_backward({B, T, 1, C}, shift);
    }
    return {dx, dx_prev, dmu, dkey, dvalue};
  }
};

// ---- layer norm --------------------------------------------------------------------------

class LayerNormFunction : public torch::autograd::Function<LayerNormFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, Tensor x, Tensor weight, Tensor bias,
                               double eps) {
    const int64_t C = x.size(-1), rows = x.numel() / C;
    auto y = torch::empty_like(x);
    auto mean = torch::empty({rows}, x.options()), rstd = torch::empty({rows}, x.options());
    {
      Scope scope("rwkv7_layer_norm_forward");
      rwkv7_layer_norm_forward(rows, C, cfp(x), cfp(weight), cfp(bias), static_cast<float>(eps),
                               fp(y), fp(mean), fp(rstd));
    }
    ctx->save_for_backward({x, weight});
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["rstd"] = rstd;
    return {y};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &weight = saved[1];
    const int64_t C = x.size(-1), rows = x.numel() / C;
    const Tensor dy = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(x);
    auto dx = torch::empty_like(x), dw = torch::empty_like(weight), db = torch::empty_like(weight);
    {
      Scope scope("rwkv7_layer_norm_backward");
      rwkv7_layer_norm_backward(rows, C, cfp(x), cfp(weight),
                                cfp(ctx->saved_data["mean"].toTensor()),
                                cfp(ctx->saved_data["rstd"].toTensor()), cfp(dy), fp(dx), fp(dw),
                                fp(db));
    }
    return {dx, dw, db, Tensor()};
  }
};

bool needs_grad(const std::vector<Tensor>& tensors) {
  if (!torch::GradMode::is_enabled()) return false;
  for (const auto& t : tensors)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

}  // namespace

Rwkv7TimeMixResult rwkv7_time_mix(const torch::Tensor& x, const torch::Tensor& v_first,
                                  const torch::Tensor& x_prev, const torch::Tensor& s0,
                                  const Rwkv7TimeMixParams& params, bool record_rates) {
  validate_time_mix(x, v_first, x_prev, s0, params);
  auto contiguous = [](const Tensor& t) { return t.defined() ? t.contiguous() : t; };
  const std::vector<Tensor> in =
      time_mix_inputs(x.contiguous(), contiguous(v_first), contiguous(x_prev), contiguous(s0), params);
  Rwkv7TimeMixResult result;
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  if (!needs_grad(in)) {
    torch::NoGradGuard no_grad;
    TimeMixForward f = time_mix_forward(in, params, /*with_backward=*/false, record_rates);
    result.out = f.out;
    result.state = f.state;
    if (!f.residual) result.v_first = f.vv;
    if (record_rates) {
      result.w = f.buf[TimeMixForward::kW].view({B, T, C});
      result.a = f.a_out.view({B, T, C});
      result.kk = f.kk_out.view({B, T, C});
    }
    return result;
  }
  if (record_rates) fail(kTimeOp, "record_rates is for inference (no gradient being recorded)");
  int64_t mask = 0;
  const std::vector<Tensor> defined = defined_inputs(in, mask);
  const auto out = TimeMixFunction::apply(
      at::TensorList(defined), mask, static_cast<int64_t>(params.rate),
      static_cast<int64_t>(params.decay), params.head_size, params.group_norm_eps);
  result.out = out[0];
  result.state = out[1];
  if (out.size() > 2) result.v_first = out[2];
  return result;
}

torch::Tensor rwkv7_layer_norm(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, double eps) {
  const char* op = "rwkv7_layer_norm";
  if (!x.defined() || x.dim() < 1 || x.numel() == 0) fail(op, "x must be a non-empty tensor");
  const int64_t C = x.size(-1);
  check_tensor(op, x, spec("x", "(...,C)", x.sizes().vec()));
  check_tensor(op, weight, spec("weight", "(C)", {C}));
  check_tensor(op, bias, spec("bias", "(C)", {C}));
  const Tensor xc = x.contiguous();
  if (!needs_grad({xc, weight, bias})) {
    torch::NoGradGuard no_grad;
    const int64_t rows = xc.numel() / C;
    auto y = torch::empty_like(xc);
    auto stats = torch::empty({2, rows}, xc.options());
    rwkv7_layer_norm_forward(rows, C, cfp(xc), cfp(weight), cfp(bias), static_cast<float>(eps),
                             fp(y), fp(stats[0]), fp(stats[1]));
    return y;
  }
  return LayerNormFunction::apply(xc, weight, bias, eps)[0];
}

torch::Tensor rwkv7_channel_mix(const torch::Tensor& x, const torch::Tensor& x_prev,
                                const torch::Tensor& mu, const torch::Tensor& key,
                                const torch::Tensor& value) {
  check_leading(kChannelOp, x, "x", "(B,T,C)");
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  check_tensor(kChannelOp, x, spec("x", "(B,T,C)", {B, T, C}));
  if (x_prev.defined()) check_tensor(kChannelOp, x_prev, spec("x_prev", "(B,C)", {B, C}));
  check_tensor(kChannelOp, mu, spec("mu", "(C)", {C}));
  if (!key.defined() || key.dim() != 2) fail(kChannelOp, "key must be (F,C)");
  const int64_t F = key.size(0);
  check_tensor(kChannelOp, key, spec("key", "(F,C)", {F, C}));
  check_tensor(kChannelOp, value, spec("value", "(C,F)", {C, F}));
  const Tensor xc = x.contiguous(), xp = x_prev.defined() ? x_prev.contiguous() : x_prev;
  if (!needs_grad({xc, xp, mu, key, value})) {
    torch::NoGradGuard no_grad;
    return channel_mix_forward(xc, xp, mu.contiguous(), key.contiguous(), value.contiguous()).out;
  }
  return ChannelMixFunction::apply(
      xc, xp.defined() ? OptionalTensor(xp) : OptionalTensor(), mu, key, value)[0];
}

}  // namespace goose::kernels
