// The one training loop every model uses: AdamW (per-parameter groups: decay on the large
// matrices and the embedding, RWKV-7's w0 at twice the rate), linear warm-up then cosine
// decay, gradient clipping, fresh or fixed training data, periodic validation, checkpoint
// selection on a validation set and a final report on a separate test set, checkpoints and
// resume, NaN/explosion detection.
// Exports TrainConfig, TrainOptions, CheckpointReport, TrainResult, TrainingDiverged, train().
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/batch.h"
#include "core/metrics.h"
#include "core/model.h"

namespace goose::core {

class RunDirectory;

// Every training option and its default lives here (DESIGN.md: defaults in one place); the
// field table in core/config.cpp names, documents and validates each one.
struct TrainConfig {
  // optimisation
  int64_t steps = 2000;           // step budget
  int64_t batch_size = 64;
  double lr = 1e-3;               // peak learning rate
  double weight_decay = 0.01;     // AdamW, on the model's decayed parameters only
  double beta1 = 0.9;
  double beta2 = 0.99;
  double adam_eps = 1e-8;
  int64_t warmup = 100;           // linear warm-up steps, then cosine decay to min_lr_fraction
  double min_lr_fraction = 0.1;
  double clip = 1.0;              // gradient norm clip; 0 = off
  double max_loss = 1e3;          // a loss above this (or NaN/Inf) stops the run
  std::string precision = "fp32";  // fp32 | bf16 (autocast of the matrix products; states fp32)
  // data
  int64_t train_min_len = 3;      // symbols per training sequence, uniform in [min, max]
  int64_t train_max_len = 40;
  int64_t train_size = 0;         // 0: fresh samples every step; N: a fixed set of N sequences
  uint64_t seed = 1;              // model init, data, shuffling
  // evaluation
  std::vector<int64_t> eval_lengths;  // exact lengths tested besides the training range
  int64_t eval_every = 200;       // steps between evaluations (and checkpoints)
  int64_t eval_count = 256;       // validation sequences per evaluation (checkpoint selection)
  int64_t final_eval_count = 1000;  // test sequences per length in the final report
  int64_t eval_batch = 250;       // batch size of evaluation forward passes
  double target_acc = 0.0;        // stop once validation seq. accuracy >= this; 0 = never
};

// How a run is carried out; nothing here changes what it computes.
struct TrainOptions {
  std::string progress = "auto";  // auto (a live line on a TTY, else one line per eval) | lines | off
  std::string label;              // prefix of progress lines (e.g. "parity/lstm")
  int64_t interrupt_after = 0;    // tests: return after this step as if killed (no result.json)
};

// One checkpoint's final report: validation at the training lengths (the data selection
// saw) and the test set (fresh sequences) at the training lengths and at every eval length.
struct CheckpointReport {
  int64_t step = -1;
  LengthAccuracy validation;          // eval_count validation sequences, training lengths
  LengthAccuracy test_train_lengths;  // final_eval_count test sequences, training lengths
  std::vector<LengthAccuracy> test;   // final_eval_count test sequences per eval length
  nlohmann::json to_json() const;
};

struct TrainResult {
  int64_t steps = 0;
  std::string stop_reason;        // "steps" (budget spent) | "target" (target accuracy reached)
                                  // | "interrupted" (interrupt_after; nothing evaluated)
  double wall_seconds = 0;
  int64_t tokens = 0;
  double tokens_per_second = 0;
  // The checkpoint with the best validation sequence accuracy at the training lengths (ties
  // go to the later one), and the last one; both reported on the same test set.
  CheckpointReport selected;
  CheckpointReport last;
  int64_t num_parameters = 0;
  int64_t state_floats = 0;
  std::vector<double> losses;     // loss of every step run in this call (not saved)
  nlohmann::json to_json() const;
};

// The loss became NaN/Inf or exceeded max_loss. what() is the one-line user message, naming
// the step and where the last good checkpoint is.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// By the field table (core/config.cpp): every field by name; the ranges and the rules
// between fields. validate throws std::invalid_argument saying what and where.
nlohmann::json to_json(const TrainConfig& config);
void validate(const TrainConfig& config);

// Trains `model` on `source`. With a run directory (already created, see run_directory.h):
// resumes from its last.pt when there is one, writes metrics.jsonl, last.pt, best.pt and
// result.json. Without one, trains in memory.
TrainResult train(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
                  RunDirectory* dir = nullptr, const TrainOptions& options = {});

// torch::manual_seed(seed) then make_model(config), under a lock, so that runs created on
// several threads get the same initial weights as when created alone.
std::shared_ptr<SequenceModel> make_seeded_model(const ModelConfig& config, uint64_t seed);

// The loss train() minimises: mean cross-entropy over the labelled positions of logits (B,T,K)
// against targets (B,T) (kIgnoreIndex elsewhere); fused on the CPU for fp32 logits
// (kernels/cross_entropy.h), LibTorch's cross_entropy otherwise.
torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& targets);

// Learning rate at step `step` (0-based): linear warm-up to lr, then cosine to
// lr * min_lr_fraction at the last step.
double learning_rate(const TrainConfig& config, int64_t step);

// The training batch of step `step` with fresh data: a pure function of (seed, step).
Batch fresh_batch(const BatchSource& source, const TrainConfig& config, int64_t step);

}  // namespace goose::core
