// The plain WKV7 reference: obviously-correct loops with double accumulation, slow on purpose,
// torch-free (library goose_kernels_reference). It is the oracle the CPU and CUDA kernels are
// tested against and the `--kernel reference` debugging path; models never run it otherwise.
// Exports wkv7_reference_forward(), wkv7_reference_backward().
#pragma once
#include "kernels/wkv7_shape.h"

namespace goose::kernels {

// r,w,k,v,a,b: (B,T,H,N); s0, s_out: (B,H,N,N) (layouts in wkv7_shape.h).
//   S_t = S_{t-1}·diag(w_t) + (S_{t-1} a_t) b_tᵀ + v_t k_tᵀ,  y_t = S_t r_t.
// Reads s0 (null: zeros), writes y and s_out; ignores ckpt. Instantiated for float and double.
template <typename T>
void wkv7_reference_forward(const Wkv7Dims& dims, const Wkv7ForwardArgs<T>& args);

// Gradients of <dy, y> + <ds_out, s_T>, recomputing every state from s0 (ignores ckpt).
template <typename T>
void wkv7_reference_backward(const Wkv7Dims& dims, const Wkv7BackwardArgs<T>& args);

}  // namespace goose::kernels
