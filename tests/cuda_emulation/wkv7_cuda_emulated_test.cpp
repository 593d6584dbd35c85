// The CUDA WKV7 kernels (kernels/wkv7_cuda_kernels.cuh), run on the host by the CUDA emulation
// with the launch geometry the launcher uses, against the double reference: outputs, final
// state and all seven gradients, fp32 and bf16, T = 1, T not a multiple of the chunk, N from 4
// to 128, w = 1, tiny w and relaxed a, with and without s0 and cotangents. Then the same
// launch with the threads of each block run in three orders must give identical bits.
#include "tests/cuda_emulation/cuda_emulation.h"  // first: what nvcc would provide

#include "kernels/wkv7_cuda_kernels.cuh"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/wkv7_reference.h"
#include "tests/support/gradcheck.h"
#include "tests/support/recurrence_inputs.h"

// The storage behind the kernels' `extern __shared__ float smem[]`.
namespace goose::kernels::wkv7_cuda_detail {
float smem[goose::cuda_emulation::kMaxSharedBytes / sizeof(float)];
}

namespace goose::kernels {
namespace {

using cuda_emulation::DeviceBuffer;
using cuda_emulation::LaunchConfig;
using cuda_emulation::Order;
using testing::Decay;
using testing::Wkv7Case;
using Values = std::vector<double>;

const std::vector<std::string> kOutNames = {"y", "s_T", "dr", "dw", "dk", "dv", "da", "db", "ds0"};

template <typename E>
E to_elem(double x);
template <>
float to_elem<float>(double x) {
  return static_cast<float>(x);
}
template <>
__nv_bfloat16 to_elem<__nv_bfloat16>(double x) {
  return __float2bfloat16(static_cast<float>(x));
}
double to_double(float x) { return x; }
double to_double(__nv_bfloat16 x) { return __bfloat162float(x); }

// What the kernel sees of x when its element type is E, as doubles.
template <typename E>
Values rounded(const Values& x) {
  Values out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = to_double(to_elem<E>(x[i]));
  return out;
}

Values values_of(const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kDouble);
  return Values(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

template <typename E>
DeviceBuffer<E> upload(const Values& x, const std::string& name) {
  DeviceBuffer<E> buf(x.size(), name);
  std::vector<E> tmp(x.size());
  for (size_t i = 0; i < x.size(); ++i) tmp[i] = to_elem<E>(x[i]);
  buf.fill(tmp.data());
  return buf;
}

template <typename E>
Values download(DeviceBuffer<E>& buf) {
  buf.check_guards();
  Values out(buf.size());
  for (size_t i = 0; i < buf.size(); ++i) out[i] = to_double(buf.data()[i]);
  return out;
}

struct Problem {
  Wkv7Dims sz;
  std::vector<Values> vectors;  // r, w, k, v, a, b: (B,T,H,N)
  Values s0, dy, ds_out;        // empty: null pointer (zeros)
};

// Inputs from the shared seeded generator, already rounded to what a kernel of element type E
// sees (states stay fp32), so the reference and the kernel start from the same numbers.
template <typename E>
Problem make_problem(const Wkv7Case& c, bool with_s0, bool with_dy, bool with_ds_out) {
  auto in = testing::wkv7_inputs(c);
  Problem p{{c.B, c.T, c.H, c.N}, {}, {}, {}, {}};
  for (int i = 0; i < 6; ++i) p.vectors.push_back(rounded<E>(values_of(in[i])));
  auto gen = at::detail::createCPUGenerator(c.seed + 1000);
  if (with_s0) p.s0 = rounded<float>(values_of(in[6]));
  if (with_dy) p.dy = rounded<E>(values_of(torch::randn({c.B, c.T, c.H, c.N}, gen, torch::kDouble)));
  if (with_ds_out)
    p.ds_out = rounded<float>(values_of(torch::randn({c.B, c.H, c.N, c.N}, gen, torch::kDouble)));
  return p;
}

const double* ptr_or_null(const Values& v) { return v.empty() ? nullptr : v.data(); }

// y, s_T, dr, dw, dk, dv, da, db, ds0 from the double reference.
std::vector<Values> run_reference(const Problem& p) {
  const auto& sz = p.sz;
  const size_t n_vec = sz.B * sz.T * sz.H * sz.N, n_state = sz.B * sz.H * sz.N * sz.N;
  std::vector<Values> out(9);
  for (int i = 0; i < 9; ++i) out[i].assign(i == 1 || i == 8 ? n_state : n_vec, 0.0);
  const auto& x = p.vectors;
  Wkv7ForwardArgs<double> fwd;
  fwd.r = x[0].data();
  fwd.w = x[1].data();
  fwd.k = x[2].data();
  fwd.v = x[3].data();
  fwd.a = x[4].data();
  fwd.b = x[5].data();
  fwd.s0 = ptr_or_null(p.s0);
  fwd.y = out[0].data();
  fwd.s_out = out[1].data();
  wkv7_reference_forward<double>(sz, fwd);
  Wkv7BackwardArgs<double> bwd;
  bwd.r = fwd.r;
  bwd.w = fwd.w;
  bwd.k = fwd.k;
  bwd.v = fwd.v;
  bwd.a = fwd.a;
  bwd.b = fwd.b;
  bwd.s0 = fwd.s0;
  bwd.dy = ptr_or_null(p.dy);
  bwd.ds_out = ptr_or_null(p.ds_out);
  bwd.dr = out[2].data();
  bwd.dw = out[3].data();
  bwd.dk = out[4].data();
  bwd.dv = out[5].data();
  bwd.da = out[6].data();
  bwd.db = out[7].data();
  bwd.ds0 = out[8].data();
  wkv7_reference_backward<double>(sz, bwd);
  return out;
}

// The forward and backward kernels launched as wkv7_cuda.cu launches them.
template <typename E>
std::vector<Values> run_emulated(const Problem& p, Order order, uint64_t seed = 0,
                                 int chunk = kWkv7CudaChunk) {
  const auto& sz = p.sz;
  const int N = static_cast<int>(sz.N);
  const size_t n_vec = sz.B * sz.T * sz.H * sz.N, n_state = sz.B * sz.H * sz.N * sz.N;
  const int64_t n_ckpt = wkv7_cuda_checkpoints(sz.T, chunk);
  static const char* names[] = {"r", "w", "k", "v", "a", "b"};
  std::vector<DeviceBuffer<E>> x;
  for (int i = 0; i < 6; ++i) x.push_back(upload<E>(p.vectors[i], names[i]));
  DeviceBuffer<float> s0 = upload<float>(p.s0.empty() ? Values(1) : p.s0, "s0");
  DeviceBuffer<E> dy = upload<E>(p.dy.empty() ? Values(1) : p.dy, "dy");
  DeviceBuffer<float> ds_out = upload<float>(p.ds_out.empty() ? Values(1) : p.ds_out, "ds_out");
  DeviceBuffer<E> y(n_vec, "y");
  DeviceBuffer<float> s_out(n_state, "s_out");
  DeviceBuffer<float> ckpt(n_state * n_ckpt, "ckpt");
  std::vector<DeviceBuffer<E>> grads;
  for (int i = 0; i < 6; ++i) grads.emplace_back(n_vec, "d" + std::string(names[i]));
  DeviceBuffer<float> ds0(n_state, "ds0");
  DeviceBuffer<float> scratch(wkv7_cuda_scratch_floats(sz, chunk), "scratch");

  cuda_emulation::register_dynamic_shared(wkv7_cuda_detail::smem, sizeof wkv7_cuda_detail::smem);
  const dim3 grid(static_cast<unsigned>(sz.B * sz.H)), block(static_cast<unsigned>(N));
  LaunchConfig forward{grid, block, wkv7_cuda_detail::forward_shared_bytes(N), order, seed};
  cuda_emulation::launch(forward, &wkv7_cuda_detail::wkv7_forward_kernel<E>,
                         static_cast<int>(sz.T), static_cast<int>(sz.H), N, chunk,
                         static_cast<int>(n_ckpt), x[0].data(), x[1].data(), x[2].data(),
                         x[3].data(), x[4].data(), x[5].data(),
                         p.s0.empty() ? nullptr : s0.data(), y.data(), s_out.data(),
                         ckpt.data());
  LaunchConfig backward{grid, block, wkv7_cuda_detail::backward_shared_bytes(N, chunk), order,
                        seed};
  cuda_emulation::launch(backward, &wkv7_cuda_detail::wkv7_backward_kernel<E>,
                         static_cast<int>(sz.T), static_cast<int>(sz.H), N, chunk,
                         static_cast<int>(n_ckpt), x[0].data(), x[1].data(), x[2].data(),
                         x[3].data(), x[4].data(), x[5].data(), ckpt.data(),
                         p.dy.empty() ? nullptr : dy.data(),
                         p.ds_out.empty() ? nullptr : ds_out.data(), grads[0].data(),
                         grads[1].data(), grads[2].data(), grads[3].data(), grads[4].data(),
                         grads[5].data(), ds0.data(), scratch.data());
  for (auto& b : x) b.check_guards();
  s0.check_guards();
  dy.check_guards();
  ds_out.check_guards();
  ckpt.check_guards();
  scratch.check_guards();
  std::vector<Values> out = {download(y), download(s_out)};
  for (auto& g : grads) out.push_back(download(g));
  out.push_back(download(ds0));
  return out;
}

double rms_ratio(const Values& got, const Values& ref) {
  auto t = [](const Values& v) {
    return torch::from_blob(const_cast<double*>(v.data()), {static_cast<int64_t>(v.size())},
                            torch::kDouble);
  };
  return testing::rms_ratio(t(got), t(ref));
}

// The bounds of one run: for the outputs of the element type E (y and the six input
// gradients) and for the fp32 state outputs (s_T, ds0), which bf16 inputs do not excuse.
struct Bounds {
  double elements, states;
  Bounds(double both) : elements(both), states(both) {}  // NOLINT: fp32 runs use one bound
  Bounds(double e, double s) : elements(e), states(s) {}
};

template <typename E>
void expect_matches_reference(const Wkv7Case& c, Bounds tol, bool with_s0 = true,
                              bool with_dy = true, bool with_ds_out = true,
                              int chunk = kWkv7CudaChunk) {
  SCOPED_TRACE(testing::describe(c) + " s0=" + std::to_string(with_s0) +
               " dy=" + std::to_string(with_dy) + " ds_out=" + std::to_string(with_ds_out) +
               " chunk=" + std::to_string(chunk));
  const Problem p = make_problem<E>(c, with_s0, with_dy, with_ds_out);
  const auto ref = run_reference(p);
  const auto got = run_emulated<E>(p, Order::Ascending, 0, chunk);
  for (size_t i = 0; i < ref.size(); ++i) {
    for (double x : got[i]) ASSERT_TRUE(std::isfinite(x)) << kOutNames[i] << " is not finite";
    const double err = rms_ratio(got[i], ref[i]);
    if (std::getenv("GOOSE_PRINT_ERRORS"))
      std::printf("wkv7 emulated %s %s %s %.3g\n", sizeof(E) == 2 ? "bf16" : "fp32",
                  testing::describe(c).c_str(), kOutNames[i].c_str(), err);
    EXPECT_LE(err, i == 1 || i == 8 ? tol.states : tol.elements) << kOutNames[i];
  }
}

TEST(Wkv7CudaEmulated, Fp32MatchesReference) {
  for (const Wkv7Case& c : {Wkv7Case{1, 1, 1, 4, 101}, Wkv7Case{2, 17, 2, 8, 102},
                            Wkv7Case{1, 33, 1, 64, 103}, Wkv7Case{3, 7, 1, 4, 104},
                            Wkv7Case{2, 16, 1, 16, 105, Decay::One, 2.0},
                            Wkv7Case{1, 5, 1, 32, 106, Decay::Tiny},
                            Wkv7Case{1, 21, 1, 128, 107}})
    expect_matches_reference<float>(c, testing::kFp32Tol);
}

// The paper's length with w = 1 exactly and a small in-context rate: rounding errors build up
// over the whole sequence instead of being forgotten within tens of steps.
TEST(Wkv7CudaEmulated, PaperLengthWithinTolerance) {
  expect_matches_reference<float>(Wkv7Case{1, 4096, 1, 64, 108, Decay::One, 0.1},
                                  testing::kFp32LongTol);
}

TEST(Wkv7CudaEmulated, Fp32WithNullInitialStateAndCotangents) {
  const Wkv7Case c{2, 19, 1, 8, 111};
  expect_matches_reference<float>(c, testing::kFp32Tol, false, true, false);
  expect_matches_reference<float>(c, testing::kFp32Tol, false, false, true);
}

// Every checkpoint interval GOOSE_WKV7_CUDA_CHUNK may choose: 1, one that divides nothing
// here, the default, and the largest (longer than T, so a single chunk).
TEST(Wkv7CudaEmulated, Fp32MatchesReferenceForEveryChunk) {
  for (int chunk : {1, 5, 16, static_cast<int>(kWkv7CudaMaxChunk)})
    expect_matches_reference<float>(Wkv7Case{2, 37, 1, 8, 141}, testing::kFp32Tol, true, true,
                                    true, chunk);
}

TEST(Wkv7CudaEmulated, ChunkComesFromTheEnvironment) {
  ::unsetenv("GOOSE_WKV7_CUDA_CHUNK");
  EXPECT_EQ(wkv7_cuda_chunk(), kWkv7CudaChunk);
  ::setenv("GOOSE_WKV7_CUDA_CHUNK", "4", 1);
  EXPECT_EQ(wkv7_cuda_chunk(), 4);
  for (const char* bad : {"0", "65", "8x", "-3"}) {
    ::setenv("GOOSE_WKV7_CUDA_CHUNK", bad, 1);
    try {
      wkv7_cuda_chunk();
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()),
                "GOOSE_WKV7_CUDA_CHUNK must be an integer in [1, 64], got '" + std::string(bad) +
                    "'");
    }
  }
  ::unsetenv("GOOSE_WKV7_CUDA_CHUNK");
}

TEST(Wkv7CudaEmulated, Bf16MatchesReference) {
  for (const Wkv7Case& c : {Wkv7Case{2, 17, 2, 8, 121}, Wkv7Case{1, 33, 1, 64, 122},
                            Wkv7Case{1, 18, 1, 16, 123, Decay::One, 2.0}})
    expect_matches_reference<__nv_bfloat16>(c, {testing::kBf16Tol, testing::kFp32Tol});
}

// bf16 inputs and outputs with an fp32 state over a long horizon (w = 1, small in-context
// rate): a state kept in bf16 would lose the small updates to a large state here.
TEST(Wkv7CudaEmulated, Bf16LongSequenceWithinTolerance) {
  expect_matches_reference<__nv_bfloat16>(Wkv7Case{1, 1024, 1, 64, 124, Decay::One, 0.1},
                                          {testing::kBf16Tol, testing::kFp32LongTol});
}

// Threads of a block that raced between two barriers would see each other's writes or not
// depending on the order they run in; the kernels have no atomics, so any difference is a race.
TEST(Wkv7CudaEmulated, ThreadOrderDoesNotChangeResults) {
  const Problem p = make_problem<float>(Wkv7Case{1, 20, 2, 16, 131}, true, true, true);
  const auto ascending = run_emulated<float>(p, Order::Ascending);
  for (auto [order, seed] : {std::pair{Order::Descending, 0}, std::pair{Order::Shuffled, 7}}) {
    const auto other = run_emulated<float>(p, order, seed);
    for (size_t i = 0; i < ascending.size(); ++i)
      EXPECT_EQ(ascending[i], other[i]) << kOutNames[i] << " order " << static_cast<int>(order);
  }
}

}  // namespace
}  // namespace goose::kernels
