// The element-wise chains of RWKV-7's time mix and channel mix (REFERENCE.md §1: everything
// around the matrix products and the WKV recurrence) as sizes, knobs and raw-pointer argument
// structs shared by the fused CPU kernels (rwkv7_mix_cpu.h) and the LibTorch op that composes
// them with the products (rwkv7_mix.h). Torch-free.
// Exports Rwkv7Rate, Rwkv7Decay, Rwkv7MixDims, Rwkv7ShiftMix*Args, Rwkv7Pre*Args,
// Rwkv7Post*Args, kRwkv7MaxMix.
#pragma once
#include <cstdint>

namespace goose::kernels {

// In-context rate a from σ = sigmoid(a0 + lora_a):  released a = σ ∈ (0,1); relaxed a = 2σ;
// stable a = (1 + w)·σ.
enum class Rwkv7Rate { Released, Relaxed, Stable };
// Decay from z = w0 + lora_w:  clamped w = exp(−e^{−1/2}·σ(z)) ∈ (0.545, 1);
// unclamped w = exp(−exp(min(z, 20))) ∈ [0, 1].
enum class Rwkv7Decay { Clamped, Unclamped };

// Every (B,T,C) tensor below is contiguous with C = H·N channels, i.e. also (B,T,H,N): row
// i = b·T + t, channel c = h·N + n. Per-channel parameters are (C); r_k is (H,N).
struct Rwkv7MixDims {
  int64_t B = 0, T = 0, H = 0, N = 0;
  int64_t C() const { return H * N; }
  int64_t rows() const { return B * T; }
};

constexpr int kRwkv7MaxMix = 6;  // the time mix's r, w, k, v, a, g

// Token shift and per-channel mixing of M inputs (time mix: M = 6, channel mix: M = 1):
//   xx_t = x_{t−1} − x_t  (x_{−1} = x_prev, zeros when null),   out_m = x + xx ⊙ μ_m.
// x, out_m: (B,T,C); x_prev: (B,C); mu_m: (C).
struct Rwkv7ShiftMixArgs {
  int M = 0;
  const float* x = nullptr;
  const float* x_prev = nullptr;
  const float* mu[kRwkv7MaxMix] = {};
  float* out[kRwkv7MaxMix] = {};
};

// Its gradients from dout_m (B,T,C):  dx_t = Σ_m dout_m,t ⊙ (1 − μ_m) + Σ_m dout_m,t+1 ⊙ μ_m,
// dx_prev = Σ_m dout_m,0 ⊙ μ_m (skipped when null), dμ_m = Σ_{b,t} dout_m ⊙ xx (written).
struct Rwkv7ShiftMixBackwardArgs {
  int M = 0;
  const float* x = nullptr;
  const float* x_prev = nullptr;
  const float* mu[kRwkv7MaxMix] = {};
  const float* dout[kRwkv7MaxMix] = {};
  float* dx = nullptr;
  float* dx_prev = nullptr;
  float* dmu[kRwkv7MaxMix] = {};
};

// Before the WKV recurrence, per row and head (k, v: the key and value products; zw, za, zv:
// the low-rank outputs; value residual only when v_first is given, i.e. in layers > 0):
//   w  = decay(w0 + zw);   a = rate(sigmoid(a0 + za), w)
//   vv = v + (v_first − v) ⊙ sigmoid(v0 + zv)            (layer 0: vv = v)
//   κ̂  = (k ⊙ k_k) / max(‖k ⊙ k_k‖_head, 1e-12)
//   k̃  = k ⊙ (1 + (a − 1) ⊙ k_a)
// Outputs for wkv7(r, w, k̃, vv, a_in, b_in): w, kt = k̃, vv, a_in = −κ̂, b_in = κ̂ ⊙ a; and, when
// not null, a_out = a and kk_out = κ̂ (what the model's rates() records).
struct Rwkv7PreArgs {
  Rwkv7Rate rate = Rwkv7Rate::Released;
  Rwkv7Decay decay = Rwkv7Decay::Clamped;
  const float *k = nullptr, *v = nullptr, *zw = nullptr, *za = nullptr;
  const float *zv = nullptr, *v_first = nullptr;  // both null in layer 0
  const float *w0 = nullptr, *a0 = nullptr, *v0 = nullptr, *k_k = nullptr, *k_a = nullptr;
  float *w = nullptr, *kt = nullptr, *vv = nullptr, *a_in = nullptr, *b_in = nullptr;
  float *a_out = nullptr, *kk_out = nullptr;
};

// Its gradients. The cotangents of k̃ and vv arrive in parts that are summed here (the
// recurrence's and the bonus's; for vv in layer 0 also the later layers' through v_first):
// dkt = dkt1 + dkt2, dvv = dvv1 + dvv2 (+ dvv3 when not null). Writes dk, dv, dzw, dza, dzv and
// dv_first (layers > 0) and the parameter gradients dw0, da0, dv0 (layers > 0), dk_k, dk_a.
// Also adds dr_add into dr_acc (both (B,T,C)) when not null: the receptance's two parts, in
// the same pass.
struct Rwkv7PreBackwardArgs {
  Rwkv7PreArgs in;  // the forward's inputs (its outputs are recomputed)
  const float *dw = nullptr, *dkt1 = nullptr, *dkt2 = nullptr, *dvv1 = nullptr,
              *dvv2 = nullptr, *dvv3 = nullptr, *da_in = nullptr, *db_in = nullptr;
  float *dk = nullptr, *dv = nullptr, *dzw = nullptr, *dza = nullptr, *dzv = nullptr,
        *dv_first = nullptr;
  float *dw0 = nullptr, *da0 = nullptr, *dv0 = nullptr, *dk_k = nullptr, *dk_a = nullptr;
  float* dr_acc = nullptr;
  const float* dr_add = nullptr;
};

// After the WKV recurrence, per row and head (y: its output; GroupNorm with one group per head):
//   u = (GroupNorm(y)·γ + β + (Σ_n r ⊙ k̃ ⊙ r_k) · vv) ⊙ g
// γ = ln_w, β = ln_b (C); r_k (H,N).
struct Rwkv7PostArgs {
  const float *y = nullptr, *r = nullptr, *kt = nullptr, *vv = nullptr, *g = nullptr;
  const float *ln_w = nullptr, *ln_b = nullptr, *r_k = nullptr;
  float eps = 64e-5f;
  float* u = nullptr;
};

// Its gradients from du: dy, dr, dkt, dvv, dg (B,T,C) and dln_w, dln_b (C), dr_k (H,N).
struct Rwkv7PostBackwardArgs {
  Rwkv7PostArgs in;
  const float* du = nullptr;
  float *dy = nullptr, *dr = nullptr, *dkt = nullptr, *dvv = nullptr, *dg = nullptr;
  float *dln_w = nullptr, *dln_b = nullptr, *dr_k = nullptr;
};

}  // namespace goose::kernels
