// Data-generation speed: labelled tokens per second (state labels, length 256, one thread)
// for group:S5 and a ~50-state regex DFA, both the raw sampler+labeler into preallocated
// int buffers and full Batch construction into tensors.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

#include "tasks/batch_source.h"
#include "tasks/sampler.h"
#include "tasks/task.h"

namespace {

using goose::tasks::Task;

constexpr int64_t kLength = 256;
constexpr int64_t kBatch = 64;
// Strings over {a,b} whose length or whose number of a's is a multiple of 7: the product of
// two counters, a 49-state minimal DFA with no dead state.
const char* kRegex50 = "regex:((a|b){7})*|((b*a){7})*b*";

const Task& task_for(int which) {
  static const Task s5 = goose::tasks::make_task("group:S5");
  static const Task regex = goose::tasks::make_task(kRegex50);
  return which == 0 ? s5 : regex;
}

void label(benchmark::State& state, const Task& task) {
  state.SetLabel(task.spec + " (" + std::to_string(task.dfa.num_states) + " states)");
  state.counters["states"] = task.dfa.num_states;
}

void BM_RawSampleLabel(benchmark::State& state) {
  const Task& task = task_for(static_cast<int>(state.range(0)));
  std::vector<int32_t> symbols(kLength), labels(kLength);
  goose::tasks::Rng rng(1);
  for (auto _ : state) {
    goose::tasks::sample_uniform_states<int32_t>(task.dfa, kLength, rng, symbols.data(), labels.data());
    benchmark::DoNotOptimize(labels.data());
    benchmark::ClobberMemory();
  }
  label(state, task);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kLength, benchmark::Counter::kIsRate);
}

void BM_BatchTensors(benchmark::State& state) {
  const Task& task = task_for(static_cast<int>(state.range(0)));
  const goose::tasks::TaskBatchSource source(task, goose::tasks::Objective::State);
  uint64_t seed = 0;
  for (auto _ : state) {
    goose::core::Batch batch = source.sample(kBatch, kLength, kLength, ++seed);
    benchmark::DoNotOptimize(batch.tokens.data_ptr<int64_t>());
  }
  label(state, task);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kBatch * kLength,
                                                  benchmark::Counter::kIsRate);
}

BENCHMARK(BM_RawSampleLabel)->Arg(0)->Arg(1);
BENCHMARK(BM_BatchTensors)->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(1);  // single-threaded figures
  const int states = task_for(1).dfa.num_states;
  std::printf("regex task %s: minimal DFA has %d states\n", kRegex50, states);
  if (states < 40 || states > 60) {
    std::fprintf(stderr, "bench_tasks: expected a ~50-state regex DFA, got %d states\n", states);
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
