// The batches a run trains on: fresh samples every step (a pure function of seed and step)
// or a fixed training set sampled once and served in a per-epoch shuffled order that
// depends only on (seed, epoch). Either way the batch of step s is fixed by the
// configuration, which is what makes a resumed run bit-identical.
// Exports TrainingData.
#pragma once
#include <cstdint>
#include <vector>

#include "core/batch.h"
#include "core/train.h"

namespace goose::core {

class TrainingData {
 public:
  TrainingData(const BatchSource& source, const TrainConfig& config);
  Batch batch(int64_t step);

 private:
  void shuffle(int64_t epoch);

  const BatchSource& source_;
  const TrainConfig& config_;
  bool fixed_ = false;
  torch::Tensor tokens_, targets_, lengths_;  // the fixed set, padded to one width
  int64_t steps_per_epoch_ = 1;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
};

}  // namespace goose::core
