// Fresh or fixed training batches (see training_data.h).
#include "core/training_data.h"

#include <algorithm>
#include <random>

#include "core/seed.h"

namespace goose::core {

namespace {
// Independent random streams of one run, all derived from TrainConfig::seed (train.cpp
// holds the evaluation streams).
constexpr uint64_t kTrainStream = 0x7472616E;     // fresh batches, one per step
constexpr uint64_t kTrainSetStream = 0x74736574;  // the fixed training set
constexpr uint64_t kShuffleStream = 0x73687566;   // per-epoch order of the fixed set
}  // namespace

Batch fresh_batch(const BatchSource& source, const TrainConfig& c, int64_t step) {
  return source.sample(c.batch_size, c.train_min_len, c.train_max_len,
                       mix_seed(mix_seed(c.seed, kTrainStream), uint64_t(step)));
}

TrainingData::TrainingData(const BatchSource& source, const TrainConfig& config)
    : source_(source), config_(config), fixed_(config.train_size > 0) {
  if (!fixed_) return;
  const int64_t width = config.train_max_len + 1;
  std::vector<torch::Tensor> tokens, targets, lengths;
  int64_t done = 0;
  for (uint64_t chunk = 0; done < config.train_size; ++chunk) {
    const int64_t size = std::min(config.batch_size, config.train_size - done);
    Batch batch = source.sample(size, config.train_min_len, config.train_max_len,
                                mix_seed(mix_seed(config.seed, kTrainSetStream), chunk));
    const int64_t pad = width - batch.tokens.size(1);
    tokens.push_back(torch::constant_pad_nd(batch.tokens, {0, pad}, kPadToken));
    targets.push_back(torch::constant_pad_nd(batch.targets, {0, pad}, kIgnoreIndex));
    lengths.push_back(batch.lengths);
    done += size;
  }
  tokens_ = torch::cat(tokens);
  targets_ = torch::cat(targets);
  lengths_ = torch::cat(lengths);
  steps_per_epoch_ = std::max<int64_t>(1, config.train_size / config.batch_size);
}

Batch TrainingData::batch(int64_t step) {
  if (!fixed_) return fresh_batch(source_, config_, step);
  const int64_t epoch = step / steps_per_epoch_;
  if (epoch != epoch_) shuffle(epoch);
  const int64_t first = (step % steps_per_epoch_) * config_.batch_size;
  const int64_t count = std::min(config_.batch_size, config_.train_size - first);
  const torch::Tensor index = torch::from_blob(order_.data() + first, {count}, torch::kInt64).clone();
  Batch out;
  out.lengths = lengths_.index_select(0, index);
  const int64_t width = out.lengths.max().item<int64_t>() + 1;
  out.tokens = tokens_.index_select(0, index).narrow(1, 0, width).contiguous();
  out.targets = targets_.index_select(0, index).narrow(1, 0, width).contiguous();
  return out;
}

void TrainingData::shuffle(int64_t epoch) {
  order_.resize(config_.train_size);
  for (int64_t i = 0; i < config_.train_size; ++i) order_[i] = i;
  // Fisher-Yates by hand: std::shuffle's algorithm differs between standard libraries.
  std::mt19937_64 rng(mix_seed(mix_seed(config_.seed, kShuffleStream), uint64_t(epoch)));
  for (int64_t i = config_.train_size - 1; i > 0; --i) {
    const int64_t j = int64_t(rng() % uint64_t(i + 1));
    std::swap(order_[i], order_[j]);
  }
  epoch_ = epoch;
}

}  // namespace goose::core
