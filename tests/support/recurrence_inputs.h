// Seeded random inputs for the recurrence kernels (WKV7 and the diagonal selective scan),
// inside each recurrence's domain, and the tolerances every implementation is held to. Shared
// by the kernel tests (tests/kernels) and the CUDA emulation tests (tests/cuda_emulation).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kernels/selective_scan_shape.h"

namespace goose::testing {

// ---- tolerances, in one place ----
// RMS(kernel − reference)/RMS(reference), the reference in double from the same (rounded)
// inputs (REFERENCE.md §6), for every output, final state and gradient. Each bound is about
// 10× (bf16: 3×) the worst error measured on this machine (2 cores, AVX-512, glibc's expf and
// sincosf in the CUDA emulation) by the tests that use it, CPU kernels and emulated CUDA
// kernels together; GOOSE_PRINT_ERRORS=1 prints every error. The comment gives that worst.

// fp32: the CPU kernels and the CUDA kernels (emulated, or on a GPU)
constexpr double kFp32Tol = 3e-6;             // WKV7, T <= 70                 (3.0e-7)
constexpr double kFp32LongTol = 1.2e-5;       // WKV7, T = 4096, w = 1, α < 0.1 (1.2e-6)
constexpr double kScanFp32Tol = 5e-6;         // scan y, h_T, T <= 129         (5.1e-7)
constexpr double kScanFp32GradTol = 8e-6;     // scan gradients, T <= 129      (7.8e-7)
// The scan at T = 4096 with |λ| within 1e-3 of 1 (Regime::Long): real and signed modes
// (2.2e-6), and the complex mode (8.9e-6), whose phase Δ·A_im is rounded to fp32 each step
// (a random walk of ~|Δ·A_im|·6e-8 per step over a horizon of thousands of steps).
constexpr double kScanFp32LongTol = 2.5e-5;
constexpr double kScanComplexFp32LongTol = 1e-4;
// max | |h_T|/|h_0| − 1 | after 4096 steps of a pure rotation (A_re = 0, zero input)
constexpr double kFp32UnitModulusDrift = 1e-4;  // (8.9e-6)
constexpr double kLoopFp32Tol = 2.5e-6;         // the per-step LibTorch loops (2.5e-7)

// bf16: the CUDA WKV7 kernel's bf16 outputs (y and the input gradients; rounding them to
// bf16's 8-bit mantissa alone gives ~1.7e-3). Its fp32 state outputs (s_T, ds0) are held to
// the fp32 bounds above, so a state kept in bf16 fails at once.
constexpr double kBf16Tol = 6e-3;  // (2.0e-3)

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
  Typical,       // Δ in (0.05, 1), A (A_re) in (−2.1, −0.1), A_im in (−2π, 2π): λ spread over
                 // (0,1), (−1,1) or the unit disk
  DecayToZero,   // half the Δ·A (Δ·A_re) near −100: λ ≈ 0 (real, complex) or ≈ −1 (signed)
  SignedZero,    // Δ·A = −ln 2 exactly where chosen: signed λ = 0
  UnitModulus,   // complex only: A_re = 0 exactly, |λ| = 1 (a pure rotation)
  Long,          // A (A_re) in (−1.1e-3, −1e-4): |λ| within 1e-3 of 1, a horizon of thousands
                 // of steps, for the long-sequence accuracy tests
};

// x, delta (B,T,D); Dskip (D); A (D,N), Bm, Cm (B,T,N), h0 (B,D,N), or in the Complex mode
// A (D,N,2), Bm, Cm (B,T,N,2), h0 (B,D,N,2); all of `dtype`.
ScanInputs scan_inputs(int64_t B, int64_t T, int64_t D, int64_t N, uint64_t seed,
                       torch::Dtype dtype, bool with_h0,
                       goose::kernels::ScanMode mode = goose::kernels::ScanMode::Real,
                       Regime regime = Regime::Typical);

std::string describe(goose::kernels::ScanMode mode, Regime regime);

// Counting modulo 3 through the complex scan: one channel, one state, A = i·2π/3 (in fp32),
// Δ_t = 1 for a counted token and 3 (a full turn) for the others, x = 0 and h0 = 1, so
// h_t = exp(i·2π/3·k_t) with k_t the number of counted tokens up to t. The two runs differ
// only in Cm: y_t = Re(h_t) = cos, and y_t = Re(−i·h_t) = sin of the angle. fp32 inputs.
struct CountMod3 {
  ScanInputs cos_run, sin_run;
  torch::Tensor counts;  // (T) int64: k_t
};
CountMod3 count_mod_3_inputs(int64_t T, uint64_t seed);

// Decodes k_t mod 3 from the two runs' outputs y (1,T,1) and compares with counts: the number
// of positions decoded wrong, and the largest phase error (radians).
struct CountMod3Result {
  int64_t wrong = 0;
  double worst_phase_error = 0.0;
};
CountMod3Result check_count_mod_3(const CountMod3& in, const torch::Tensor& y_cos,
                                  const torch::Tensor& y_sin);

}  // namespace goose::testing
