// The diagonal selective SSM baseline (REFERENCE.md §2–3): a Mamba-style block around
// kernels::selective_scan, with the eigenvalue class of its diagonal transition as an option
// (ModelConfig::dssm_eigen): real (0,1), signed (−1,1), complex (open unit disk) or
// complex-unit (the unit circle). Exports DssmEigen, parse_dssm_eigen(), DssmMixer,
// DssmEigenvalues, DssmModel.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "kernels/impl.h"
#include "kernels/selective_scan_shape.h"

namespace goose::core {

// ModelConfig::dssm_eigen, the eigenvalues λ = f(Δ·A) the diagonal transition may use:
//   Real:        λ = exp(Δ·A), A = −exp(A_log)                    in (0,1): star-free only
//   Signed:      λ = 2·exp(Δ·A) − 1                               in (−1,1): adds parity
//   Complex:     λ = exp(Δ·(A_re + i·A_im)), A_re = −exp(A_log)   |λ| < 1: every abelian group
//   ComplexUnit: λ = exp(i·Δ·A_im), A_re ≡ 0 (not a parameter)    |λ| = 1: exact rotations
enum class DssmEigen { Real, Signed, Complex, ComplexUnit };
// "real" | "signed" | "complex" | "complex-unit"; anything else throws std::invalid_argument
// "model: unknown dssm_eigen '<name>' (use real, signed, complex or complex-unit)".
DssmEigen parse_dssm_eigen(const std::string& name);

// The eigenvalues one layer used at every position of a batch.
struct DssmEigenvalues {
  // Real and signed: λ itself, (B,T,inner,N). Complex modes: (B,T,inner,N,2) = (re, im).
  torch::Tensor value;
  // |λ|, (B,T,inner,N); in the complex modes exactly exp(Δ·A_re), so 1 for complex-unit.
  torch::Tensor modulus;
};

// One Mamba mixer (inner = expand·dim, N = dssm_state, R = dt_rank = ceil(dim/16), c = 1 for
// the real modes and 2 for the complex ones):
//   [x, z] = in_proj(u);  x = SiLU(causal depthwise conv1d_4(x));  [δ, B, C] = x_proj(x)
//   with B, C of N·c values each;  Δ = softplus(dt_proj(δ));
//   y = selective_scan(x, Δ, A, B, C, Dskip) in the mode of dssm_eigen;  out = out_proj(y·SiLU(z)).
// A: (inner,N) = −exp(A_log) for real and signed; (inner,N,2) = (−exp(A_log), A_im) for complex
// and (0, A_im) for complex-unit.
// Init (Mamba's defaults): Dskip = 1, dt_proj bias = softplus⁻¹(dt) with dt log-uniform in
// [1e-3, 1e-1], dt_proj weight uniform ±R^-½; A per channel S4D-real for the real modes
// (A_log = log(1..N), A = −(1..N)) and S4D-Lin for the complex ones (A = −1/2 + iπn,
// n = 0..N−1: A_log = log(1/2), A_im = πn; complex-unit has no A_log).
class DssmMixerImpl : public torch::nn::Module {
 public:
  explicit DssmMixerImpl(const ModelConfig& config);
  static constexpr int64_t kConvWidth = 4;

  struct Output {
    torch::Tensor out;   // (B,T,C)
    torch::Tensor conv;  // (B,inner,3): the last kConvWidth-1 conv inputs
    torch::Tensor h;     // (B,inner,N) or (B,inner,N,2): scan state after the last position
  };
  // u: (B,T,C); conv: (B,inner,3) inputs before u[:,0] (undefined = zeros); h0: the scan state
  // (shaped like Output::h) or undefined.
  Output forward(const torch::Tensor& u, const torch::Tensor& conv, const torch::Tensor& h0);

  // λ at every position for input u (conv window of zeros); see DssmEigenvalues.
  DssmEigenvalues eigenvalues(const torch::Tensor& u);

  // A as the scan takes it: (inner,N), or (inner,N,2) in the complex modes.
  torch::Tensor A() const;
  kernels::ScanMode scan_mode() const { return mode_; }

 private:
  struct ScanInputs {
    torch::Tensor x, delta, Bm, Cm, z;
    torch::Tensor window;  // (B,inner,3): the last kConvWidth-1 conv inputs, for the next call
  };
  ScanInputs prepare(const torch::Tensor& u, const torch::Tensor& conv);

  int64_t inner_, state_, dt_rank_;
  DssmEigen eigen_;
  kernels::ScanMode mode_;
  kernels::Impl impl_;
  KernelChoice kernel_;
  torch::nn::Linear in_proj_{nullptr}, x_proj_{nullptr}, dt_proj_{nullptr}, out_proj_{nullptr};
  torch::nn::Conv1d conv1d_{nullptr};
  torch::Tensor A_log_, A_im_, D_;  // A_log_ undefined for complex-unit, A_im_ for the real modes
};
TORCH_MODULE(DssmMixer);

// emb → blocks (x = x + mixer(ln(x))) → ln_out → head. Step state per layer:
// {conv inputs (B,inner,3), scan state h (B,inner,N) or (B,inner,N,2)};
// state_floats = layers·(inner·N·c + 3·inner), c = 2 in the complex modes.
class DssmModel : public SequenceModel {
 public:
  explicit DssmModel(ModelConfig config);
  torch::Tensor forward(const torch::Tensor& tokens) override;
  bool has_step() const override { return true; }
  std::vector<torch::Tensor> initial_state(int64_t batch) override;
  torch::Tensor step(const torch::Tensor& token, std::vector<torch::Tensor>& state) override;
  torch::Tensor forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) override;
  int64_t state_floats() const override;

  // Per layer, the eigenvalues of the diagonal transition at every position of tokens (B,T).
  std::vector<DssmEigenvalues> eigenvalues(const torch::Tensor& tokens);

 private:
  torch::Tensor run(const torch::Tensor& tokens, std::vector<torch::Tensor>* state);
  int64_t state_components() const;

  torch::nn::Embedding emb_{nullptr};
  std::vector<torch::nn::LayerNorm> norms_;  // registered as "norms.<l>"
  std::vector<DssmMixer> mixers_;            // registered as "mixers.<l>"
  torch::nn::LayerNorm ln_out_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace goose::core
