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

TrainResult train(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
                  RunDirectory* dir, const TrainOptions& options) {
  validate(config);
  const auto optimizer = make_optimizer(model, config);
  TrainState state;
  if (dir != nullptr) dir->remove_temporaries();  // left by a writer killed mid-write
  if (dir != nullptr && dir->has_checkpoint()) {
    state = load_checkpoint(dir->last_checkpoint(), model, &optimizer->state());
    dir->truncate_metrics(state.step);
  } else if (dir != nullptr) {
    save_checkpoint(dir->last_checkpoint(), model, &optimizer->state(), state);  // step 0 is a good checkpoint
  }
  const std::string kept = dir ? "; last good checkpoint kept at " + dir->last_checkpoint() : "";

  TrainingData data(source, config);
  const torch::Device device = model.device();
  const bool bf16 = config.precision == "bf16";
  Progress progress(options.progress, options.label, config.steps);
  std::string best_blob;  // the selected weights when there is no run directory
  TrainResult result;
  StepStats stats;
  const auto session_start = Clock::now();
  const double wall_before = state.wall_seconds;
  model.train();

  while (state.step < config.steps && !state.stopped_at_target) {
    const auto step_start = Clock::now();
    const Batch batch = to_device(data.batch(state.step), device);
    const double lr = learning_rate(config, state.step);
    optimizer->set_learning_rate(lr);
    optimizer->zero_grad();
    torch::Tensor logits, loss;
    {
      AutocastScope autocast(bf16, device);
      logits = model.forward(batch.tokens);
      loss = training_loss(logits.to(torch::kFloat), batch.targets);
    }
    const double loss_value = checked_loss(loss, config, state.step + 1, kept);
    loss.backward();
    const double norm = optimizer->clip_and_step(config.clip);
    if (config.clip > 0 && !std::isfinite(norm))
      throw TrainingDiverged(fmt::format("gradient norm became {} at step {}{}",
                                         std::isnan(norm) ? "NaN" : "Inf", state.step + 1, kept));
    ++state.step;

    const double accuracy = count_accuracy(logits.detach(), batch.targets).token_accuracy();
    state.tokens += batch.lengths.sum().item<int64_t>() + batch.lengths.size(0);
    state.train_seconds += seconds_since(step_start);
    result.losses.push_back(loss_value);
    stats.add(loss_value, accuracy);
    const double tokens_per_second = state.tokens / std::max(1e-9, state.train_seconds);
    progress.step(state.step, loss_value, accuracy, tokens_per_second,
                  state.train_seconds / double(state.step) * double(config.steps - state.step));

    if (state.step % config.eval_every == 0 || state.step == config.steps) {
      const Evaluation evaluation = evaluate_periodic(model, source, config);
      const double val = evaluation.validation.sequence_accuracy;
      if (val >= state.best_metric) {  // ties go to the later checkpoint
        state.best_metric = val;
        state.best_step = state.step;
        if (dir) save_checkpoint(dir->best_checkpoint(), model, &optimizer->state(), state);
        else best_blob = snapshot_weights(model);
      }
      if (config.target_acc > 0 && val >= config.target_acc) state.stopped_at_target = true;
      state.wall_seconds = wall_before + seconds_since(session_start);
      if (dir) {
        // The metrics line first, then the checkpoint: a kill between the two resumes from
        // the previous checkpoint, which drops this line and computes it again.
        nlohmann::json lengths = nlohmann::json::array();
        for (const auto& point : evaluation.lengths) lengths.push_back(to_json(point));
        dir->append_metrics({{"step", state.step},
                             {"lr", lr},
                             {"loss", stats.mean_loss()},
                             {"train_token_acc", stats.mean_accuracy()},
                             {"validation", to_json(evaluation.validation)},
                             {"lengths", lengths},
                             {"tokens", state.tokens},
                             {"wall_seconds", state.wall_seconds},
                             {"tokens_per_second", tokens_per_second}});
        save_checkpoint(dir->last_checkpoint(), model, &optimizer->state(), state);
      }
      progress.evaluation(state.step, stats.mean_loss(), evaluation.validation, evaluation.lengths,
                          tokens_per_second);
      stats = StepStats();
    }
    if (options.interrupt_after > 0 && state.step >= options.interrupt_after) {
      result.steps = state.step;
      result.stop_reason = "interrupted";
      return result;
    }
  }
  state.wall_seconds = wall_before + seconds_since(session_start);

  // The final report: the last weights, then the selected ones, on the same test set.
  result.last = report(model, source, config, state.step);
  if (state.best_step >= 0 && state.best_step != state.step) {
    if (dir) load_checkpoint(dir->best_checkpoint(), model, nullptr);
    else restore_weights(model, best_blob);
    result.selected = report(model, source, config, state.best_step);
  } else {
    result.selected = result.last;
  }
  result.steps = state.step;
  result.stop_reason = state.stopped_at_target ? "target" : "steps";
  result.wall_seconds = state.wall_seconds;
  result.tokens = state.tokens;
  result.tokens_per_second = state.train_seconds > 0 ? state.tokens / state.train_seconds : 0;
  result.num_parameters = model.num_parameters();
  result.state_floats = model.state_floats();
  if (dir) dir->write_result(result.to_json());
  return result;
}

}  // namespace goose::core
