// The metrics every gooselab result uses (REFERENCE.md §5), defined once: token and
// sequence accuracy over labelled positions, scaled accuracy, per-length accuracy curves.
// Exports AccuracyCounts, count_accuracy(), scaled_accuracy(), LengthAccuracy, evaluate_*().
#pragma once
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/batch.h"
#include "core/model.h"
#include "core/seed.h"

namespace goose::core {

// Counts over labelled positions only (targets != kIgnoreIndex). A sequence is correct when
// every one of its labelled positions is; sequences without a labelled position are skipped.
struct AccuracyCounts {
  int64_t correct_tokens = 0;
  int64_t labelled_tokens = 0;
  int64_t correct_sequences = 0;
  int64_t sequences = 0;

  double token_accuracy() const;     // 0 when nothing is labelled
  double sequence_accuracy() const;  // 0 when no sequence is labelled
  AccuracyCounts& operator+=(const AccuracyCounts& other);
};

// logits (B,T,C), targets (B,T) int64.
AccuracyCounts count_accuracy(const torch::Tensor& logits, const torch::Tensor& targets);

// Per-sequence counts, (B) int64 each, so that a sequence evaluated in chunks can be judged
// as a whole: a sequence is correct when its correct count equals its labelled count.
struct SequenceCounts {
  torch::Tensor correct;   // correct labelled positions per sequence
  torch::Tensor labelled;  // labelled positions per sequence
  SequenceCounts& operator+=(const SequenceCounts& other);
  AccuracyCounts totals() const;
};
SequenceCounts count_per_sequence(const torch::Tensor& logits, const torch::Tensor& targets);

// (acc - chance) / (1 - chance): 1 = perfect, 0 = chance, negative = worse than chance.
double scaled_accuracy(double accuracy, double chance);

// One point of a per-length accuracy curve. min_len == max_len for an exact length;
// a range for "validation at the training lengths".
struct LengthAccuracy {
  int64_t min_len = 0;
  int64_t max_len = 0;
  int64_t count = 0;  // sequences evaluated
  double token_accuracy = 0;
  double sequence_accuracy = 0;
  double chance = 0;  // the true per-position chance of these lengths (BatchSource::chance_accuracy)
  double scaled_token_accuracy = 0;
};
nlohmann::json to_json(const LengthAccuracy& point);

// How evaluate_range() bounds its memory at long lengths. A batch whose sequences (BOS
// included) are longer than `chunk` positions runs through a recurrent model chunk by chunk
// (SequenceModel::forward_from, the state carried between chunks), so one forward pass holds
// at most batch × chunk positions whatever the length; per-sequence correctness is summed
// over the chunks. chunk = 0 picks max(64, kEvalPositions / batch). Models without a
// recurrent state (the Transformer) run whole sequences of at most kMaxWholeSequence
// positions, in sub-batches of at most max(1, kEvalAttentionEntries / positions²) sequences
// (its attention scores grow with the square of the length), and throw std::invalid_argument
// past that length instead of running out of memory.
constexpr int64_t kEvalPositions = int64_t(1) << 15;
constexpr int64_t kMaxWholeSequence = 8192;
constexpr int64_t kEvalAttentionEntries = int64_t(1) << 25;
int64_t eval_chunk_positions(int64_t chunk, int64_t batch_size);  // resolves chunk = 0

// Counts (as count_per_sequence) of one batch: a recurrent model runs one forward() when
// T <= chunk, else forward_from() over chunks of `chunk` positions; any other model runs
// forward() in sub-batches (and throws past kMaxWholeSequence positions).
SequenceCounts evaluate_batch(SequenceModel& model, const Batch& batch, int64_t chunk);

// Evaluates `count` sequences with lengths in [min_len, max_len], in batches of at most
// `batch_size`, the data seeded by `seed` (the same seed gives the same sequences; the chunk
// length does not change the data, only the memory). No grad; the model is put in eval mode
// and back.
LengthAccuracy evaluate_range(SequenceModel& model, const BatchSource& source, int64_t min_len,
                              int64_t max_len, int64_t count, int64_t batch_size, uint64_t seed,
                              int64_t chunk = 0);

// One point per length in `lengths`; point i uses seed mix_seed(seed, length).
std::vector<LengthAccuracy> evaluate_lengths(SequenceModel& model, const BatchSource& source,
                                             const std::vector<int64_t>& lengths, int64_t count,
                                             int64_t batch_size, uint64_t seed, int64_t chunk = 0);

}  // namespace goose::core
