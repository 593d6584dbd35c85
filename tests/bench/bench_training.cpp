// Training throughput (tokens/s, one step exactly as core::train() runs it: loss, backward,
// clip, the trainer's AdamW) of every model at the shapes the experiments use: 2 layers, width
// 128, group:S5 at length 128, batch 8; RWKV-7 fused (kernel auto: the fused mixes, the default)
// and unfused around the CPU kernel, the plain reference kernel and the per-step LibTorch loop
// (kernel "loop", the no-kernel baseline); the diagonal SSM with the same three recurrences.
// tests/bench/bench_step.cpp profiles one step per operation and compares with PyTorch.
// Run: build/tests/bench_training [--benchmark_filter=rwkv7]   (threads: GOOSE_THREADS, default all cores)
// For these small models one intra-op thread is faster than several: measured rwkv7 cpu
// 82 ms/step with GOOSE_THREADS=1 against 149 ms with 2 (2-core machine), so compare with
// GOOSE_THREADS=1. Freed memory stays in the heap, as in gooselab (core/allocator.h).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <thread>

#include "core/allocator.h"
#include "core/model.h"
#include "core/optimizer.h"
#include "core/train.h"
#include "tasks/task.h"

namespace {

using goose::core::ModelConfig;

constexpr int64_t kLength = 128;
constexpr int64_t kBatch = 8;

void train_steps(benchmark::State& state, ModelConfig config) {
  const auto task = goose::tasks::make_task("group:S5");
  const auto source = goose::tasks::make_batch_source(task, goose::tasks::Objective::State);
  config.vocab_size = source->vocab_size();
  config.num_classes = source->num_classes();
  config.layers = 2;
  config.dim = 128;
  config.head_size = 32;
  auto model = goose::core::make_seeded_model(config, 1);
  goose::core::TrainConfig train;
  train.lr = 1e-3;
  auto optimizer = goose::core::make_optimizer(*model, train);
  optimizer->set_learning_rate(train.lr);
  const goose::core::Batch batch = source->sample(kBatch, kLength, kLength, 7);
  int64_t tokens = 0;
  for (auto _ : state) {
    optimizer->zero_grad();
    const torch::Tensor logits = model->forward(batch.tokens);
    const torch::Tensor loss = goose::core::training_loss(logits, batch.targets);
    loss.backward();
    optimizer->clip_and_step(train.clip);
    benchmark::DoNotOptimize(loss.item<float>());
    tokens += batch.tokens.numel();
  }
  state.counters["tokens/s"] = benchmark::Counter(double(tokens), benchmark::Counter::kIsRate);
  state.counters["params"] = double(model->num_parameters());
}

ModelConfig config_of(const std::string& arch, const std::string& kernel) {
  ModelConfig config;
  config.arch = arch;
  config.kernel = kernel;
  return config;
}

void BM_rwkv7_fused(benchmark::State& s) { train_steps(s, config_of("rwkv7", "auto")); }
void BM_rwkv7_cpu(benchmark::State& s) { train_steps(s, config_of("rwkv7", "cpu")); }
void BM_rwkv7_reference(benchmark::State& s) { train_steps(s, config_of("rwkv7", "reference")); }
void BM_rwkv7_loop(benchmark::State& s) { train_steps(s, config_of("rwkv7", "loop")); }
void BM_dssm_cpu(benchmark::State& s) { train_steps(s, config_of("dssm", "cpu")); }
void BM_dssm_reference(benchmark::State& s) { train_steps(s, config_of("dssm", "reference")); }
void BM_dssm_loop(benchmark::State& s) { train_steps(s, config_of("dssm", "loop")); }
void BM_transformer(benchmark::State& s) { train_steps(s, config_of("transformer", "auto")); }
void BM_lstm(benchmark::State& s) { train_steps(s, config_of("lstm", "auto")); }

BENCHMARK(BM_rwkv7_fused)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_rwkv7_cpu)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_rwkv7_reference)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_rwkv7_loop)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_dssm_cpu)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_dssm_reference)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_dssm_loop)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_transformer)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_lstm)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  goose::core::keep_freed_memory();  // as gooselab runs (core/allocator.h)
  const char* env = std::getenv("GOOSE_THREADS");
  const int threads = env ? std::atoi(env) : int(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(std::max(1, threads));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
