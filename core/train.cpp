// The training loop (see train.h): one loop for every model and task, deterministic given
// the configuration, resumable from last.pt with bit-identical results.
#include "core/train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "core/checkpoint.h"
#include "core/device.h"
#include "core/optimizer.h"
#include "core/progress.h"
#include "core/run_directory.h"
#include "core/seed.h"
#include "core/training_data.h"
#include "kernels/cross_entropy.h"

namespace goose::core {

namespace {

// The evaluation streams of one run. Validation (checkpoint selection) and test (the final
// report) never share a sequence seed, so the report is not made on the data that chose it.
constexpr uint64_t kValidationStream = 0x76616C;  // validation at the training lengths
constexpr uint64_t kEvalStream = 0x6576616C;      // periodic curves at eval_lengths (metrics only)
constexpr uint64_t kTestStream = 0x74657374;      // the final report, every length

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Evaluation {
  LengthAccuracy validation;
  std::vector<LengthAccuracy> lengths;
};

// The periodic evaluation: validation at the training lengths (selection) and the curve at
// eval_lengths (for metrics.jsonl; never used to select).
Evaluation evaluate_periodic(SequenceModel& model, const BatchSource& source, const TrainConfig& c) {
  return {evaluate_range(model, source, c.train_min_len, c.train_max_len, c.eval_count, c.eval_batch,
                         mix_seed(c.seed, kValidationStream)),
          evaluate_lengths(model, source, c.eval_lengths, c.eval_count, c.eval_batch,
                           mix_seed(c.seed, kEvalStream))};
}

// The final report of the weights the model holds now.
CheckpointReport report(SequenceModel& model, const BatchSource& source, const TrainConfig& c,
                        int64_t step) {
  CheckpointReport out;
  out.step = step;
  out.validation = evaluate_range(model, source, c.train_min_len, c.train_max_len, c.eval_count,
                                  c.eval_batch, mix_seed(c.seed, kValidationStream));
  out.test_train_lengths = evaluate_range(model, source, c.train_min_len, c.train_max_len,
                                          c.final_eval_count, c.eval_batch, mix_seed(c.seed, kTestStream));
  out.test = evaluate_lengths(model, source, c.eval_lengths, c.final_eval_count, c.eval_batch,
                              mix_seed(mix_seed(c.seed, kTestStream), 1));
  return out;
}

std::string snapshot_weights(SequenceModel& model) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void restore_weights(SequenceModel& model, const std::string& blob) {
  std::istringstream in(blob);
  torch::serialize::InputArchive archive;
  archive.load_from(in);
  model.load(archive);
}

// The loss of one step, checked: NaN, Inf or above max_loss stops the run.
double checked_loss(const torch::Tensor& loss, const TrainConfig& c, int64_t step, const std::string& kept) {
  const double value = loss.item<double>();
  if (!std::isfinite(value))
    throw TrainingDiverged(fmt::format("loss became {} at step {}{}", std::isnan(value) ? "NaN" : "Inf", step, kept));
  if (value > c.max_loss)
    throw TrainingDiverged(fmt::format("loss exploded to {:.3g} (above {:.3g}) at step {}{}", value, c.max_loss, step, kept));
  return value;
}

// Running means of the steps since the last evaluation.
struct StepStats {
  double loss = 0, accuracy = 0;
  int64_t count = 0;
  void add(double l, double a) { loss += l, accuracy += a, ++count; }
  double mean_loss() const { return loss / double(std::max<int64_t>(1, count)); }
  double mean_accuracy() const { return accuracy / double(std::max<int64_t>(1, count)); }
};

}  // namespace

nlohmann::json CheckpointReport::to_json() const {
  nlohmann::json lengths = nlohmann::json::array();
  for (const auto& point : test) lengths.push_back(core::to_json(point));
  return {{"step", step},
          {"validation", core::to_json(validation)},
          {"test_train_lengths", core::to_json(test_train_lengths)},
          {"test", lengths}};
}

nlohmann::json TrainResult::to_json() const {
  return {{"steps", steps},
          {"stop_reason", stop_reason},
          {"wall_seconds", wall_seconds},
          {"tokens", tokens},
          {"tokens_per_second", tokens_per_second},
          {"num_parameters", num_parameters},
          {"state_floats", state_floats},
          {"selection", "best validation sequence accuracy at the training lengths; ties go to the later step"},
          {"selected", selected.to_json()},
          {"last", last.to_json()}};
}

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  return kernels::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}),
                                kIgnoreIndex);
}

double learning_rate(const TrainConfig& c, int64_t step) {
  if (step < c.warmup) return c.lr * double(step + 1) / double(c.warmup);
  const int64_t decay_steps = std::max<int64_t>(1, c.steps - c.warmup);
  const double progress = std::min(1.0, double(step - c.warmup) / double(decay_steps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return c.lr * (c.min_lr_fraction + (1.0 - c.min_lr_fraction) * cosine);
}

std::shared_ptr<SequenceModel> make_seeded_model(const ModelConfig& config, uint64_t seed) {
  std::lock_guard<std::mutex> lock(global_rng_mutex());
  torch::manual_seed(seed);
  return make_model(config);
}

namespace {

// One call of train(): the run's objects and its loop state. Each part is one method: open
// (fresh or resumed), one optimiser step, the periodic evaluation with its writes, the final
// report.
class TrainingRun {
 public:
  TrainingRun(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
              RunDirectory* dir, const TrainOptions& options)
      : model_(model), source_(source), config_(config), dir_(dir), options_(options),
        optimizer_(make_optimizer(model, config)), data_(source, config),
        device_(model.device()), bf16_(config.precision == "bf16"),
        progress_(options.progress, options.label, config.steps) {}

  TrainResult run() {
    open();
    session_start_ = Clock::now();
    wall_before_ = state_.wall_seconds;
    model_.train();
    while (state_.step < config_.steps && !state_.stopped_at_target) {
      const double lr = learning_rate(config_, state_.step);
      step(lr);
      if (state_.step % config_.eval_every == 0 || state_.step == config_.steps) evaluate(lr);
      if (options_.interrupt_after > 0 && state_.step >= options_.interrupt_after) {
        result_.steps = state_.step;
        result_.stop_reason = "interrupted";
        return result_;
      }
    }
    update_wall_seconds();
    return finish();
  }

 private:
  // A resumed run continues from last.pt (metrics.jsonl cut back to its step); a fresh one
  // writes step 0 as its first good checkpoint.
  void open() {
    if (dir_ == nullptr) return;
    dir_->remove_temporaries();  // left by a writer killed mid-write
    if (dir_->has_checkpoint()) {
      state_ = load_checkpoint(dir_->last_checkpoint(), model_, &optimizer_->state());
      dir_->truncate_metrics(state_.step);
    } else {
      save_checkpoint(dir_->last_checkpoint(), model_, &optimizer_->state(), state_);
    }
    kept_ = "; last good checkpoint kept at " + dir_->last_checkpoint();
  }

  // One optimiser step on the step's batch; a non-finite loss or gradient stops the run.
  void step(double lr) {
    const auto step_start = Clock::now();
    const Batch host_batch = data_.batch(state_.step);
    // Counted on the host copy: on a GPU, reading it back would be one more synchronisation.
    const int64_t tokens = host_batch.lengths.sum().item<int64_t>() + host_batch.lengths.size(0);
    const Batch batch = to_device(host_batch, device_);
    optimizer_->set_learning_rate(lr);
    optimizer_->zero_grad();
    torch::Tensor logits, loss;
    {
      AutocastScope autocast(bf16_, device_);
      logits = model_.forward(batch.tokens);
      loss = training_loss(logits.to(torch::kFloat), batch.targets);
    }
    const double loss_value = checked_loss(loss, config_, state_.step + 1, kept_);
    loss.backward();
    const double norm = optimizer_->clip_and_step(config_.clip);
    if (config_.clip > 0 && !std::isfinite(norm))
      throw TrainingDiverged(fmt::format("gradient norm became {} at step {}{}",
                                         std::isnan(norm) ? "NaN" : "Inf", state_.step + 1, kept_));
    ++state_.step;

    const double accuracy = count_accuracy(logits.detach(), batch.targets).token_accuracy();
    state_.tokens += tokens;
    state_.train_seconds += seconds_since(step_start);
    result_.losses.push_back(loss_value);
    stats_.add(loss_value, accuracy);
    progress_.step(state_.step, loss_value, accuracy, tokens_per_second(),
                   state_.train_seconds / double(state_.step) * double(config_.steps - state_.step));
  }

  // Validation selects the checkpoint (ties go to the later step); the metrics line is
  // written before last.pt, so a kill between the two resumes from the previous checkpoint,
  // which drops this line and computes it again.
  void evaluate(double lr) {
    const Evaluation evaluation = evaluate_periodic(model_, source_, config_);
    const double val = evaluation.validation.sequence_accuracy;
    if (val >= state_.best_metric) {
      state_.best_metric = val;
      state_.best_step = state_.step;
      if (dir_) save_checkpoint(dir_->best_checkpoint(), model_, &optimizer_->state(), state_);
      else best_blob_ = snapshot_weights(model_);
    }
    if (config_.target_acc > 0 && val >= config_.target_acc) state_.stopped_at_target = true;
    update_wall_seconds();
    if (dir_) {
      nlohmann::json lengths = nlohmann::json::array();
      for (const auto& point : evaluation.lengths) lengths.push_back(to_json(point));
      dir_->append_metrics({{"step", state_.step},
                            {"lr", lr},
                            {"loss", stats_.mean_loss()},
                            {"train_token_acc", stats_.mean_accuracy()},
                            {"validation", to_json(evaluation.validation)},
                            {"lengths", lengths},
                            {"tokens", state_.tokens},
                            {"wall_seconds", state_.wall_seconds},
                            {"tokens_per_second", tokens_per_second()}});
      save_checkpoint(dir_->last_checkpoint(), model_, &optimizer_->state(), state_);
    }
    progress_.evaluation(state_.step, stats_.mean_loss(), evaluation.validation,
                         evaluation.lengths, tokens_per_second());
    stats_ = StepStats();
  }

  // The final report: the last weights, then the selected ones, on the same test set.
  TrainResult finish() {
    result_.last = report(model_, source_, config_, state_.step);
    if (state_.best_step >= 0 && state_.best_step != state_.step) {
      if (dir_) load_checkpoint(dir_->best_checkpoint(), model_, nullptr);
      else restore_weights(model_, best_blob_);
      result_.selected = report(model_, source_, config_, state_.best_step);
    } else {
      result_.selected = result_.last;
    }
    result_.steps = state_.step;
    result_.stop_reason = state_.stopped_at_target ? "target" : "steps";
    result_.wall_seconds = state_.wall_seconds;
    result_.tokens = state_.tokens;
    result_.tokens_per_second = state_.train_seconds > 0 ? state_.tokens / state_.train_seconds : 0;
    result_.num_parameters = model_.num_parameters();
    result_.state_floats = model_.state_floats();
    if (dir_) dir_->write_result(result_.to_json());
    return result_;
  }

  // Time in the loop, evaluations included, over every session of the run.
  void update_wall_seconds() { state_.wall_seconds = wall_before_ + seconds_since(session_start_); }

  double tokens_per_second() const {
    return state_.tokens / std::max(1e-9, state_.train_seconds);
  }

  SequenceModel& model_;
  const BatchSource& source_;
  const TrainConfig& config_;
  RunDirectory* dir_;
  const TrainOptions& options_;
  std::unique_ptr<TrainOptimizer> optimizer_;
  TrainingData data_;
  torch::Device device_;
  bool bf16_;
  Progress progress_;
  TrainState state_;
  TrainResult result_;
  StepStats stats_;
  std::string kept_;       // the divergence message's note on the last good checkpoint
  std::string best_blob_;  // the selected weights when there is no run directory
  Clock::time_point session_start_;
  double wall_before_ = 0;  // wall_seconds of the earlier sessions of a resumed run
};

}  // namespace

TrainResult train(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
                  RunDirectory* dir, const TrainOptions& options) {
  validate(config);
  return TrainingRun(model, source, config, dir, options).run();
}

}  // namespace goose::core
