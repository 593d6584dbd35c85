// One training step (forward, loss, backward, clip, AdamW) per model at one shape, one thread:
// its time per phase, a per-operation profile, and its useful FLOP rate against the matmul rate
// OpenBLAS reaches on exactly the step's own GEMM shapes; for RWKV-7 also the same model in plain
// PyTorch eager (tests/bench/pytorch_rwkv7.py), run by this program, in the same report.
//
// Run: build/tests/bench_step [--models rwkv7,transformer,dssm,lstm] [--layers 1] [--dim 64]
//        [--head-size 16] [--batch 64] [--length 32] [--kernel auto] [--optimizer auto|fused|torch]
//        [--seconds 2] [--rounds 3]
//        [--no-profile] [--no-pytorch] [--python /usr/bin/python3] [--glibc-heap]
//
// Definitions (printed with the figures):
//  * step time: the best of --rounds rounds, each the mean over >= --seconds of steps, exactly
//    as core::train() runs them (zero_grad, forward, cross-entropy, backward, clip 1.0, AdamW);
//    batch from the task (default group:S5@transpositions, state labels), (batch, length)
//    tokens with the beginning token; tokens/s counts every position.
//  * each round also replays the GEMMs and (RWKV-7) runs the PyTorch script for one round, so
//    the three figures come from the same minutes; every figure is its best round.
//  * GEMMs of the step: every aten::mm / addmm(_) / bmm / baddbmm(_) one step calls (captured with
//    LibTorch's RecordFunction observer, shapes and transposition included), 2·m·n·k FLOPs each.
//  * matmul rate at the model's shapes: those GEMMs replayed alone, each timed in a loop on
//    one thread (operands in cache, the most favourable case): sum of FLOPs / sum of times.
//  * useful work: the GEMM FLOPs plus the recurrence's (RWKV-7: 28·N² per token and head for
//    WKV forward + backward, as bench_wkv7 counts it; the other models: GEMMs only).
//  * ratio = (useful FLOPs / step time) / matmul rate.
//  * per-operation profile: self time (thread CPU time, so that other processes on the shared
//    machine do not inflate it) per op name and phase, from the RecordFunction observer (which
//    costs about 1 µs per op: the profiled step is slower than the timed one).
//  * heap: this program keeps freed memory in the heap, as gooselab does (core/allocator.h),
//    and runs the PyTorch script under the same policy (the same MALLOC_* thresholds), so the
//    comparison stays like for like; --glibc-heap runs both under glibc's default policy.
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/model.h"
#include "core/optimizer.h"
#include "core/threads.h"
#include "core/train.h"
#include "tasks/task.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the calling thread: what the step cost, excluding the time the shared machine
// gave to other processes (every op runs on this thread: one intra-op thread, OpenBLAS capped
// at one thread below).
double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// OpenBLAS (Debian's libopenblas0-pthread) runs a GEMM above 2^18 multiply-adds on all cores
// whatever LibTorch's thread count; the benchmark is one thread per run, so it caps OpenBLAS
// at one thread when the library is the one loaded.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" int openblas_get_num_threads() __attribute__((weak));

struct Options {
  std::vector<std::string> models = {"rwkv7", "transformer", "dssm", "lstm"};
  int64_t layers = 1, dim = 64, head_size = 16, batch = 64, length = 32;
  std::string kernel = "auto";
  std::string optimizer = "auto";  // auto | fused | torch (core/optimizer.h)
  std::string task = "group:S5@transpositions";
  double seconds = 2.0;
  int rounds = 3;
  bool profile = true, pytorch = true, keep_heap = true;
  std::string python = "/usr/bin/python3";
};

// ---- the observer: per-op self time per phase, and the GEMMs of one step ------------------

enum Phase { kForward, kBackward, kOptimizer, kPhases };
const char* const kPhaseNames[kPhases] = {"forward", "backward", "optimiser"};

struct OpStats {
  int64_t calls = 0;
  double self_seconds = 0;
};

struct GemmCall {
  std::string op;  // aten::mm | aten::addmm(_) | aten::bmm | aten::baddbmm(_)
  std::vector<std::vector<int64_t>> sizes, strides;  // of the two multiplied operands
  std::string key() const {
    std::ostringstream s;
    s << op;
    for (size_t i = 0; i < sizes.size(); ++i) {
      s << " (";
      for (size_t j = 0; j < sizes[i].size(); ++j) s << (j ? "x" : "") << sizes[i][j];
      s << (strides[i].back() != 1 ? ")T" : ")");
    }
    return s.str();
  }
  double flops() const {
    const auto& a = sizes[0];
    const auto& b = sizes[1];
    if (a.size() == 3) return 2.0 * a[0] * a[1] * a[2] * b[2];
    return 2.0 * a[0] * a[1] * b[1];
  }
};

struct Observer {
  Phase phase = kForward;
  bool capture_gemms = false;
  std::map<std::string, OpStats> stats[kPhases];
  std::vector<GemmCall> gemms;
  struct Frame {
    double start;  // thread CPU seconds
    double children = 0;
  };
  std::vector<Frame> stack;  // the step runs on one thread (autograd runs CPU work on the caller)
};
Observer* g_observer = nullptr;

bool is_gemm(const std::string& name) {
  return name == "aten::mm" || name == "aten::addmm" || name == "aten::addmm_" ||
         name == "aten::bmm" || name == "aten::baddbmm" || name == "aten::baddbmm_";
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  Observer* o = g_observer;
  if (!o) return nullptr;
  o->stack.push_back({thread_cpu_seconds(), 0.0});
  if (o->capture_gemms && is_gemm(fn.name())) {
    GemmCall call;
    call.op = fn.name();
    std::vector<at::Tensor> tensors;
    for (const auto& v : fn.inputs())
      if (v.isTensor()) tensors.push_back(v.toTensor());
    // mm(a, b), bmm(a, b): the first two tensors; addmm(c, a, b), baddbmm(c, a, b) and their
    // in-place forms: the 2nd and 3rd.
    const size_t first = call.op.find("add") != std::string::npos ? 1 : 0;
    if (tensors.size() >= first + 2) {
      for (size_t i = first; i < first + 2; ++i) {
        call.sizes.push_back(tensors[i].sizes().vec());
        call.strides.push_back(tensors[i].strides().vec());
      }
      o->gemms.push_back(call);
    }
  }
  return nullptr;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext*) {
  Observer* o = g_observer;
  if (!o || o->stack.empty()) return;
  const Observer::Frame frame = o->stack.back();
  o->stack.pop_back();
  const double inclusive = thread_cpu_seconds() - frame.start;
  if (!o->stack.empty()) o->stack.back().children += inclusive;
  OpStats& s = o->stats[o->phase][fn.name()];
  ++s.calls;
  s.self_seconds += inclusive - frame.children;
}

// ---- one model ---------------------------------------------------------------------------

struct Setup {
  std::shared_ptr<goose::core::SequenceModel> model;
  std::unique_ptr<goose::core::TrainOptimizer> optimizer;
  goose::core::Batch batch;
  goose::core::TrainConfig train;
};

Setup make_setup(const Options& opt, const std::string& arch) {
  const auto task = goose::tasks::make_task(opt.task);
  const auto source = goose::tasks::make_batch_source(task, goose::tasks::Objective::State);
  goose::core::ModelConfig config;
  config.arch = arch;
  config.vocab_size = source->vocab_size();
  config.num_classes = source->num_classes();
  config.layers = opt.layers;
  config.dim = opt.dim;
  config.head_size = opt.head_size;
  config.kernel = opt.kernel;
  Setup s;
  s.model = goose::core::make_seeded_model(config, 1);
  // Symbols per sequence = length - 1: with the beginning token the batch is (batch, length).
  s.batch = source->sample(opt.batch, opt.length - 1, opt.length - 1, 7);
  s.train.lr = 1e-3;
  using goose::core::OptimizerImpl;
  s.optimizer = goose::core::make_optimizer(
      *s.model, s.train,
      opt.optimizer == "torch" ? OptimizerImpl::Torch
      : opt.optimizer == "fused" ? OptimizerImpl::Fused : OptimizerImpl::Auto);
  s.optimizer->set_learning_rate(1e-3);
  return s;
}

struct PhaseTimes {
  double forward = 0, backward = 0, optimizer = 0;
  double cpu = 0;  // thread CPU time of the whole step
  double total() const { return forward + backward + optimizer; }
};

// One step as core::train() runs it; returns the phase times.
PhaseTimes run_step(Setup& s, Observer* observer) {
  PhaseTimes t;
  const double cpu0 = thread_cpu_seconds();
  auto t0 = Clock::now();
  if (observer) observer->phase = kForward;
  s.optimizer->zero_grad();
  const torch::Tensor logits = s.model->forward(s.batch.tokens);
  const torch::Tensor loss = goose::core::training_loss(logits, s.batch.targets);
  loss.item<float>();
  t.forward = seconds_since(t0);
  t0 = Clock::now();
  if (observer) observer->phase = kBackward;
  loss.backward();
  t.backward = seconds_since(t0);
  t0 = Clock::now();
  if (observer) observer->phase = kOptimizer;
  s.optimizer->clip_and_step(s.train.clip);
  t.optimizer = seconds_since(t0);
  t.cpu = thread_cpu_seconds() - cpu0;
  return t;
}

// One round: the mean phase times over >= `seconds` of steps (at least 3).
PhaseTimes time_round(Setup& s, double seconds) {
  PhaseTimes sum;
  int64_t n = 0;
  const auto start = Clock::now();
  while (n < 3 || seconds_since(start) < seconds) {
    const PhaseTimes t = run_step(s, nullptr);
    sum.forward += t.forward, sum.backward += t.backward, sum.optimizer += t.optimizer;
    sum.cpu += t.cpu;
    ++n;
  }
  sum.forward /= n, sum.backward /= n, sum.optimizer /= n, sum.cpu /= n;
  return sum;
}

// The step's GEMMs, grouped by shape and layout, each replayed alone on fresh operands of the
// same layout (a transposed view where the captured operand was one).
struct GemmReplay {
  struct Entry {
    GemmCall call;
    int64_t count = 0;
    double best_seconds = 1e30;  // per call, best over the rounds
    double best_cpu = 1e30;      // the same in thread CPU time
  };
  std::map<std::string, Entry> entries;

  explicit GemmReplay(const std::vector<GemmCall>& calls) {
    for (const auto& c : calls) {
      auto& e = entries[c.key()];
      e.call = c;
      ++e.count;
    }
  }

  static torch::Tensor operand(const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
    if (stride.back() == 1) return torch::randn(size);
    if (size.size() == 3) return torch::randn({size[0], size[2], size[1]}).transpose(1, 2);
    return torch::randn({size[1], size[0]}).t();
  }

  // Times every GEMM (>= 20 calls and >= 30 ms each) and keeps the best per-call time.
  void round() {
    for (auto& [key, e] : entries) {
      const GemmCall& c = e.call;
      auto a = operand(c.sizes[0], c.strides[0]), b = operand(c.sizes[1], c.strides[1]);
      const bool batched = c.sizes[0].size() == 3;
      auto out = batched ? torch::empty({c.sizes[0][0], c.sizes[0][1], c.sizes[1][2]})
                         : torch::empty({c.sizes[0][0], c.sizes[1][1]});
      for (int i = 0; i < 3; ++i) batched ? at::bmm_out(out, a, b) : at::mm_out(out, a, b);
      int64_t n = 0;
      const auto start = Clock::now();
      const double cpu0 = thread_cpu_seconds();
      while (n < 20 || seconds_since(start) < 0.03) {
        batched ? at::bmm_out(out, a, b) : at::mm_out(out, a, b);
        ++n;
      }
      e.best_seconds = std::min(e.best_seconds, seconds_since(start) / n);
      e.best_cpu = std::min(e.best_cpu, (thread_cpu_seconds() - cpu0) / n);
    }
  }

  double flops() const {
    double f = 0;
    for (const auto& [key, e] : entries) f += e.call.flops() * e.count;
    return f;
  }
  double seconds() const {
    double t = 0;
    for (const auto& [key, e] : entries) t += e.best_seconds * e.count;
    return t;
  }
  double cpu_seconds() const {
    double t = 0;
    for (const auto& [key, e] : entries) t += e.best_cpu * e.count;
    return t;
  }
  void print() const {
    std::printf("  %-44s %6s %10s %9s\n", "GEMM (operands; T = transposed)", "calls", "us/call", "GFLOP/s");
    for (const auto& [key, e] : entries)
      std::printf("  %-44s %6lld %10.1f %9.1f\n", key.c_str(), (long long)e.count,
                  e.best_seconds * 1e6, e.call.flops() / e.best_seconds * 1e-9);
  }
};

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// The CPU's model name, family and model, and the vector width this program was compiled for:
// the same code runs at very different ratios on AVX2 and AVX-512 machines, and on Zen 4 and Zen
// 5, whose virtual machines here both call themselves "AMD EPYC" (family 25 is Zen 3 and 4, 26 is
// Zen 5), so a report names which it came from.
std::string machine() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name = "unknown CPU", family, model;
  auto value = [&] {
    const size_t colon = line.find(": ");
    return colon == std::string::npos ? std::string() : line.substr(colon + 2);
  };
  while (std::getline(in, line) && !line.empty()) {  // the first processor's block
    if (line.rfind("model name", 0) == 0)
      name = value();
    else if (line.rfind("cpu family", 0) == 0)
      family = value();
    else if (line.rfind("model", 0) == 0)
      model = value();
  }
  if (!family.empty() && !model.empty()) name += " (family " + family + ", model " + model + ")";
#if defined(__AVX512F__)
  const char* isa = ", compiled for AVX-512";
#elif defined(__AVX2__)
  const char* isa = ", compiled for AVX2";
#else
  const char* isa = ", compiled without AVX2";
#endif
  // The PyTorch script inherits OPENBLAS_CORETYPE, so both sides multiply with the same kernels.
  const std::string blas = goose::core::blas_core_name();
  return name + isa + (blas.empty() ? ", no OpenBLAS" : ", OpenBLAS " + blas + " kernels") +
         ", heap: " + goose::core::heap_policy();
}

struct ModelReport {
  double step_seconds = 0, tokens_per_second = 0, ratio = 0;
  double step_cpu = 0, ratio_cpu = 0;    // the same in thread CPU time
  double pytorch_tokens_per_second = 0;  // rwkv7 with the PyTorch comparison, else 0
  double pytorch_cpu_per_step = 0;       // its thread CPU seconds per step
};

struct PytorchRound {
  double tokens_per_second = 0, cpu_per_step = 0;
};

// Runs tests/bench/pytorch_rwkv7.py for one round with the same shape, OpenBLAS at one thread
// as here; returns its tokens/s and CPU seconds per step (0 on failure).
PytorchRound run_pytorch(const Options& opt, const goose::core::ModelConfig& config) {
  std::ostringstream cmd;
  // The same heap policy as this process (core/allocator.h); an environment's own is inherited.
  if (goose::core::heap_kept())
    cmd << goose::core::heap_policy_environment() << " ";
  cmd << "OPENBLAS_NUM_THREADS=1 " << opt.python << " " << GOOSE_SOURCE_DIR << "/tests/bench/pytorch_rwkv7.py --layers "
      << opt.layers << " --dim " << opt.dim << " --head-size " << opt.head_size << " --batch "
      << opt.batch << " --length " << opt.length << " --vocab " << config.vocab_size
      << " --classes " << config.num_classes << " --seconds " << opt.seconds
      << " --rounds 1 2>&1";
  std::printf("  $ %s\n", cmd.str().c_str());
  std::fflush(stdout);
  FILE* pipe = popen(cmd.str().c_str(), "r");
  PytorchRound round;
  if (!pipe) return round;
  std::array<char, 512> line;
  while (fgets(line.data(), line.size(), pipe)) {
    std::printf("    %s", line.data());
    double v = 0;
    if (std::sscanf(line.data(), "TOKENS_PER_SECOND %lf", &v) == 1) round.tokens_per_second = v;
    if (std::sscanf(line.data(), "CPU_SECONDS_PER_STEP %lf", &v) == 1) round.cpu_per_step = v;
  }
  const int rc = pclose(pipe);
  if (rc != 0) std::printf("    (the script exited with status %d)\n", rc);
  return round;
}

void print_profile(const Observer& observer, int steps, double seconds_per_step) {
  std::printf("per-operation profile (self thread CPU time; observer on: %.2f ms CPU per step; %d steps averaged):\n",
              seconds_per_step * 1e3, steps);
  for (int p = 0; p < kPhases; ++p) {
    std::vector<std::pair<std::string, OpStats>> rows(observer.stats[p].begin(),
                                                       observer.stats[p].end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.self_seconds > b.second.self_seconds; });
    double total = 0;
    int64_t calls = 0;
    for (const auto& r : rows) total += r.second.self_seconds, calls += r.second.calls;
    std::printf("  %s: %.2f ms, %lld op calls per step\n", kPhaseNames[p], total / steps * 1e3,
                (long long)(calls / steps));
    double shown = 0;
    for (const auto& [name, st] : rows) {
      if (shown > 0.97 * total && st.self_seconds < 0.01 * total) break;
      shown += st.self_seconds;
      std::printf("    %-52s %5lld calls %8.3f ms %5.1f%%\n", name.c_str(),
                  (long long)(st.calls / steps), st.self_seconds / steps * 1e3,
                  100.0 * st.self_seconds / total);
    }
  }
}

// Rounds of: steps for >= --seconds, the step's GEMMs replayed alone, and (RWKV-7) one round of
// the PyTorch script; each figure is the best over the rounds, so that a busy moment of the
// shared machine does not decide a ratio.
ModelReport bench_model(const Options& opt, const std::string& arch) {
  Setup s = make_setup(opt, arch);
  const int64_t tokens = s.batch.tokens.numel();
  std::printf("\n== %s: %lld layer(s), width %lld, head size %lld, batch %lld, length %lld, kernel %s, %s AdamW, %lld parameters ==\n",
              arch.c_str(), (long long)opt.layers, (long long)opt.dim, (long long)opt.head_size,
              (long long)opt.batch, (long long)opt.length, opt.kernel.c_str(),
              s.optimizer->fused() ? "fused" : "torch", (long long)s.model->num_parameters());

  // The GEMMs of one step and the per-op profile (the observer on), after warm-up steps.
  Observer observer;
  for (int i = 0; i < 3; ++i) run_step(s, nullptr);
  g_observer = &observer;
  observer.capture_gemms = true;
  {
    auto handle = at::addGlobalCallback(
        at::RecordFunctionCallback(on_start, on_end).needsInputs(true));
    run_step(s, &observer);
    at::removeCallback(handle);
  }
  observer.capture_gemms = false;
  g_observer = nullptr;

  GemmReplay replay(observer.gemms);
  const bool pytorch = opt.pytorch && arch == "rwkv7";
  PhaseTimes best;
  double best_cpu = 1e30;
  PytorchRound best_pytorch;
  best_pytorch.cpu_per_step = 1e30;
  for (int r = 0; r < opt.rounds; ++r) {
    const PhaseTimes t = time_round(s, opt.seconds);
    replay.round();
    std::printf("round %d: step %.2f ms (CPU %.2f ms), GEMMs alone %.2f ms (CPU %.2f ms), load average %s\n",
                r + 1, t.total() * 1e3, t.cpu * 1e3, replay.seconds() * 1e3,
                replay.cpu_seconds() * 1e3, load_average().c_str());
    if (r == 0 || t.total() < best.total()) best = t;
    best_cpu = std::min(best_cpu, t.cpu);
    if (pytorch) {
      const PytorchRound p = run_pytorch(opt, s.model->config());
      best_pytorch.tokens_per_second = std::max(best_pytorch.tokens_per_second, p.tokens_per_second);
      if (p.cpu_per_step > 0) best_pytorch.cpu_per_step = std::min(best_pytorch.cpu_per_step, p.cpu_per_step);
    }
  }
  // The per-op profile comes after the timed rounds: taken three steps after start-up it showed
  // 34 ms of CPU per step against 18-26 ms here after the rounds (the timed step: 15-17 ms;
  // AVX-512 machine, 2026-12-07), the extra time landing in the fused backward kernels.
  for (auto& m : observer.stats) m.clear();
  const int profiled_steps = 5;
  double profiled_seconds = 0;
  if (opt.profile) {
    g_observer = &observer;
    auto handle = at::addGlobalCallback(at::RecordFunctionCallback(on_start, on_end));
    const double start = thread_cpu_seconds();
    for (int i = 0; i < profiled_steps; ++i) run_step(s, &observer);
    profiled_seconds = (thread_cpu_seconds() - start) / profiled_steps;
    at::removeCallback(handle);
    g_observer = nullptr;
  }
  const double step = best.total();
  std::printf("step (best round): %.2f ms (forward + loss %.2f, backward %.2f, clip + AdamW %.2f), %.0f tokens/s\n",
              step * 1e3, best.forward * 1e3, best.backward * 1e3, best.optimizer * 1e3, tokens / step);
  std::printf("GEMMs of one step, replayed alone (one thread, best round):\n");
  replay.print();
  const double gemm_flops = replay.flops(), gemm_seconds = replay.seconds();
  const double matmul_rate = gemm_flops / gemm_seconds;
  double recurrence_flops = 0;
  if (arch == "rwkv7")
    recurrence_flops = 28.0 * opt.head_size * opt.head_size * (opt.dim / opt.head_size) *
                       double(tokens) * opt.layers;
  const double useful = gemm_flops + recurrence_flops;
  const double step_rate = useful / step;
  ModelReport report;
  report.step_seconds = step;
  report.tokens_per_second = tokens / step;
  report.ratio = step_rate / matmul_rate;
  report.step_cpu = best_cpu;
  report.ratio_cpu = (useful / best_cpu) / (gemm_flops / replay.cpu_seconds());
  report.pytorch_tokens_per_second = best_pytorch.tokens_per_second;
  report.pytorch_cpu_per_step = best_pytorch.cpu_per_step < 1e30 ? best_pytorch.cpu_per_step : 0;
  std::printf("GEMMs: %.1f MFLOP in %.2f ms alone = %.1f GFLOP/s (the matmul rate at this model's shapes)\n",
              gemm_flops * 1e-6, gemm_seconds * 1e3, matmul_rate * 1e-9);
  std::printf("useful work: %.1f MFLOP (GEMMs %.1f + recurrence %.1f) per step = %.1f GFLOP/s\n",
              useful * 1e-6, gemm_flops * 1e-6, recurrence_flops * 1e-6, step_rate * 1e-9);
  std::printf("RATIO %s: step at %.1f%% of the matmul rate at its own shapes (the GEMMs alone take %.0f%% of the step time); in thread CPU time %.1f%%\n",
              arch.c_str(), 100.0 * report.ratio, 100.0 * gemm_seconds / step, 100.0 * report.ratio_cpu);
  if (opt.profile) print_profile(observer, profiled_steps, profiled_seconds);
  return report;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--models") opt.models = split(next());
    else if (a == "--layers") opt.layers = std::stoll(next());
    else if (a == "--dim") opt.dim = std::stoll(next());
    else if (a == "--head-size") opt.head_size = std::stoll(next());
    else if (a == "--batch") opt.batch = std::stoll(next());
    else if (a == "--length") opt.length = std::stoll(next());
    else if (a == "--kernel") opt.kernel = next();
    else if (a == "--task") opt.task = next();
    else if (a == "--optimizer") opt.optimizer = next();
    else if (a == "--seconds") opt.seconds = std::stod(next());
    else if (a == "--rounds") opt.rounds = std::stoi(next());
    else if (a == "--no-profile") opt.profile = false;
    else if (a == "--no-pytorch") opt.pytorch = false;
    else if (a == "--python") opt.python = next();
    else if (a == "--glibc-heap") opt.keep_heap = false;
    else {
      std::fprintf(stderr, "error: unknown option %s (see the comment at the top of tests/bench/bench_step.cpp)\n", a.c_str());
      return 2;
    }
  }
  if (opt.keep_heap) goose::core::keep_freed_memory();
  torch::set_num_threads(1);
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  std::printf("bench_step: one thread (torch::set_num_threads(1); OpenBLAS threads: %d), LibTorch %s, task %s\n",
              openblas_get_num_threads ? openblas_get_num_threads() : -1, TORCH_VERSION,
              opt.task.c_str());
  std::map<std::string, ModelReport> reports;
  for (const auto& arch : opt.models) reports[arch] = bench_model(opt, arch);

  std::printf("\n== summary: %lld layer(s), width %lld, batch %lld, length %lld, kernel %s, optimiser %s; %s; load average now %s ==\n",
              (long long)opt.layers, (long long)opt.dim, (long long)opt.batch, (long long)opt.length,
              opt.kernel.c_str(), opt.optimizer.c_str(), machine().c_str(), load_average().c_str());
  for (const auto& [arch, r] : reports)
    std::printf("%-12s %8.2f ms/step (CPU %.2f ms) %9.0f tokens/s   %5.1f%% of the matmul rate at its shapes (CPU time: %.1f%%)\n",
                arch.c_str(), r.step_seconds * 1e3, r.step_cpu * 1e3, r.tokens_per_second,
                100.0 * r.ratio, 100.0 * r.ratio_cpu);
  if (reports.count("rwkv7")) {
    const auto& ours = reports["rwkv7"];
    std::printf("RATIO matmul: RWKV-7 training step at %.1f%% of the single-core matmul rate at the model's own shapes (target >= 50%%)\n",
                100.0 * ours.ratio);
    if (ours.pytorch_tokens_per_second > 0) {
      std::printf("RATIO pytorch: gooselab %.0f tokens/s, PyTorch eager %.0f tokens/s: %.2fx (target >= 5x)\n",
                  ours.tokens_per_second, ours.pytorch_tokens_per_second,
                  ours.tokens_per_second / ours.pytorch_tokens_per_second);
      if (ours.pytorch_cpu_per_step > 0)
        std::printf("RATIO pytorch (thread CPU time per step): %.2f ms against %.2f ms: %.2fx\n",
                    ours.step_cpu * 1e3, ours.pytorch_cpu_per_step * 1e3,
                    ours.pytorch_cpu_per_step / ours.step_cpu);
    }
    else if (opt.pytorch)
      std::printf("RATIO pytorch: not measured (the PyTorch script did not report tokens/s)\n");
  }
  return 0;
}
