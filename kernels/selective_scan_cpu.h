// The fused CPU selective-scan kernel (fp32, raw pointers, no LibTorch in this header) and
// the shape/chunking facts it shares with the CUDA kernel.
// Exports ScanShape, kScanChunk, scan_checkpoint_count(), selective_scan_cpu_{forward,backward}.
#pragma once
#include <cstdint>

namespace goose::kernels {

// Dimensions of one call: x, delta (B,T,D); A (D,N); Bm, Cm (B,T,N); Dskip (D); h (B,D,N).
struct ScanShape {
  int64_t B = 0, T = 0, D = 0, N = 0;
  bool signed_decay = false;  // λ = 2·exp(ΔA) − 1 instead of exp(ΔA)
};

// The forward stores the state entering every kScanChunk-th step; the backward recomputes
// one chunk of states from its checkpoint (never divides by λ, which may be 0 or negative).
constexpr int64_t kScanChunk = 16;
inline int64_t scan_checkpoint_count(int64_t T) { return (T + kScanChunk - 1) / kScanChunk; }
// Checkpoint layout: (B, scan_checkpoint_count(T), D, N); entry c holds h_{c·kScanChunk − 1}
// (h0 for c = 0).

// All pointers contiguous fp32 host memory. h0 may be null (zeros); ckpt may be null (no
// backward will follow), else it receives the checkpoints.
void selective_scan_cpu_forward(const ScanShape& s, const float* x, const float* delta,
                                const float* A, const float* Bm, const float* Cm,
                                const float* Dskip, const float* h0, float* y, float* hT,
                                float* ckpt);

// Gradients of <dy, y> + <dhT, h_T>; dy, dhT may be null (zero). ckpt from the forward.
// Every output is overwritten. Deterministic: the same result for any thread count.
void selective_scan_cpu_backward(const ScanShape& s, const float* x, const float* delta,
                                 const float* A, const float* Bm, const float* Cm,
                                 const float* Dskip, const float* ckpt, const float* dy,
                                 const float* dhT, float* dx, float* ddelta, float* dA,
                                 float* dBm, float* dCm, float* dDskip, float* dh0);

}  // namespace goose::kernels
