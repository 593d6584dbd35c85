// Seeded random inputs for the recurrence kernels (WKV7 and the diagonal selective scan),
// inside each recurrence's domain, and the tolerances every implementation is held to. Shared
// by the kernel tests (tests/kernels) and the CUDA emulation tests (tests/cuda_emulation).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace goose::testing {

// RMS(kernel − reference)/RMS(reference), the reference in double from the same inputs
// (REFERENCE.md §6). fp32: the worst measured on the CPU kernels is below 1e-6 for outputs;
// the bounds leave room for other compilers and the GPU's expf.
constexpr double kFp32Tol = 1e-5;      // WKV7 outputs and gradients; scan outputs
constexpr double kFp32GradTol = 1e-4;  // scan gradients (sums over T of products with exp)
constexpr double kBf16Tol = 1e-2;      // bf16 inputs and outputs: 8-bit mantissa
// The bound for fp32 WKV7 at the paper's length (T = 4096), where rounding errors have
// thousands of steps to accumulate.
constexpr double kPaperLengthTol = 1e-4;

// ---- WKV7 ----

enum class Decay { Released, One, Tiny };

struct Wkv7Case {
  int64_t B, T, H, N;
  uint64_t seed;
  Decay decay = Decay::Released;
  double alpha_max = 1.0;  // b = κ̂·α, α ∈ (0, alpha_max); 2 is the relaxed model
};

std::string describe(const Wkv7Case& c);

// {r, w, k, v, a, b, s0} in double: w ∈ (0.545, 1) like the released model (or exactly 1, or
// tiny), a = −κ̂ with κ̂ L2-normalised per head, b = κ̂·α; shapes (B,T,H,N), s0 (B,H,N,N).
std::vector<torch::Tensor> wkv7_inputs(const Wkv7Case& c);

// ---- diagonal selective scan ----

struct ScanInputs {
  torch::Tensor x, delta, A, Bm, Cm, Dskip, h0;  // h0 undefined unless asked for
};

enum class Regime {
  Typical,      // Δ in (0.05, 1), A in (−2.1, −0.1): λ spread over (0,1) / (−1,1)
  DecayToZero,  // half the Δ·A near −100: λ ≈ 0 (unsigned) or λ ≈ −1 (signed)
  SignedZero,   // Δ·A = −ln 2 exactly where chosen: signed λ = 0
};

// x, delta (B,T,D); A (D,N); Bm, Cm (B,T,N); Dskip (D); h0 (B,D,N); all of `dtype`.
ScanInputs scan_inputs(int64_t B, int64_t T, int64_t D, int64_t N, uint64_t seed,
                       torch::Dtype dtype, bool with_h0, Regime regime = Regime::Typical);

}  // namespace goose::testing
