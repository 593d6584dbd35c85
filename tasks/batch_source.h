// The BatchSource of a task and objective: per-sequence seeded generation (uniform strings
// for state labels, class-balanced strings with hard negatives for accept objectives),
// labelled and padded into core::Batch, and the data's true chance level.
// Exports SampleKind, Example, TaskBatchSource.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/batch.h"
#include "tasks/chance.h"
#include "tasks/sampler.h"
#include "tasks/task.h"

namespace goose::tasks {

// How a sequence was drawn: uniform (state objective, all strings), live (state objective,
// strings that never enter the dead state), positive / negative (uniform among accepted /
// rejected), hard-negative (one substitution of a positive), class (uniform in one label
// class of a multi-class task such as mod-arith).
enum class SampleKind { Uniform, Live, Positive, Negative, HardNegative, Class };
std::string to_string(SampleKind kind);

struct Example {
  std::vector<int32_t> symbols;  // symbol indices (token = core::kFirstSymbolToken + symbol)
  std::vector<int64_t> labels;   // per symbol, kIgnoreIndex where unlabelled
  SampleKind kind = SampleKind::Uniform;
};

// Sequence i of sample(B, min, max, seed) depends only on (seed, i, min, max): its own
// xoshiro256** stream, seeded with core::mix_seed(seed, i). Accept objectives: sequence i has
// class i mod C (binary: i even positive, i = 1 mod 4 uniform negative, i = 3 mod 4 hard
// negative, falling back to a uniform negative when no substitution is rejected); lengths are
// drawn among those in [min, max] where every class has a string (throws when there is none).
class TaskBatchSource : public core::BatchSource {
 public:
  // Throws std::invalid_argument for a task without input symbols.
  TaskBatchSource(Task task, Objective objective);

  core::Batch sample(int64_t batch_size, int64_t min_len, int64_t max_len,
                     uint64_t seed) const override;
  int64_t vocab_size() const override { return core::kFirstSymbolToken + task_.num_symbols(); }
  int64_t num_classes() const override;
  // The expected token accuracy, over labelled positions of sequences drawn as sample() draws
  // them, of the best guess that knows only the position and the length:
  // sum over lengths n and positions t of max_label P(label at t | n), divided by the expected
  // number of labelled positions (lengths weighted as sample() draws them). Exact for the
  // state objective (uniform strings: tasks/chance.h's propagation with its steady-state
  // tail; live strings: the counting sampler's own chain), for accept-final (1 / classes: the
  // classes are balanced) and for accept on multi-class tasks (the chain per class). accept on
  // accept/reject tasks: positives and uniform negatives exact, the hard-negative quarter a
  // Monte-Carlo estimate per (length, position): N = clamp(2^21 / n, 256, 4096) hard
  // negatives of length n drawn with seed core::mix_seed(kChanceSeed, n), so the hard
  // quarter's share of P(label at t) has a standard error <= 0.25 * 0.5 / sqrt(N) <= 0.008.
  // Mixture weights are the batch fractions sample() gives a batch whose size is a multiple
  // of 4 (binary) or of the class count. Cached per length (thread-safe); cost per new length
  // O(n * states * symbols * kinds) (hard negatives: O(N * n * (states + symbols))); uniform
  // strings: O(1) per length once the steady state is found.
  double chance_accuracy(int64_t min_len, int64_t max_len) const override;
  std::string describe() const override;

  // The same sequences as sample(), unpadded, with how each was drawn.
  std::vector<Example> examples(int64_t count, int64_t min_len, int64_t max_len, uint64_t seed) const;
  const Task& task() const { return task_; }
  Objective objective() const { return objective_; }

  static constexpr uint64_t kChanceSeed = 0x5EED0C4A4CEull;

 private:
  // Expected correct guesses and labelled positions of one sequence of length n.
  struct ChanceSums {
    double correct = 0;
    double labelled = 0;
  };
  ChanceSums length_chance(int64_t n) const;  // caller holds chance_mutex_
  // Lengths in [min, max] usable by this objective; throws when none.
  std::vector<int64_t> usable_lengths(int64_t min_len, int64_t max_len) const;

  Task task_;
  Objective objective_;
  std::vector<std::unique_ptr<CountingSampler>> class_samplers_;  // accept objectives
  std::unique_ptr<CountingSampler> live_sampler_;                  // live_only state tasks
  std::unique_ptr<UniformStateChance> uniform_chance_;             // state objective
  bool binary_ = true;
  mutable std::mutex chance_mutex_;
  mutable std::map<int64_t, ChanceSums> chance_cache_;
};

}  // namespace goose::tasks
