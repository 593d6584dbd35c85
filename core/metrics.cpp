// Masked accuracies, scaled accuracy and per-length evaluation (REFERENCE.md §5).
#include "core/metrics.h"

#include <algorithm>

#include "core/device.h"

namespace goose::core {

double AccuracyCounts::token_accuracy() const {
  return labelled_tokens == 0 ? 0.0 : double(correct_tokens) / double(labelled_tokens);
}

double AccuracyCounts::sequence_accuracy() const {
  return sequences == 0 ? 0.0 : double(correct_sequences) / double(sequences);
}

AccuracyCounts& AccuracyCounts::operator+=(const AccuracyCounts& other) {
  correct_tokens += other.correct_tokens;
  labelled_tokens += other.labelled_tokens;
  correct_sequences += other.correct_sequences;
  sequences += other.sequences;
  return *this;
}

AccuracyCounts count_accuracy(const torch::Tensor& logits, const torch::Tensor& targets) {
  TORCH_CHECK(logits.dim() == 3 && targets.dim() == 2 && logits.size(0) == targets.size(0) &&
                  logits.size(1) == targets.size(1),
              "count_accuracy: logits (B,T,C) and targets (B,T) expected");
  const torch::Tensor predictions = logits.argmax(-1);
  const torch::Tensor labelled = targets.ne(kIgnoreIndex);
  const torch::Tensor correct = predictions.eq(targets).logical_and(labelled);
  const torch::Tensor labelled_per_seq = labelled.sum(1);
  const torch::Tensor correct_per_seq = correct.sum(1);
  const torch::Tensor has_labels = labelled_per_seq.gt(0);
  AccuracyCounts counts;
  counts.correct_tokens = correct.sum().item<int64_t>();
  counts.labelled_tokens = labelled.sum().item<int64_t>();
  counts.sequences = has_labels.sum().item<int64_t>();
  counts.correct_sequences =
      correct_per_seq.eq(labelled_per_seq).logical_and(has_labels).sum().item<int64_t>();
  return counts;
}

double scaled_accuracy(double accuracy, double chance) {
  if (chance >= 1.0) return 0.0;
  return (accuracy - chance) / (1.0 - chance);
}

nlohmann::json to_json(const LengthAccuracy& point) {
  nlohmann::json out;
  if (point.min_len == point.max_len) {
    out["length"] = point.min_len;
  } else {
    out["min_len"] = point.min_len;
    out["max_len"] = point.max_len;
  }
  out["count"] = point.count;
  out["token_acc"] = point.token_accuracy;
  out["seq_acc"] = point.sequence_accuracy;
  out["chance"] = point.chance;
  out["scaled_token_acc"] = point.scaled_token_accuracy;
  return out;
}

LengthAccuracy evaluate_range(SequenceModel& model, const BatchSource& source, int64_t min_len,
                              int64_t max_len, int64_t count, int64_t batch_size, uint64_t seed) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  AccuracyCounts counts;
  int64_t done = 0;
  for (uint64_t chunk = 0; done < count; ++chunk) {
    const int64_t size = std::min(batch_size, count - done);
    const Batch batch = to_device(source.sample(size, min_len, max_len, mix_seed(seed, chunk)), model.device());
    counts += count_accuracy(model.forward(batch.tokens), batch.targets);
    done += size;
  }
  model.train(was_training);
  LengthAccuracy point;
  point.min_len = min_len;
  point.max_len = max_len;
  point.count = count;
  point.token_accuracy = counts.token_accuracy();
  point.sequence_accuracy = counts.sequence_accuracy();
  point.chance = source.chance_accuracy(min_len, max_len);
  point.scaled_token_accuracy = scaled_accuracy(point.token_accuracy, point.chance);
  return point;
}

std::vector<LengthAccuracy> evaluate_lengths(SequenceModel& model, const BatchSource& source,
                                             const std::vector<int64_t>& lengths, int64_t count,
                                             int64_t batch_size, uint64_t seed) {
  std::vector<LengthAccuracy> points;
  for (const int64_t length : lengths) {
    points.push_back(evaluate_range(model, source, length, length, count, batch_size,
                                    mix_seed(seed, uint64_t(length))));
  }
  return points;
}

}  // namespace goose::core
