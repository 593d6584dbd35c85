// Masked accuracies, scaled accuracy and per-length evaluation (REFERENCE.md §5).
#include "core/metrics.h"

#include <algorithm>
#include <stdexcept>
#include <string>

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
  return count_per_sequence(logits, targets).totals();
}

SequenceCounts count_per_sequence(const torch::Tensor& logits, const torch::Tensor& targets) {
  TORCH_CHECK(logits.dim() == 3 && targets.dim() == 2 && logits.size(0) == targets.size(0) &&
                  logits.size(1) == targets.size(1),
              "count_accuracy: logits (B,T,C) and targets (B,T) expected");
  const torch::Tensor predictions = logits.argmax(-1);
  const torch::Tensor labelled = targets.ne(kIgnoreIndex);
  const torch::Tensor correct = predictions.eq(targets).logical_and(labelled);
  return {correct.sum(1).to(torch::kInt64), labelled.sum(1).to(torch::kInt64)};
}

SequenceCounts& SequenceCounts::operator+=(const SequenceCounts& other) {
  if (!correct.defined()) return *this = other;
  correct = correct + other.correct;
  labelled = labelled + other.labelled;
  return *this;
}

AccuracyCounts SequenceCounts::totals() const {
  AccuracyCounts counts;
  if (!correct.defined()) return counts;
  const torch::Tensor has_labels = labelled.gt(0);
  counts.correct_tokens = correct.sum().item<int64_t>();
  counts.labelled_tokens = labelled.sum().item<int64_t>();
  counts.sequences = has_labels.sum().item<int64_t>();
  counts.correct_sequences = correct.eq(labelled).logical_and(has_labels).sum().item<int64_t>();
  return counts;
}

int64_t eval_chunk_positions(int64_t chunk, int64_t batch_size) {
  if (chunk < 0) throw std::invalid_argument("evaluation chunk must be >= 0 (0 = automatic), got " + std::to_string(chunk));
  if (chunk > 0) return chunk;
  return std::max<int64_t>(64, kEvalPositions / std::max<int64_t>(1, batch_size));
}

SequenceCounts evaluate_batch(SequenceModel& model, const Batch& batch, int64_t chunk) {
  const int64_t B = batch.tokens.size(0), T = batch.tokens.size(1);
  if (!model.has_step()) {
    if (T > kMaxWholeSequence)
      throw std::invalid_argument("model '" + model.config().arch + "' cannot evaluate " + std::to_string(T) +
                                  " positions: it has no recurrent state to evaluate in chunks, and its attention "
                                  "grows with the square of the length (at most " +
                                  std::to_string(kMaxWholeSequence) + " positions, BOS included)");
    const int64_t rows = std::max<int64_t>(1, kEvalAttentionEntries / (T * T));
    if (B <= rows) return count_per_sequence(model.forward(batch.tokens), batch.targets);
    std::vector<torch::Tensor> correct, labelled;
    for (int64_t start = 0; start < B; start += rows) {
      const int64_t end = std::min(B, start + rows);
      const SequenceCounts part = count_per_sequence(model.forward(batch.tokens.slice(0, start, end)),
                                                     batch.targets.slice(0, start, end));
      correct.push_back(part.correct);
      labelled.push_back(part.labelled);
    }
    return {torch::cat(correct), torch::cat(labelled)};
  }
  chunk = eval_chunk_positions(chunk, B);
  if (T <= chunk) return count_per_sequence(model.forward(batch.tokens), batch.targets);
  std::vector<torch::Tensor> state = model.initial_state(B);
  SequenceCounts counts;
  for (int64_t start = 0; start < T; start += chunk) {
    const int64_t end = std::min(T, start + chunk);
    const torch::Tensor logits = model.forward_from(batch.tokens.slice(1, start, end), state);
    counts += count_per_sequence(logits, batch.targets.slice(1, start, end));
  }
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
                              int64_t max_len, int64_t count, int64_t batch_size, uint64_t seed,
                              int64_t chunk) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  AccuracyCounts counts;
  int64_t done = 0;
  for (uint64_t part = 0; done < count; ++part) {
    const int64_t size = std::min(batch_size, count - done);
    const Batch batch =
        to_device(source.sample(size, min_len, max_len, mix_seed(seed, part)), model.device());
    counts += evaluate_batch(model, batch, chunk).totals();
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
                                             int64_t batch_size, uint64_t seed, int64_t chunk) {
  std::vector<LengthAccuracy> points;
  for (const int64_t length : lengths) {
    points.push_back(evaluate_range(model, source, length, length, count, batch_size,
                                    mix_seed(seed, uint64_t(length)), chunk));
  }
  return points;
}

}  // namespace goose::core
