// The one training loop every model uses: AdamW (decay on the model's decayed parameters
// only), linear warm-up then cosine decay, gradient clipping, fresh or fixed training data,
// periodic validation, early stopping, checkpoints and resume, NaN/explosion detection.
// Exports TrainConfig (every training default), TrainResult, TrainingDiverged, train().
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

// Every training option and its default lives here (DESIGN.md: defaults in one place).
struct TrainConfig {
  // optimisation
  int64_t steps = 2000;           // step budget
  int64_t batch_size = 64;
  double lr = 1e-3;               // peak learning rate
  double weight_decay = 0.01;     // AdamW, on decayed_parameters() only
  double beta1 = 0.9;
  double beta2 = 0.99;
  double adam_eps = 1e-8;
  int64_t warmup = 100;           // linear warm-up steps, then cosine decay to min_lr_fraction
  double min_lr_fraction = 0.1;
  double clip = 1.0;              // gradient norm clip; 0 = off
  double max_loss = 1e3;          // a loss above this (or NaN/Inf) stops the run
  // data
  int64_t train_min_len = 3;      // symbols per training sequence, uniform in [min, max]
  int64_t train_max_len = 40;
  int64_t train_size = 0;         // 0: fresh samples every step; N: a fixed set of N sequences
  uint64_t seed = 1;              // model init, data, shuffling
  // evaluation
  std::vector<int64_t> eval_lengths;  // exact lengths evaluated besides the training range
  int64_t eval_every = 200;       // steps between evaluations (and checkpoints)
  int64_t eval_count = 256;       // sequences per point in periodic evaluations
  int64_t final_eval_count = 1000;  // sequences per point in the final evaluation
  int64_t eval_batch = 250;       // batch size of evaluation forward passes
  double target_acc = 0.0;        // stop once validation seq. accuracy >= this; 0 = never
  // output
  std::string out_dir;            // run directory; empty: train in memory, write nothing
  bool resume = false;            // continue from out_dir/last.pt when it exists
  bool force = false;             // allow starting over in a non-empty out_dir
  std::string progress = "auto";  // auto (a live line on a TTY, else one line per eval) | lines | off
  std::string label;              // prefix of progress lines (e.g. "parity/lstm")
  int64_t interrupt_after = 0;    // tests: return after this step as if killed (no result.json)
};

nlohmann::json to_json(const TrainConfig& config);
// Throws std::invalid_argument on an inconsistent configuration (say what and where).
void validate(const TrainConfig& config);

struct TrainResult {
  int64_t steps = 0;
  std::string stop_reason;        // "steps" (budget spent) | "target" (target accuracy reached)
                                  // | "interrupted" (interrupt_after; nothing evaluated)
  double wall_seconds = 0;
  int64_t tokens = 0;
  double tokens_per_second = 0;
  int64_t best_step = -1;         // the step whose weights were evaluated at the end
  double best_val_seq_acc = -1;
  LengthAccuracy validation;            // training lengths, final evaluation
  std::vector<LengthAccuracy> per_length;  // eval_lengths, final evaluation
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

// Trains `model` on `source`. With out_dir: writes config.json ({"train": ..., "model": ...,
// plus `run_info`}), metrics.jsonl, last.pt, best.pt and result.json, refusing a non-empty
// directory unless resume or force. The final evaluation uses the best checkpoint's weights
// (best validation sequence accuracy at the training lengths).
TrainResult train(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
                  const nlohmann::json& run_info = nlohmann::json::object());

// torch::manual_seed(seed) then make_model(config), under a lock, so that runs created on
// several threads get the same initial weights as when created alone.
std::shared_ptr<SequenceModel> make_seeded_model(const ModelConfig& config, uint64_t seed);
nlohmann::json to_json(const ModelConfig& config);

// Learning rate at step `step` (0-based): linear warm-up to lr, then cosine to
// lr * min_lr_fraction at the last step.
double learning_rate(const TrainConfig& config, int64_t step);

// The training batch of step `step` with fresh data: a pure function of (seed, step).
Batch fresh_batch(const BatchSource& source, const TrainConfig& config, int64_t step);

}  // namespace goose::core
