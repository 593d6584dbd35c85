// The BatchSource of a task and objective: per-sequence seeded generation (uniform strings
// for state labels, class-balanced strings with hard negatives for accept objectives),
// labelled and padded into core::Batch. Exports SampleKind, Example, TaskBatchSource.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
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
  std::vector<int32_t> symbols;  // symbol indices (token = 2 + symbol)
  std::vector<int64_t> labels;   // per symbol, kIgnoreIndex where unlabelled
  SampleKind kind = SampleKind::Uniform;
};

// Sequence i of sample(B, min, max, seed) depends only on (seed, i, min, max): its own
// xoshiro256** stream. Accept objectives: sequence i has class i mod C (binary: i even
// positive, i = 1 mod 4 uniform negative, i = 3 mod 4 hard negative, falling back to a
// uniform negative when no substitution is rejected); lengths are drawn among those in
// [min, max] where every class has a string (throws when there is none).
class TaskBatchSource : public core::BatchSource {
 public:
  TaskBatchSource(Task task, Objective objective);

  core::Batch sample(int64_t batch_size, int64_t min_len, int64_t max_len,
                     uint64_t seed) const override;
  int64_t vocab_size() const override { return 2 + task_.num_symbols(); }
  int64_t num_classes() const override;
  // State: 1/order for groups, otherwise the best constant guess's accuracy measured on
  // 512 fixed-seed sequences of lengths 1..64. Accept objectives: 1/classes (balanced).
  double chance_accuracy() const override { return chance_; }
  std::string describe() const override;

  // The same sequences as sample(), unpadded, with how each was drawn.
  std::vector<Example> examples(int64_t count, int64_t min_len, int64_t max_len, uint64_t seed) const;
  // Best-constant-guess accuracy over labelled positions, measured on `count` sequences.
  double measure_chance(int64_t count, int64_t min_len, int64_t max_len, uint64_t seed) const;
  const Task& task() const { return task_; }
  Objective objective() const { return objective_; }

 private:
  // Lengths in [min, max] usable by this objective; throws when none.
  std::vector<int64_t> usable_lengths(int64_t min_len, int64_t max_len) const;

  Task task_;
  Objective objective_;
  std::vector<std::unique_ptr<CountingSampler>> class_samplers_;  // accept objectives
  std::unique_ptr<CountingSampler> live_sampler_;                  // live_only state tasks
  bool binary_ = true;
  double chance_ = 0.5;
};

}  // namespace goose::tasks
