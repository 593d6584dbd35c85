// Tests for wkv7(): the reference's gradients against finite differences, the CPU and CUDA
// kernels against the reference (outputs, final state, all seven gradients), thread
// independence, and the error messages. Seeds are fixed and printed in failure messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/wkv7.h"
#include "tests/support/gradcheck.h"
#include "tests/support/recurrence_inputs.h"

namespace goose::kernels {
namespace {

using goose::testing::gradcheck;
using goose::testing::rms_ratio;
using torch::Tensor;

using goose::testing::Decay;
using goose::testing::describe;
using goose::testing::kBf16Tol;
using goose::testing::kFp32Tol;
using goose::testing::kFp32LongTol;
using goose::testing::wkv7_inputs;
using Case = goose::testing::Wkv7Case;

const std::vector<std::string> kNames = {"r", "w", "k", "v", "a", "b", "s0"};
const std::vector<std::string> kOutNames = {"y", "s_T", "dr", "dw", "dk", "dv", "da", "db", "ds0"};

// y, s_T and the gradients of <cy, y> + <cs, s_T> for the seven inputs (converted to dtype,
// state inputs to fp32 unless double), all returned as double on the CPU.
std::vector<Tensor> run_with_grads(const std::vector<Tensor>& in, Impl impl, torch::Dtype dtype,
                                   torch::Device device, uint64_t seed) {
  std::vector<Tensor> leaves;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto dt = (i == 6 && dtype != torch::kDouble) ? torch::kFloat : dtype;
    leaves.push_back(in[i].to(device, dt).detach().requires_grad_(true));
  }
  auto [y, s] = wkv7(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5],
                     leaves[6], impl);
  auto gen = at::detail::createCPUGenerator(seed + 1000);
  Tensor cy = torch::randn(y.sizes(), gen, torch::kDouble).to(device, y.scalar_type());
  Tensor cs = torch::randn(s.sizes(), gen, torch::kDouble).to(device, s.scalar_type());
  Tensor loss = (y.to(torch::kDouble) * cy.to(torch::kDouble)).sum() +
                (s.to(torch::kDouble) * cs.to(torch::kDouble)).sum();
  auto grads = torch::autograd::grad({loss}, leaves);
  std::vector<Tensor> out = {y.detach(), s.detach()};
  for (auto& g : grads) out.push_back(g);
  for (auto& t : out) t = t.to(torch::kCPU, torch::kDouble);
  return out;
}

// The inputs rounded to `dtype` first, so that the reference sees exactly what the kernel sees.
std::vector<Tensor> rounded(const std::vector<Tensor>& in, torch::Dtype dtype) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < in.size(); ++i)
    out.push_back(in[i].to(i == 6 ? torch::kFloat : dtype).to(torch::kDouble));
  return out;
}

// tol bounds the outputs of the inputs' dtype (y and the six input gradients); state_tol the
// fp32 state outputs (s_T, ds0), which bf16 inputs do not excuse (negative: same as tol).
void expect_close(const Case& c, const std::vector<Tensor>& in, Impl impl, torch::Dtype dtype,
                  torch::Device device, double tol, double state_tol = -1.0) {
  if (state_tol < 0) state_tol = tol;
  const auto exact = rounded(in, dtype);
  auto ref = run_with_grads(exact, Impl::Reference, torch::kDouble, torch::kCPU, c.seed);
  auto got = run_with_grads(exact, impl, dtype, device, c.seed);
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_TRUE(torch::isfinite(got[i]).all().item<bool>()) << kOutNames[i] << " " << describe(c);
    const double err = rms_ratio(got[i], ref[i]);
    if (std::getenv("GOOSE_PRINT_ERRORS"))
      std::printf("wkv7 %s %s %.3g\n", describe(c).c_str(), kOutNames[i].c_str(), err);
    EXPECT_LE(err, i == 1 || i == 8 ? state_tol : tol) << kOutNames[i] << " " << describe(c);
  }
}

TEST(Wkv7Reference, GradientsMatchFiniteDifferences) {
  for (const Case& c : {Case{1, 3, 1, 3, 11}, Case{2, 2, 2, 2, 12},
                        Case{1, 4, 1, 3, 13, Decay::One, 2.0}}) {
    auto in = wkv7_inputs(c);
    auto f = [](const std::vector<Tensor>& x) {
      auto [y, s] = wkv7(x[0], x[1], x[2], x[3], x[4], x[5], x[6], Impl::Reference);
      return std::vector<Tensor>{y, s};
    };
    EXPECT_TRUE(gradcheck(f, in, kNames)) << describe(c);
  }
}

TEST(Wkv7Reference, MatchesAnExplicitMatrixRecurrence) {
  const Case c{2, 5, 2, 4, 21, Decay::Released, 2.0};
  auto in = wkv7_inputs(c);
  auto [y, s] = wkv7(in[0], in[1], in[2], in[3], in[4], in[5], in[6], Impl::Reference);
  for (int64_t bi = 0; bi < c.B; ++bi) {
    for (int64_t h = 0; h < c.H; ++h) {
      Tensor S = in[6][bi][h];
      for (int64_t t = 0; t < c.T; ++t) {
        auto vec = [&](int idx) { return in[idx][bi][t][h]; };
        Tensor M = torch::diag(vec(1)) + torch::outer(vec(4), vec(5));
        S = S.matmul(M) + torch::outer(vec(3), vec(2));
        EXPECT_LE(rms_ratio(y[bi][t][h], S.matmul(vec(0))), 1e-12) << "t=" << t;
      }
      EXPECT_LE(rms_ratio(s[bi][h], S), 1e-12);
    }
  }
}

TEST(Wkv7Cpu, MatchesReferenceAcrossShapes) {
  std::vector<Case> cases = {
      {1, 1, 1, 4, 31},                          // T = 1, B×H = 1
      {1, 7, 1, 8, 32},                          // odd T, inside one chunk
      {1, 16, 1, 8, 33},                         // exactly one chunk
      {1, 21, 5, 16, 34},                        // T not a multiple of the chunk, B×H = 5
      {5, 53, 1, 32, 35},                        // T = 3C+5, B×H = 5
      {1, 53, 1, 64, 36},                        // N = 64
      {2, 19, 3, 5, 37},                         // N not a power of two
      // The constructions' head sizes, each its own forward specialisation (N = 5 above):
      {1, 9, 4, 2, 47},                          // N = 2 (parity's swap construction)
      {1, 19, 2, 6, 48},                         // N = 6
      {2, 17, 1, 10, 49},                        // N = 10
      {2, 21, 3, 12, 50},                        // N = 12, T beyond a chunk
      {1, 40, 2, 16, 38, Decay::One, 2.0},       // w = 1, relaxed a ∈ (0,2)
      {2, 37, 1, 8, 39, Decay::Tiny, 1.0},       // w tiny: never divided by
      {3, 33, 1, 16, 40, Decay::Released, 2.0},  // relaxed a with the released decay
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c));
    expect_close(c, wkv7_inputs(c), Impl::Cpu, torch::kFloat, torch::kCPU, kFp32Tol);
  }
}

// The paper's length with w = 1 exactly and a small in-context rate (α < 0.1): the state
// keeps a horizon of about a thousand steps, so rounding errors build up over the whole
// sequence (the released decay would erase them within tens of steps).
TEST(Wkv7Cpu, PaperLengthWithinTolerance) {
  // N = 64 takes the row-by-row backward step, N = 16 the register one (kernels/wkv7_cpu.cpp).
  for (const Case& c : {Case{1, 4096, 1, 64, 45, Decay::One, 0.1},
                        Case{1, 4096, 2, 16, 46, Decay::One, 0.1}}) {
    SCOPED_TRACE(describe(c));
    expect_close(c, wkv7_inputs(c), Impl::Cpu, torch::kFloat, torch::kCPU, kFp32LongTol);
  }
}

// One rule for every wrapper (kernels/impl.h resolve_impl): Auto runs the CPU kernel on CPU
// tensors, so double inputs need the reference asked for by name.
TEST(Wkv7Cpu, AutoPicksCpuForCpuTensors) {
  const Case c{1, 9, 2, 8, 41};
  auto in = rounded(wkv7_inputs(c), torch::kFloat);
  std::vector<Tensor> f;
  for (size_t i = 0; i < in.size(); ++i) f.push_back(in[i].to(torch::kFloat));
  auto [y_auto, s_auto] = wkv7(f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
  auto [y_cpu, s_cpu] = wkv7(f[0], f[1], f[2], f[3], f[4], f[5], f[6], Impl::Cpu);
  EXPECT_TRUE(torch::equal(y_auto, y_cpu));
  EXPECT_TRUE(torch::equal(s_auto, s_cpu));
  try {
    wkv7(in[0], in[1], in[2], in[3], in[4], in[5], in[6]);
    ADD_FAILURE() << "Auto ran double inputs";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "wkv7: the cpu kernel takes Float, got r Double (use the reference for Double)");
  }
  auto [y_ref, s_ref] = wkv7(in[0], in[1], in[2], in[3], in[4], in[5], in[6], Impl::Reference);
  EXPECT_EQ(y_ref.scalar_type(), torch::kDouble);
  EXPECT_EQ(s_ref.scalar_type(), torch::kDouble);
}

TEST(Wkv7Cpu, MissingInitialStateIsZeroAndGradFreeForwardAgrees) {
  const Case c{2, 20, 2, 8, 42};
  auto in = wkv7_inputs(c);
  std::vector<Tensor> f;
  for (auto& t : in) f.push_back(t.to(torch::kFloat));
  auto [y0, s0] = wkv7(f[0], f[1], f[2], f[3], f[4], f[5], {}, Impl::Cpu);
  auto [y1, s1] = wkv7(f[0], f[1], f[2], f[3], f[4], f[5], torch::zeros_like(f[6]), Impl::Cpu);
  EXPECT_TRUE(torch::equal(y0, y1));
  EXPECT_TRUE(torch::equal(s0, s1));
  // With a grad-requiring input the forward also writes checkpoints; results are unchanged.
  auto rg = f[0].clone().requires_grad_(true);
  auto [y2, s2] = wkv7(rg, f[1], f[2], f[3], f[4], f[5], {}, Impl::Cpu);
  EXPECT_TRUE(torch::equal(y0, y2.detach()));
  EXPECT_TRUE(torch::equal(s0, s2.detach()));
}

TEST(Wkv7Cpu, GradientsThroughYOnlyMatchReference) {
  const Case c{1, 35, 2, 16, 43};
  auto in = rounded(wkv7_inputs(c), torch::kFloat);
  auto grads_of = [&](Impl impl, torch::Dtype dt) {
    std::vector<Tensor> leaves;
    for (auto& t : in) leaves.push_back(t.to(dt).detach().requires_grad_(true));
    auto [y, s] = wkv7(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5],
                       leaves[6], impl);
    y.pow(2).sum().backward();
    std::vector<Tensor> g;
    for (auto& l : leaves) g.push_back(l.grad().to(torch::kDouble));
    return g;
  };
  auto ref = grads_of(Impl::Reference, torch::kDouble);
  auto got = grads_of(Impl::Cpu, torch::kFloat);
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_LE(rms_ratio(got[i], ref[i]), kFp32Tol) << kNames[i];
}

TEST(Wkv7Cpu, ThreadCountDoesNotChangeResults) {
  const Case c{3, 45, 3, 16, 44};
  auto in = wkv7_inputs(c);
  const int saved = at::get_num_threads();
  at::set_num_threads(1);
  auto one = run_with_grads(in, Impl::Cpu, torch::kFloat, torch::kCPU, c.seed);
  at::set_num_threads(2);
  auto two = run_with_grads(in, Impl::Cpu, torch::kFloat, torch::kCPU, c.seed);
  at::set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(torch::equal(one[i], two[i])) << kOutNames[i];
}

// Expects wkv7(...) to throw invalid_argument with exactly `message`.
template <typename F>
void expect_error(F&& call, const std::string& message) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected: " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(Wkv7Errors, NameTheOffendingTensor) {
  auto x = torch::rand({2, 5, 1, 8});
  auto bad = torch::rand({2, 5, 1, 7});
  expect_error([&] { wkv7(x, x, bad, x, x, x); },
               "wkv7: k must have shape (B,T,H,N) = (2,5,1,8), got (2,5,1,7)");
  expect_error([&] { wkv7(torch::rand({2, 5, 8}), x, x, x, x, x); },
               "wkv7: r must be 4-D (B,T,H,N), got shape (2,5,8)");
  expect_error([&] { wkv7(x, x, x, x, x.to(torch::kDouble), x); },
               "wkv7: a must have dtype Float like r, got Double");
  expect_error([&] { wkv7(x, x, x, x, x, x, torch::zeros({2, 1, 8, 7})); },
               "wkv7: s0 must have shape (B,H,N,N) = (2,1,8,8), got (2,1,8,7)");
  expect_error([&] { wkv7(x, x, x, x, x, x, torch::zeros({2, 1, 8, 8}, torch::kDouble)); },
               "wkv7: s0 must have dtype Float for Float inputs, got Double");
  auto d = x.to(torch::kDouble);
  expect_error([&] { wkv7(d, d, d, d, d, d, {}, Impl::Cpu); },
               "wkv7: the cpu kernel takes Float, got r Double (use the reference for Double)");
  expect_error([&] { wkv7(torch::rand({2, 0, 1, 8}), x, x, x, x, x); },
               "wkv7: r must have B,T,H,N >= 1, got shape (2,0,1,8)");
  if (!cuda_kernels_built()) {
    expect_error([&] { wkv7(x, x, x, x, x, x, {}, Impl::Cuda); },
                 "wkv7: the cuda kernel was not built (no CUDA compiler)");
  } else {
    expect_error([&] { wkv7(x, x, x, x, x, x, {}, Impl::Cuda); },
                 "wkv7: the cuda kernel needs CUDA tensors, got r on cpu");
  }
}

bool have_cuda() { return cuda_kernels_built() && torch::cuda::is_available(); }

TEST(Wkv7Cuda, Fp32MatchesReference) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  std::vector<Case> cases = {
      {1, 1, 1, 4, 51},   {2, 7, 3, 8, 52},    {1, 53, 5, 16, 53},
      {2, 40, 2, 32, 54}, {1, 70, 2, 64, 55},  {1, 33, 1, 128, 56},
      {2, 19, 3, 5, 57},  {1, 40, 2, 16, 58, Decay::One, 2.0},
      {2, 37, 1, 64, 59, Decay::Tiny, 1.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c));
    expect_close(c, wkv7_inputs(c), Impl::Cuda, torch::kFloat, torch::kCUDA, kFp32Tol);
  }
}

// The paper's length with w = 1 and a small in-context rate, as on the CPU; 4 of the paper's 64
// heads keep the double reference to a few seconds (scripts/gpu-check times all 64).
TEST(Wkv7Cuda, PaperLengthWithinTolerance) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  const Case c{1, 4096, 4, 64, 72, Decay::One, 0.1};
  SCOPED_TRACE(describe(c));
  expect_close(c, wkv7_inputs(c), Impl::Cuda, torch::kFloat, torch::kCUDA, kFp32LongTol);
}

// GOOSE_WKV7_CUDA_CHUNK (the checkpoint interval, for tuning) changes speed, not results.
TEST(Wkv7Cuda, ChunkFromTheEnvironmentMatchesReference) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  for (const char* chunk : {"1", "5", "64"}) {
    ::setenv("GOOSE_WKV7_CUDA_CHUNK", chunk, 1);
    const Case c{2, 37, 2, 32, 73};
    SCOPED_TRACE(describe(c) + " chunk " + chunk);
    expect_close(c, wkv7_inputs(c), Impl::Cuda, torch::kFloat, torch::kCUDA, kFp32Tol);
  }
  ::unsetenv("GOOSE_WKV7_CUDA_CHUNK");
}

TEST(Wkv7Cuda, Bf16MatchesReference) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  std::vector<Case> cases = {{2, 45, 2, 64, 61}, {1, 20, 3, 32, 62, Decay::One, 2.0},
                             {1, 17, 1, 128, 63}};
  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c));
    expect_close(c, wkv7_inputs(c), Impl::Cuda, torch::kBFloat16, torch::kCUDA, kBf16Tol,
                 kFp32Tol);
  }
}

// bf16 over a long horizon (w = 1, small in-context rate), as in the emulation: the fp32
// state outputs must stay at the fp32 long-sequence bound.
TEST(Wkv7Cuda, Bf16LongSequenceWithinTolerance) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  const Case c{1, 1024, 4, 64, 65, Decay::One, 0.1};
  SCOPED_TRACE(describe(c));
  expect_close(c, wkv7_inputs(c), Impl::Cuda, torch::kBFloat16, torch::kCUDA, kBf16Tol,
               kFp32LongTol);
}

TEST(Wkv7Cuda, AutoPicksCudaAndMissingStateIsZero) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  const Case c{2, 20, 2, 16, 64};
  auto in = wkv7_inputs(c);
  std::vector<Tensor> g;
  for (auto& t : in) g.push_back(t.to(torch::kCUDA, torch::kFloat));
  auto [y0, s0] = wkv7(g[0], g[1], g[2], g[3], g[4], g[5]);
  auto [y1, s1] = wkv7(g[0], g[1], g[2], g[3], g[4], g[5], torch::zeros_like(g[6]), Impl::Cuda);
  EXPECT_TRUE(torch::equal(y0, y1));
  EXPECT_TRUE(torch::equal(s0, s1));
  EXPECT_TRUE(y0.is_cuda());
}

// Not part of the suite (disabled): scripts/gpu-check runs it to time the CUDA kernel at the
// paper's shape B=8, T=4096, C=4096 (H=64, N=64) when Google Benchmark cannot be built there.
TEST(DISABLED_Wkv7CudaTiming, PaperShape) {
  if (!have_cuda()) GTEST_SKIP() << "no GPU or CUDA kernels not built";
  const Case c{8, 4096, 64, 64, 71};
  auto in = wkv7_inputs(c);
  for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
    std::vector<Tensor> x;
    for (size_t i = 0; i < in.size(); ++i)
      x.push_back(in[i].to(torch::kCUDA, i == 6 ? torch::kFloat : dtype).requires_grad_(true));
    auto fwd = [&] { return wkv7(x[0], x[1], x[2], x[3], x[4], x[5], x[6], Impl::Cuda); };
    auto fwd_bwd = [&] {
      auto [y, s] = fwd();
      (y.to(torch::kFloat).sum() + s.sum()).backward();
    };
    auto time_ms = [&](auto&& f) {
      f();  // warm-up
      torch::cuda::synchronize();
      const int reps = 5;
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) f();
      torch::cuda::synchronize();
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                 .count() / reps;
    };
    const double fwd_ms = time_ms([&] {
      torch::NoGradGuard no_grad;
      fwd();
    });
    const double both_ms = time_ms(fwd_bwd);
    const double flops = double(c.B * c.T * c.H) * c.N * c.N;  // × 9 forward, × 28 fwd+bwd
    const char* chunk = std::getenv("GOOSE_WKV7_CUDA_CHUNK");
    std::printf("wkv7 timing %s B=8 T=4096 H=64 N=64 chunk %s: forward %.2f ms (%.0f GFLOP/s), "
                "forward+backward %.2f ms (%.0f GFLOP/s)\n",
                dtype == torch::kFloat ? "fp32" : "bf16", chunk ? chunk : "default", fwd_ms,
                9 * flops / fwd_ms * 1e-6, both_ms, 28 * flops / both_ms * 1e-6);
    for (auto& t : x) EXPECT_TRUE(torch::isfinite(t.grad()).all().item<bool>());
  }
}

}  // namespace
}  // namespace goose::kernels
