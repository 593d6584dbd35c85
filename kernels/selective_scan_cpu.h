// The fused CPU selective-scan kernel, all three modes (fp32, torch-free interface): threads
// over (batch, block of channels), states in a small local buffer, checkpoints every
// kScanChunk steps and recomputation in the backward (never dividing by λ).
// Exports selective_scan_cpu_forward(), selective_scan_cpu_backward().
#pragma once
#include "kernels/selective_scan_shape.h"

namespace goose::kernels {

// x, delta: (B,T,D); A: (D,N[,2]); Bm, Cm: (B,T,N[,2]); Dskip: (D); h0, hT: (B,D,N[,2]);
// ",2" in the Complex mode (selective_scan_shape.h):
//   h_t = λ_t ⊙ h_{t−1} + Δ_t·x_t·Bm_t,  y_t = Re(Σ_n Cm_t[n]·h_t[·,n]) + Dskip·x_t.
// All pointers contiguous fp32 host memory. h0 may be null (zeros); ckpt may be null (no
// backward will follow), else it receives (B, scan_checkpoint_count(T), D, N[·2]) states.
// Accurate for |Δ·A_im| < 1e4 (the phase's range reduction).
void selective_scan_cpu_forward(const ScanDims& dims, const ScanForwardArgs<float>& args);

// Gradients of <dy, y> + <dhT, h_T> from args.ckpt (args.h0 is not read); dy, dhT may be
// null. Every output is overwritten. Deterministic: the same bits for any thread count.
void selective_scan_cpu_backward(const ScanDims& dims, const ScanBackwardArgs<float>& args);

}  // namespace goose::kernels
