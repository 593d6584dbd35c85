// The plain WKV7 reference: obviously-correct loops with double accumulation, slow on purpose.
// It is the oracle the CPU and CUDA kernels are tested against (never linked into models'
// fast path). Exports Wkv7Sizes, wkv7_reference_forward(), wkv7_reference_backward().
#pragma once
#include <cstdint>

namespace goose::kernels {

// Layouts (all contiguous): r,w,k,v,a,b,y and their gradients (B,T,H,N);
// states s0, s_T, ds0, ds_T (B,H,N,N) with row = value index, column = key index.
struct Wkv7Sizes {
  int64_t B, T, H, N;
};

// S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,  y_t = S_t r_t.
// s0 may be null (zeros). Instantiated for float and double.
template <typename T>
void wkv7_reference_forward(const Wkv7Sizes& sz, const T* r, const T* w, const T* k, const T* v,
                            const T* a, const T* b, const T* s0, T* y, T* s_out);

// Gradients of <dy, y> + <ds_out, s_T>. dy and ds_out may be null (zero cotangents);
// every gradient output is fully written.
template <typename T>
void wkv7_reference_backward(const Wkv7Sizes& sz, const T* r, const T* w, const T* k, const T* v,
                             const T* a, const T* b, const T* s0, const T* dy, const T* ds_out,
                             T* dr, T* dw, T* dk, T* dv, T* da, T* db, T* ds0);

}  // namespace goose::kernels
