// The WKV7 recurrence's sizes and the raw-pointer argument structs that its reference, CPU
// kernel and CUDA kernel share (torch-free, also read by nvcc).
// Exports Wkv7Dims, Wkv7ForwardArgs, Wkv7BackwardArgs.
#pragma once
#include <cstdint>

namespace goose::kernels {

// r,w,k,v,a,b, y and their gradients: (B,T,H,N); states s0, s_T, ds0, ds_T: (B,H,N,N), per
// head N×N with row = value index, column = key index. All contiguous.
//   S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,   y_t = S_t r_t.
struct Wkv7Dims {
  int64_t B = 0, T = 0, H = 0, N = 0;
};

// E: element type of the per-step vectors (float, double; void for the CUDA launchers, which
// take fp32 or bf16 behind a dtype tag); S: element type of the states.
template <typename E, typename S = E>
struct Wkv7ForwardArgs {
  const E *r = nullptr, *w = nullptr, *k = nullptr, *v = nullptr, *a = nullptr, *b = nullptr;
  const S* s0 = nullptr;  // null: zeros
  E* y = nullptr;
  S* s_out = nullptr;
  // Kernels only (the reference ignores it): receives the state before every chunk-th step,
  // (B,H,n_ckpt,N,N), for the backward; null when no backward will follow.
  S* ckpt = nullptr;
};

// Gradients of <dy, y> + <ds_out, s_T> with respect to the seven inputs. Every gradient
// output is fully written.
template <typename E, typename S = E>
struct Wkv7BackwardArgs {
  const E *r = nullptr, *w = nullptr, *k = nullptr, *v = nullptr, *a = nullptr, *b = nullptr;
  const S* s0 = nullptr;    // the reference: the initial state (null: zeros)
  const S* ckpt = nullptr;  // the kernels: the forward's checkpoints (required)
  const E* dy = nullptr;    // null: zero cotangent
  const S* ds_out = nullptr;
  E *dr = nullptr, *dw = nullptr, *dk = nullptr, *dv = nullptr, *da = nullptr, *db = nullptr;
  S* ds0 = nullptr;
};

}  // namespace goose::kernels
