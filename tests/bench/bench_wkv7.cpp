// Benchmarks of wkv7(): the reference, a per-step LibTorch loop (what one writes without a
// kernel), the CPU kernel and (when a GPU is present) the CUDA kernel, forward and
// forward+backward, plus an fp32 matrix product as the machine's practical peak.
//
// FLOP count, defined once (per token per head, N = head size; a multiply-add is 2 FLOPs):
//   forward  9N²: sa = S a (2N²), S·diag(w) + sa bᵀ + v kᵀ (5N²), y = S r (2N²);
//   backward 19N²: dS += dy rᵀ, dr, dv, u = dS b, dk, dw, da, db (2N² each),
//                  dS·diag(w) + u aᵀ (3N²).
// fwd+bwd counts 28N²; a kernel's recomputation of states from checkpoints is not credited.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "kernels/recurrence_loops.h"
#include "kernels/wkv7.h"

namespace {

using goose::kernels::Impl;
using torch::Tensor;

struct Shape {
  int64_t B, T, H, N;
  std::string name() const {
    return "B" + std::to_string(B) + "_T" + std::to_string(T) + "_H" + std::to_string(H) + "_N" +
           std::to_string(N);
  }
};

constexpr double kFwdFlopsPerTokenHead = 9.0;   // × N²
constexpr double kBwdFlopsPerTokenHead = 19.0;  // × N²

struct Inputs {
  std::vector<Tensor> x;  // r, w, k, v, a, b (B,T,H,N)
  Tensor s0;              // (B,H,N,N) fp32
};

// Inputs in the recurrence's domain (released-model decay, a = −κ̂, b = κ̂·α), seed 7.
Inputs make_inputs(const Shape& s, torch::Device device, torch::Dtype dtype, bool grad) {
  torch::manual_seed(7);
  const std::vector<int64_t> shape = {s.B, s.T, s.H, s.N};
  Tensor r = torch::randn(shape);
  Tensor w = torch::exp(-0.6065306597 * torch::sigmoid(torch::randn(shape)));
  Tensor k = torch::randn(shape) / std::sqrt(static_cast<double>(s.N));
  Tensor v = torch::randn(shape);
  Tensor kk = torch::randn(shape);
  kk = kk / kk.norm(2, -1, true).clamp_min(1e-12);
  Tensor a = -kk, b = kk * torch::rand(shape);
  Inputs in;
  for (Tensor t : {r, w, k, v, a, b}) in.x.push_back(t.to(device, dtype).requires_grad_(grad));
  in.s0 = (0.1 * torch::randn({s.B, s.H, s.N, s.N})).to(device).requires_grad_(grad);
  return in;
}

void sync(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

void set_counters(benchmark::State& state, const Shape& s, bool backward) {
  const double tokens = static_cast<double>(s.B * s.T);
  const double per = kFwdFlopsPerTokenHead + (backward ? kBwdFlopsPerTokenHead : 0.0);
  const double flops = tokens * s.H * per * s.N * s.N;
  state.counters["tokens/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// impl_name: "reference", "cpu", "cuda" or "torch_loop" (kernels/recurrence_loops.h, called
// directly so that nothing but the loop is timed).
void run_wkv7(benchmark::State& state, Shape s, std::string impl_name, torch::Device device,
              torch::Dtype dtype, bool backward) {
  Inputs in = make_inputs(s, device, dtype, backward);
  const bool loop = impl_name == "torch_loop";
  const Impl impl = loop ? Impl::Auto : goose::kernels::parse_impl(impl_name);
  Tensor cy, cs;
  for (auto _ : state) {
    Tensor y, sT;
    if (loop) {
      torch::AutoGradMode mode(backward);
      std::tie(y, sT) = goose::kernels::wkv7_loop(in.x[0], in.x[1], in.x[2], in.x[3], in.x[4],
                                                  in.x[5], in.s0);
    } else {
      std::tie(y, sT) = goose::kernels::wkv7(in.x[0], in.x[1], in.x[2], in.x[3], in.x[4],
                                             in.x[5], in.s0, impl);
    }
    if (backward) {
      Tensor loss = y.to(torch::kFloat).sum() + sT.sum();
      loss.backward();
    }
    sync(device);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_counters(state, s, backward);
}

void run_matmul(benchmark::State& state, int64_t n, torch::Device device) {
  torch::manual_seed(7);
  Tensor x = torch::randn({n, n}, torch::TensorOptions().device(device));
  Tensor y = torch::randn({n, n}, torch::TensorOptions().device(device));
  for (auto _ : state) {
    Tensor z = torch::matmul(x, y);
    sync(device);
    benchmark::DoNotOptimize(z.data_ptr());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void add(const std::string& name, const Shape& s, const std::string& impl, torch::Device device,
         torch::Dtype dtype, bool backward, int iterations) {
  auto* b = benchmark::RegisterBenchmark(
      (std::string("wkv7/") + (backward ? "fwdbwd/" : "fwd/") + name + "/" + s.name()).c_str(),
      run_wkv7, s, impl, device, dtype, backward);
  b->Unit(benchmark::kMillisecond)->UseRealTime();
  if (iterations > 0) b->Iterations(iterations);
}

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const torch::Device cpu(torch::kCPU), gpu(torch::kCUDA);
  // The last: one training step of the small model (batch 64, length 32, 4 heads of 16).
  const std::vector<Shape> cpu_shapes = {
      {32, 128, 2, 64}, {64, 256, 4, 32}, {16, 1024, 2, 64}, {64, 32, 4, 16}};
  for (const Shape& s : cpu_shapes) {
    for (bool bwd : {false, true}) {
      add("reference", s, "reference", cpu, torch::kFloat, bwd, 1);  // slow on purpose
      // Seconds per run: one iteration, and not at T = 1024 (minutes with backward).
      if (s.T <= 256) add("torch_loop", s, "torch_loop", cpu, torch::kFloat, bwd, 1);
      add("cpu", s, "cpu", cpu, torch::kFloat, bwd, 0);
    }
  }
  benchmark::RegisterBenchmark("matmul_fp32/cpu/2048", run_matmul, 2048, cpu)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();

  if (goose::kernels::cuda_kernels_built() && torch::cuda::is_available()) {
    std::vector<Shape> gpu_shapes = cpu_shapes;
    gpu_shapes.push_back({8, 4096, 64, 64});
    for (const Shape& s : gpu_shapes) {
      for (bool bwd : {false, true}) {
        add("cuda_fp32", s, "cuda", gpu, torch::kFloat, bwd, 0);
        add("cuda_bf16", s, "cuda", gpu, torch::kBFloat16, bwd, 0);
        if (s.T <= 128) add("torch_loop_cuda", s, "torch_loop", gpu, torch::kFloat, bwd, 0);
      }
    }
    benchmark::RegisterBenchmark("matmul_fp32/cuda/8192", run_matmul, 8192, gpu)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
