// The training loop (see train.h): one loop for every model and task, deterministic given
// the seed, resumable from last.pt with bit-identical results.
#include "core/train.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "core/checkpoint.h"
#include "core/run_dir.h"

namespace goose::core {

namespace {

namespace fs = std::filesystem;

// Independent random streams of one run, all derived from TrainConfig::seed.
constexpr uint64_t kTrainStream = 0x7472616E;     // fresh batches, one per step
constexpr uint64_t kTrainSetStream = 0x74736574;  // the fixed training set
constexpr uint64_t kShuffleStream = 0x73687566;   // per-epoch order of the fixed set
constexpr uint64_t kValidationStream = 0x76616C;  // validation at the training lengths
constexpr uint64_t kEvalStream = 0x6576616C;      // evaluation at eval_lengths

const char* const kRunFiles[] = {"config.json", "metrics.jsonl", "result.json", "last.pt",
                                 "best.pt"};

std::string join_path(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

std::string format_duration(double seconds) {
  const int64_t s = std::max<int64_t>(0, int64_t(std::llround(seconds)));
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", (long long)(s / 3600),
                  (long long)(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%llds", (long long)s);
  }
  return text;
}

// A fixed training set: sampled once in batch-sized chunks, padded to one width, and served
// in a per-epoch shuffled order that depends only on (seed, epoch).
class FixedTrainingSet {
 public:
  FixedTrainingSet(const BatchSource& source, const TrainConfig& config) : config_(config) {
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

  Batch batch(int64_t step) {
    const int64_t epoch = step / steps_per_epoch_;
    if (epoch != epoch_) shuffle(epoch);
    const int64_t first = (step % steps_per_epoch_) * config_.batch_size;
    const int64_t count = std::min(config_.batch_size, config_.train_size - first);
    const torch::Tensor index =
        torch::from_blob(order_.data() + first, {count}, torch::kInt64).clone();
    Batch out;
    out.lengths = lengths_.index_select(0, index);
    const int64_t width = out.lengths.max().item<int64_t>() + 1;
    out.tokens = tokens_.index_select(0, index).narrow(1, 0, width).contiguous();
    out.targets = targets_.index_select(0, index).narrow(1, 0, width).contiguous();
    return out;
  }

 private:
  void shuffle(int64_t epoch) {
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

  const TrainConfig& config_;
  torch::Tensor tokens_, targets_, lengths_;
  int64_t steps_per_epoch_ = 1;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
};

// Progress: a live line on a terminal, otherwise one line per evaluation.
class Progress {
 public:
  explicit Progress(const TrainConfig& config)
      : config_(config),
        live_(config.progress == "auto" && ::isatty(2)),
        lines_(config.progress == "lines" || (config.progress == "auto" && !::isatty(2))) {}

  void step(int64_t step, double loss, double acc, double tokens_per_second, double eta) {
    if (!live_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250) && step != config_.steps) return;
    last_ = now;
    std::fprintf(stderr, "\r\033[K%s%sstep %lld/%lld  loss %.4f  acc %.3f  %.0f tok/s  ETA %s",
                 config_.label.c_str(), config_.label.empty() ? "" : "  ", (long long)step,
                 (long long)config_.steps, loss, acc, tokens_per_second,
                 format_duration(eta).c_str());
    std::fflush(stderr);
  }

  void eval(int64_t step, double loss, const LengthAccuracy& val,
            const std::vector<LengthAccuracy>& lengths, double tokens_per_second) {
    if (!live_ && !lines_) return;
    std::ostringstream line;
    line << (live_ ? "\r\033[K" : "") << config_.label << (config_.label.empty() ? "" : "  ")
         << "step " << step << "/" << config_.steps;
    char text[128];
    std::snprintf(text, sizeof text, "  loss %.4f  val seq %.3f tok %.3f", loss,
                  val.sequence_accuracy, val.token_accuracy);
    line << text;
    for (const auto& point : lengths) {
      std::snprintf(text, sizeof text, "  L%lld %.3f", (long long)point.min_len,
                    point.sequence_accuracy);
      line << text;
    }
    std::snprintf(text, sizeof text, "  %.0f tok/s", tokens_per_second);
    line << text << "\n";
    std::cerr << line.str() << std::flush;
  }

 private:
  const TrainConfig& config_;
  bool live_;
  bool lines_;
  std::chrono::steady_clock::time_point last_{};
};

struct Evaluation {
  LengthAccuracy validation;
  std::vector<LengthAccuracy> per_length;
};

Evaluation evaluate(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
                    int64_t count) {
  Evaluation out;
  out.validation =
      evaluate_range(model, source, config.train_min_len, config.train_max_len, count,
                     config.eval_batch, mix_seed(config.seed, kValidationStream));
  out.per_length = evaluate_lengths(model, source, config.eval_lengths, count, config.eval_batch,
                                    mix_seed(config.seed, kEvalStream));
  return out;
}

// Drops metric lines written after the checkpoint we resume from (a kill between the
// metrics line and the checkpoint, or after the checkpoint, would otherwise duplicate them).
void truncate_metrics(const std::string& path, int64_t step) {
  if (!file_exists(path)) return;
  std::istringstream in(read_file(path));
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      if (nlohmann::json::parse(line).at("step").get<int64_t>() <= step) kept += line + "\n";
    } catch (const nlohmann::json::exception&) {
      // a torn last line: drop it
    }
  }
  write_file_atomic(path, kept);
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

}  // namespace

nlohmann::json to_json(const TrainConfig& c) {
  return {{"steps", c.steps},
          {"batch_size", c.batch_size},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"beta1", c.beta1},
          {"beta2", c.beta2},
          {"adam_eps", c.adam_eps},
          {"warmup", c.warmup},
          {"min_lr_fraction", c.min_lr_fraction},
          {"clip", c.clip},
          {"max_loss", c.max_loss},
          {"train_min_len", c.train_min_len},
          {"train_max_len", c.train_max_len},
          {"train_size", c.train_size},
          {"seed", c.seed},
          {"eval_lengths", c.eval_lengths},
          {"eval_every", c.eval_every},
          {"eval_count", c.eval_count},
          {"final_eval_count", c.final_eval_count},
          {"eval_batch", c.eval_batch},
          {"target_acc", c.target_acc}};
}

nlohmann::json to_json(const ModelConfig& c) {
  return {{"arch", c.arch},
          {"vocab_size", c.vocab_size},
          {"num_classes", c.num_classes},
          {"layers", c.layers},
          {"dim", c.dim},
          {"head_size", c.head_size},
          {"rwkv_relaxed", c.rwkv_relaxed},
          {"rwkv_decay_clamp", c.rwkv_decay_clamp},
          {"rwkv_lora_decay", c.rwkv_lora_decay},
          {"rwkv_lora_a", c.rwkv_lora_a},
          {"rwkv_lora_value", c.rwkv_lora_value},
          {"rwkv_lora_gate", c.rwkv_lora_gate},
          {"kernel", c.kernel},
          {"pos_encoding", c.pos_encoding},
          {"max_len", c.max_len},
          {"dssm_eigen", c.dssm_eigen},
          {"dssm_state", c.dssm_state},
          {"dssm_expand", c.dssm_expand}};
}

void validate(const TrainConfig& c) {
  auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  if (c.steps <= 0) fail("steps must be positive (got " + std::to_string(c.steps) + ")");
  if (c.batch_size <= 0) fail("batch must be positive (got " + std::to_string(c.batch_size) + ")");
  if (!(c.lr > 0) || !std::isfinite(c.lr)) fail("lr must be a positive number");
  if (!(c.weight_decay >= 0)) fail("wd must be >= 0");
  if (!(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1)) fail("betas must be in [0,1)");
  if (c.warmup < 0) fail("warmup must be >= 0");
  if (!(c.clip >= 0)) fail("clip must be >= 0 (0 = off)");
  if (!(c.min_lr_fraction >= 0 && c.min_lr_fraction <= 1)) fail("min lr fraction must be in [0,1]");
  if (c.train_min_len < 1 || c.train_max_len < c.train_min_len)
    fail("train-len must be A..B with 1 <= A <= B (got " + std::to_string(c.train_min_len) +
         ".." + std::to_string(c.train_max_len) + ")");
  if (c.train_size < 0) fail("train-size must be >= 0 (0 = fresh samples every step)");
  if (c.train_size > 0 && c.train_size < c.batch_size)
    fail("train-size " + std::to_string(c.train_size) + " is smaller than the batch " +
         std::to_string(c.batch_size));
  for (const int64_t length : c.eval_lengths)
    if (length < 1) fail("eval-len: lengths must be positive (got " + std::to_string(length) + ")");
  if (c.eval_every <= 0) fail("eval-every must be positive");
  if (c.eval_count <= 0 || c.final_eval_count <= 0 || c.eval_batch <= 0)
    fail("evaluation counts must be positive");
  if (!(c.target_acc >= 0 && c.target_acc <= 1)) fail("target-acc must be in [0,1] (0 = off)");
  if (c.progress != "auto" && c.progress != "lines" && c.progress != "off")
    fail("progress must be auto, lines or off (got '" + c.progress + "')");
}

double learning_rate(const TrainConfig& c, int64_t step) {
  if (step < c.warmup) return c.lr * double(step + 1) / double(c.warmup);
  const int64_t decay_steps = std::max<int64_t>(1, c.steps - c.warmup);
  const double progress = std::min(1.0, double(step - c.warmup) / double(decay_steps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return c.lr * (c.min_lr_fraction + (1.0 - c.min_lr_fraction) * cosine);
}

Batch fresh_batch(const BatchSource& source, const TrainConfig& c, int64_t step) {
  return source.sample(c.batch_size, c.train_min_len, c.train_max_len,
                       mix_seed(mix_seed(c.seed, kTrainStream), uint64_t(step)));
}

std::shared_ptr<SequenceModel> make_seeded_model(const ModelConfig& config, uint64_t seed) {
  std::lock_guard<std::mutex> lock(global_rng_mutex());
  torch::manual_seed(seed);
  return make_model(config);
}

nlohmann::json TrainResult::to_json() const {
  nlohmann::json lengths = nlohmann::json::array();
  for (const auto& point : per_length) lengths.push_back(core::to_json(point));
  return {{"steps", steps},
          {"stop_reason", stop_reason},
          {"wall_seconds", wall_seconds},
          {"tokens", tokens},
          {"tokens_per_second", tokens_per_second},
          {"best_step", best_step},
          {"best_val_seq_acc", best_val_seq_acc},
          {"validation", core::to_json(validation)},
          {"lengths", lengths},
          {"num_parameters", num_parameters},
          {"state_floats", state_floats}};
}

TrainResult train(SequenceModel& model, const BatchSource& source, const TrainConfig& config,
                  const nlohmann::json& run_info) {
  validate(config);
  const bool has_dir = !config.out_dir.empty();
  const std::string last_path = has_dir ? join_path(config.out_dir, "last.pt") : "";
  const std::string best_path = has_dir ? join_path(config.out_dir, "best.pt") : "";
  const std::string metrics_path = has_dir ? join_path(config.out_dir, "metrics.jsonl") : "";

  // Parameter groups: AdamW's decay on the large matrices only.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  {
    auto decayed = std::make_unique<torch::optim::AdamWOptions>(config.lr);
    decayed->betas({config.beta1, config.beta2}).eps(config.adam_eps).weight_decay(config.weight_decay);
    auto undecayed = std::make_unique<torch::optim::AdamWOptions>(config.lr);
    undecayed->betas({config.beta1, config.beta2}).eps(config.adam_eps).weight_decay(0.0);
    groups.emplace_back(model.decayed_parameters(), std::move(decayed));
    groups.emplace_back(model.undecayed_parameters(), std::move(undecayed));
  }
  torch::optim::AdamWOptions defaults(config.lr);
  defaults.betas({config.beta1, config.beta2}).eps(config.adam_eps).weight_decay(0.0);
  torch::optim::AdamW optimizer(std::move(groups), defaults);

  TrainState state;
  bool resumed = false;
  if (has_dir) {
    if (config.resume && file_exists(last_path)) {
      state = load_checkpoint(last_path, model, &optimizer);
      truncate_metrics(metrics_path, state.step);
      resumed = true;
    } else if (!dir_is_empty(config.out_dir) && !config.force && !config.resume) {
      throw std::invalid_argument("run directory " + config.out_dir +
                                  " is not empty (use --resume to continue it or --force to "
                                  "start over)");
    }
    if (!resumed) {
      make_dirs(config.out_dir);
      for (const char* name : kRunFiles) std::remove(join_path(config.out_dir, name).c_str());
      nlohmann::json run_config = run_info;
      run_config["train"] = to_json(config);
      run_config["model"] = to_json(model.config());
      run_config["seed"] = config.seed;
      run_config["code_version"] = code_version();
      run_config["data"] = source.describe();
      run_config["chance_accuracy"] = source.chance_accuracy(config.train_min_len, config.train_max_len);
      run_config["num_parameters"] = model.num_parameters();
      run_config["state_floats"] = model.state_floats();
      write_json_atomic(join_path(config.out_dir, "config.json"), run_config);
      save_checkpoint(last_path, model, &optimizer, state);  // step 0: always a good checkpoint
    }
  }

  std::unique_ptr<FixedTrainingSet> fixed_set;
  if (config.train_size > 0) fixed_set = std::make_unique<FixedTrainingSet>(source, config);

  std::string best_blob;  // best weights when there is no run directory
  Progress progress(config);
  TrainResult result;
  double loss_sum = 0, acc_sum = 0;
  int64_t loss_count = 0;
  const auto session_start = std::chrono::steady_clock::now();
  const double wall_before = state.wall_seconds;
  model.train();

  while (state.step < config.steps && !state.stopped_at_target) {
    const auto step_start = std::chrono::steady_clock::now();
    const Batch batch = fixed_set ? fixed_set->batch(state.step) : fresh_batch(source, config, state.step);
    const double lr = learning_rate(config, state.step);
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    optimizer.zero_grad();
    const torch::Tensor logits = model.forward(batch.tokens);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(
        logits.reshape({-1, logits.size(-1)}), batch.targets.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreIndex));
    const double loss_value = loss.item<double>();
    const int64_t step_number = state.step + 1;
    const std::string kept =
        has_dir ? "; last good checkpoint kept at " + last_path : "";
    if (!std::isfinite(loss_value)) {
      throw TrainingDiverged("loss became " + std::string(std::isnan(loss_value) ? "NaN" : "Inf") +
                             " at step " + std::to_string(step_number) + kept);
    }
    if (loss_value > config.max_loss) {
      char text[64];
      std::snprintf(text, sizeof text, "%.3g (above %.3g)", loss_value, config.max_loss);
      throw TrainingDiverged("loss exploded to " + std::string(text) + " at step " +
                             std::to_string(step_number) + kept);
    }
    loss.backward();
    if (config.clip > 0) {
      const double norm = torch::nn::utils::clip_grad_norm_(model.parameters(), config.clip);
      if (!std::isfinite(norm))
        throw TrainingDiverged("gradient norm became " +
                               std::string(std::isnan(norm) ? "NaN" : "Inf") + " at step " +
                               std::to_string(step_number) + kept);
    }
    optimizer.step();
    state.step = step_number;

    const AccuracyCounts counts = count_accuracy(logits.detach(), batch.targets);
    const int64_t batch_tokens = batch.lengths.sum().item<int64_t>() + batch.lengths.size(0);
    state.tokens += batch_tokens;
    state.train_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
    result.losses.push_back(loss_value);
    loss_sum += loss_value;
    acc_sum += counts.token_accuracy();
    ++loss_count;
    const double tokens_per_second = state.train_seconds > 0 ? state.tokens / state.train_seconds : 0;
    const double seconds_per_step = state.train_seconds / double(state.step);
    progress.step(state.step, loss_value, counts.token_accuracy(), tokens_per_second,
                  seconds_per_step * double(config.steps - state.step));

    if (state.step % config.eval_every == 0 || state.step == config.steps) {
      const Evaluation evaluation = evaluate(model, source, config, config.eval_count);
      const double val = evaluation.validation.sequence_accuracy;
      if (val > state.best_metric) {
        state.best_metric = val;
        state.best_step = state.step;
        if (has_dir) {
          save_checkpoint(best_path, model, &optimizer, state);
        } else {
          best_blob = snapshot_weights(model);
        }
      }
      if (config.target_acc > 0 && val >= config.target_acc) state.stopped_at_target = true;
      state.wall_seconds =
          wall_before +
          std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();
      const double mean_loss = loss_sum / double(std::max<int64_t>(1, loss_count));
      if (has_dir) {
        nlohmann::json line = {{"step", state.step},
                               {"lr", lr},
                               {"loss", mean_loss},
                               {"train_token_acc", acc_sum / double(std::max<int64_t>(1, loss_count))},
                               {"validation", to_json(evaluation.validation)},
                               {"tokens", state.tokens},
                               {"wall_seconds", state.wall_seconds},
                               {"tokens_per_second", tokens_per_second}};
        nlohmann::json lengths = nlohmann::json::array();
        for (const auto& point : evaluation.per_length) lengths.push_back(to_json(point));
        line["lengths"] = lengths;
        save_checkpoint(last_path, model, &optimizer, state);
        append_line(metrics_path, line.dump());
      }
      progress.eval(state.step, mean_loss, evaluation.validation, evaluation.per_length,
                    tokens_per_second);
      loss_sum = acc_sum = 0;
      loss_count = 0;
    }
    if (config.interrupt_after > 0 && state.step >= config.interrupt_after) {
      result.steps = state.step;
      result.stop_reason = "interrupted";
      return result;
    }
  }
  state.wall_seconds =
      wall_before +
      std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();

  // The final evaluation uses the best weights by validation at the training lengths.
  if (state.best_step >= 0) {
    if (has_dir) {
      load_checkpoint(best_path, model, nullptr);
    } else {
      restore_weights(model, best_blob);
    }
  }
  const Evaluation final_eval = evaluate(model, source, config, config.final_eval_count);
  result.steps = state.step;
  result.stop_reason = state.stopped_at_target ? "target" : "steps";
  result.wall_seconds = state.wall_seconds;
  result.tokens = state.tokens;
  result.tokens_per_second = state.train_seconds > 0 ? state.tokens / state.train_seconds : 0;
  result.best_step = state.best_step;
  result.best_val_seq_acc = state.best_metric;
  result.validation = final_eval.validation;
  result.per_length = final_eval.per_length;
  result.num_parameters = model.num_parameters();
  result.state_floats = model.state_floats();
  if (has_dir) {
    nlohmann::json out = result.to_json();
    out["chance_accuracy"] = source.chance_accuracy(config.train_min_len, config.train_max_len);
    out["code_version"] = code_version();
    write_json_atomic(join_path(config.out_dir, "result.json"), out);
  }
  return result;
}

}  // namespace goose::core
