// The diagonal selective scan's modes, sizes, checkpoint layout and the raw-pointer argument
// structs that its reference, CPU kernel and CUDA kernel share (torch-free, also read by nvcc).
// Exports ScanMode, parse_scan_mode(), to_string(ScanMode), ScanDims, kScanChunk,
// scan_checkpoint_count(), ScanForwardArgs, ScanBackwardArgs.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace goose::kernels {

// The eigenvalues λ of the diagonal transition (REFERENCE.md §2–3):
//   Real:    λ = exp(Δ·A),          A < 0:          in (0,1)     star-free languages only
//   Signed:  λ = 2·exp(Δ·A) − 1,    A < 0:          in (−1,1)    adds parity-like sign flips
//   Complex: λ = exp(Δ·(A_re + i·A_im)), A_re <= 0: the closed unit disk (|λ| = exp(Δ·A_re);
//            A_re = 0 is a rotation): every abelian group (counting mod 3 needs it)
enum class ScanMode { Real, Signed, Complex };
// "real" | "signed" | "complex"; anything else throws std::invalid_argument.
inline ScanMode parse_scan_mode(const std::string& name) {
  if (name == "real") return ScanMode::Real;
  if (name == "signed") return ScanMode::Signed;
  if (name == "complex") return ScanMode::Complex;
  throw std::invalid_argument("unknown scan mode '" + name + "' (use real, signed or complex)");
}
inline std::string to_string(ScanMode mode) {
  switch (mode) {
    case ScanMode::Real: return "real";
    case ScanMode::Signed: return "signed";
    case ScanMode::Complex: return "complex";
  }
  return "real";
}

// Layouts (all contiguous, row-major). A complex number is a trailing dimension of 2 =
// (re, im), as torch.view_as_real stores it; write c = 1 (Real, Signed) or 2 (Complex):
//   x, delta, y, dx, ddelta: (B,T,D);  Dskip: (D);
//   A: (D,N) or (D,N,2);  Bm, Cm: (B,T,N) or (B,T,N,2);  h0, h_T: (B,D,N) or (B,D,N,2).
// Equations (complex products in the Complex mode, Δ and x real):
//   h_t[d,n] = λ_t[d,n]·h_{t−1}[d,n] + Δ_t[d]·Bm_t[n]·x_t[d]
//   y_t[d]   = Re(Σ_n Cm_t[n]·h_t[d,n]) + Dskip[d]·x_t[d]
struct ScanDims {
  int64_t B = 0, T = 0, D = 0, N = 0;
  ScanMode mode = ScanMode::Real;
};

// Floats per state element: 1, or 2 in the Complex mode.
inline int64_t scan_components(ScanMode mode) { return mode == ScanMode::Complex ? 2 : 1; }

// The optimised forwards store the state entering every kScanChunk-th step; their backwards
// recompute one chunk of states from its checkpoint (never dividing by λ, which may be 0,
// negative or complex). Checkpoint layout: (B, scan_checkpoint_count(T), D, N·c); entry j
// holds h_{j·kScanChunk − 1} (h0 for j = 0).
constexpr int64_t kScanChunk = 16;
inline int64_t scan_checkpoint_count(int64_t T) { return (T + kScanChunk - 1) / kScanChunk; }

// T: float or double. Pointers follow the layouts above.
template <typename T>
struct ScanForwardArgs {
  const T *x = nullptr, *delta = nullptr, *A = nullptr, *Bm = nullptr, *Cm = nullptr,
          *Dskip = nullptr;
  const T* h0 = nullptr;  // null: zeros
  T* y = nullptr;
  T* hT = nullptr;
  T* ckpt = nullptr;  // kernels only (the reference ignores it); null when no backward follows
};

// Gradients of <dy, y> + <dhT, h_T> with respect to every input (for a complex tensor, the
// gradient of its (re, im) pairs). Every gradient output is fully written.
template <typename T>
struct ScanBackwardArgs {
  const T *x = nullptr, *delta = nullptr, *A = nullptr, *Bm = nullptr, *Cm = nullptr,
          *Dskip = nullptr;
  const T* h0 = nullptr;    // the reference: the initial state (null: zeros)
  const T* ckpt = nullptr;  // the kernels: the forward's checkpoints (required)
  const T* dy = nullptr;    // null: zero cotangent
  const T* dhT = nullptr;   // null: zero cotangent
  T *dx = nullptr, *ddelta = nullptr, *dA = nullptr, *dBm = nullptr, *dCm = nullptr,
    *dDskip = nullptr, *dh0 = nullptr;
};

}  // namespace goose::kernels
