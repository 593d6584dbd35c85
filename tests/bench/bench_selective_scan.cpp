// Benchmark of the diagonal selective scan in its three modes (real, signed, complex): forward
// and forward+backward of the plain reference, of a per-step LibTorch loop (what one writes
// without a kernel), of the fused CPU kernel (all threads and one thread) and of the CUDA
// kernel when a GPU is present. Names: fwd|fwd_bwd/<variant>/<mode>/<shape>.
//
// Shapes (B,T,D,N): the small models of the experiments use width 128 with expand 2, so the
// scan sees D = 256 channels and N = 16 states per channel; batch×length vary like the
// training presets (short sequences in big batches, long ones in small batches).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "kernels/recurrence_loops.h"
#include "kernels/selective_scan.h"

namespace {

using goose::kernels::Impl;
using goose::kernels::ScanMode;
using torch::Tensor;

struct Shape {
  int64_t B, T, D, N;
};
const std::vector<Shape> kShapes = {{32, 128, 256, 16}, {64, 256, 256, 16}, {16, 1024, 256, 16}};

// FLOPs counted once, per state element (b,t,d,n). Real and signed: Δ·A, exp, λ·h, +, Δx·B,
// C·h and + (exp counted as one): 7. Complex: Δ·A_re and Δ·A_im (2), exp, sin and cos (3),
// λ = |λ|·(cos, sin) (2), λ·h (6), Δx·B (2), + (2), Re(C·h) (3) and + (1): 21. The backward is
// counted as twice the forward, the usual convention, so forward+backward = 3× forward.
double forward_flops(const Shape& s, ScanMode mode) {
  const double per_element = mode == ScanMode::Complex ? 21.0 : 7.0;
  return per_element * double(s.B) * double(s.T) * double(s.D) * double(s.N);
}

struct Inputs {
  Tensor x, delta, A, Bm, Cm, Dskip, dy;
};

// Complex mode: A = (A_re, A_im) with A_im like S4D-Lin's πn; Bm, Cm (B,T,N,2).
Inputs make_inputs(const Shape& s, ScanMode mode, torch::Device device) {
  auto gen = at::detail::createCPUGenerator(1);
  const bool cx = mode == ScanMode::Complex;
  auto parts = [cx](std::vector<int64_t> sizes) {
    if (cx) sizes.push_back(2);
    return sizes;
  };
  Inputs in;
  in.x = torch::randn({s.B, s.T, s.D}, gen);
  in.delta = 0.01 + 0.2 * torch::rand({s.B, s.T, s.D}, gen);
  in.A = -(0.1 + 2.0 * torch::rand({s.D, s.N}, gen));
  if (cx) in.A = torch::stack({in.A, M_PI * torch::arange(s.N).to(torch::kFloat).expand({s.D, s.N})}, -1);
  in.Bm = torch::randn(parts({s.B, s.T, s.N}), gen);
  in.Cm = torch::randn(parts({s.B, s.T, s.N}), gen);
  in.Dskip = torch::randn({s.D}, gen);
  in.dy = torch::randn({s.B, s.T, s.D}, gen);
  for (Tensor* t : {&in.x, &in.delta, &in.A, &in.Bm, &in.Cm, &in.Dskip, &in.dy})
    *t = t->to(device);
  return in;
}

std::vector<Tensor> leaves(const Inputs& in, bool grad) {
  std::vector<Tensor> out;
  for (const Tensor* t : {&in.x, &in.delta, &in.A, &in.Bm, &in.Cm, &in.Dskip})
    out.push_back(t->detach().requires_grad_(grad));
  return out;
}

// The per-step LibTorch loop (kernels/recurrence_loops.h): autograd through every op.
Tensor loop_scan(const std::vector<Tensor>& v, ScanMode mode) {
  return std::get<0>(
      goose::kernels::selective_scan_loop(v[0], v[1], v[2], v[3], v[4], v[5], {}, mode));
}

Tensor kernel_scan(const std::vector<Tensor>& v, ScanMode mode, Impl impl) {
  return std::get<0>(goose::kernels::selective_scan(v[0], v[1], v[2], v[3], v[4], v[5], {},
                                                    mode, impl));
}

void sync(const Inputs& in) {
  if (in.x.is_cuda()) torch::cuda::synchronize();
}

using ScanFn = std::function<Tensor(const std::vector<Tensor>&, ScanMode)>;

void run_bench(benchmark::State& state, const Shape& s, ScanMode mode, const ScanFn& fn,
               bool backward, torch::Device device, int threads) {
  const int saved = torch::get_num_threads();
  torch::set_num_threads(threads);
  const Inputs in = make_inputs(s, mode, device);
  for (auto _ : state) {
    auto v = leaves(in, backward);
    Tensor y = fn(v, mode);
    if (backward) torch::autograd::backward({y}, {in.dy});
    sync(in);
    benchmark::DoNotOptimize(y);
  }
  torch::set_num_threads(saved);
  const double iters = double(state.iterations());
  state.counters["tokens/s"] =
      benchmark::Counter(double(s.B * s.T) * iters, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(
      forward_flops(s, mode) * (backward ? 3.0 : 1.0) * iters * 1e-9, benchmark::Counter::kIsRate);
}

std::string shape_name(const Shape& s) {
  return "B" + std::to_string(s.B) + "_T" + std::to_string(s.T) + "_D" + std::to_string(s.D) +
         "_N" + std::to_string(s.N);
}

}  // namespace

int main(int argc, char** argv) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(cores);
  const bool cuda = torch::cuda::is_available() && goose::kernels::cuda_kernels_built();
  struct Variant {
    std::string name;
    ScanFn fn;
    torch::Device device;
    int threads;
    int64_t iterations;  // 0 = let the library choose
  };
  auto with = [](Impl impl) {
    return [impl](const std::vector<Tensor>& v, ScanMode mode) {
      return kernel_scan(v, mode, impl);
    };
  };
  std::vector<Variant> variants = {
      {"reference", with(Impl::Reference), torch::kCPU, cores, 1},
      {"torch_loop", loop_scan, torch::kCPU, cores, 1},
      {"cpu_kernel", with(Impl::Cpu), torch::kCPU, cores, 0},
      {"cpu_kernel_1thread", with(Impl::Cpu), torch::kCPU, 1, 0},
  };
  if (cuda) {
    variants.push_back({"cuda_kernel", with(Impl::Cuda), torch::kCUDA, cores, 0});
    variants.push_back({"cuda_torch_loop", loop_scan, torch::kCUDA, cores, 3});
  }
  for (const auto& s : kShapes) {
    for (bool backward : {false, true}) {
      for (const auto& v : variants) {
        for (ScanMode mode : {ScanMode::Real, ScanMode::Signed, ScanMode::Complex}) {
          const std::string name = std::string(backward ? "fwd_bwd/" : "fwd/") + v.name + "/" +
                                   to_string(mode) + "/" + shape_name(s);
          auto* b = benchmark::RegisterBenchmark(
              name.c_str(), [s, mode, v, backward](benchmark::State& st) {
                run_bench(st, s, mode, v.fn, backward, v.device, v.threads);
              });
          // Wall time ranks the variants; process CPU time (all threads) shows the work done,
          // which is what to compare on a machine shared with other jobs.
          b->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
          if (v.iterations > 0) b->Iterations(v.iterations);
        }
      }
    }
  }
  std::printf("threads: %d, cuda: %s\n", cores, cuda ? "yes" : "no");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
