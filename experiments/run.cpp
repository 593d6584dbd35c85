// One run end to end (see run.h).
#include "experiments/run.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <stdexcept>

#include <torch/torch.h>

#include "core/device.h"
#include "core/files.h"
#include "core/run_directory.h"
#include "core/variants.h"
#include "core/version.h"

namespace goose::experiments {

namespace {

using json = nlohmann::json;

std::string host_name() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

// Legacy config.json "options" (command-line names of gooselab before format 2) to fields.
core::RunConfig convert_legacy(const json& options, const std::string& where) {
  core::RunConfig config;
  config.model.rwkv_init = "simple";  // what those runs were initialised with
  auto text = [](const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); };
  static const std::map<std::string, std::string> renamed = {
      {"task", "task"}, {"objective", "objective"}, {"model", "arch"}, {"layers", "layers"},
      {"dim", "dim"}, {"head-size", "head_size"}, {"pos", "pos_encoding"},
      {"dssm-state", "dssm_state"}, {"kernel", "kernel"}, {"train-len", "train_len"},
      {"eval-len", "eval_lengths"}, {"steps", "steps"}, {"batch", "batch_size"}, {"lr", "lr"},
      {"wd", "weight_decay"}, {"beta1", "beta1"}, {"beta2", "beta2"}, {"warmup", "warmup"},
      {"min-lr", "min_lr_fraction"}, {"clip", "clip"}, {"train-size", "train_size"},
      {"eval-every", "eval_every"}, {"eval-count", "eval_count"},
      {"final-count", "final_eval_count"}, {"target-acc", "target_acc"}, {"seed", "seed"}};
  for (const auto& item : options.items()) {
    const std::string& key = item.key();
    const json& value = item.value();
    try {
      if (key == "relaxed") {
        if (value.get<bool>()) config.model.rwkv_rate = "relaxed";
      } else if (key == "no-decay-clamp") {
        if (value.get<bool>()) config.model.rwkv_decay = "unclamped";
      } else if (key == "signed") {
        if (value.get<bool>()) config.model.dssm_eigen = "signed";
      } else if (auto it = renamed.find(key); it != renamed.end()) {
        if (key == "eval-len" && text(value).empty()) continue;
        const core::ConfigField& field = core::require_config_field(it->second, where);
        field.set(config, value.is_string() ? core::parse_field_text(field, text(value))
                                            : core::check_field_value(field, value));
      }  // session options of that time (threads, progress, out, resume, force) carry nothing
    } catch (const std::exception& e) {
      throw std::invalid_argument(where + ": cannot convert the legacy option '" + key + "': " + e.what());
    }
  }
  return config;
}

}  // namespace

PreparedRun prepare_run(const core::RunConfig& config, const std::string& device) {
  PreparedRun run;
  run.task = tasks::make_task(config.task.task);
  run.source = tasks::make_batch_source(run.task, tasks::parse_objective(config.task.objective));
  core::ModelConfig model = config.model;
  model.vocab_size = run.source->vocab_size();
  model.num_classes = run.source->num_classes();
  run.model = core::make_seeded_model(model, config.train.seed);
  run.model->to(core::parse_device(device));
  return run;
}

json run_config_json(const core::RunConfig& config, const PreparedRun& run, const Session& session) {
  json out = core::to_json(config);
  out["format"] = kRunConfigFormat;
  out["run_id"] = core::run_id(config);
  out["variant"] = core::variant_of(config.model);
  out["derived"] = {{"task_description", run.task.description},
                    {"data", run.source->describe()},
                    {"vocab_size", run.model->config().vocab_size},
                    {"num_classes", run.model->config().num_classes},
                    {"num_parameters", run.model->num_parameters()},
                    {"state_floats", run.model->state_floats()},
                    {"chance_accuracy", run.source->chance_accuracy(config.train.train_min_len,
                                                                    config.train.train_max_len)}};
  out["session"] = {{"code_version", core::code_version()}, {"threads", session.threads},
                    {"device", run.model->device().str()},
                    {"host", host_name()}, {"started", utc_now()}};
  return out;
}

core::TrainResult run_training(const core::RunConfig& config, const Session& session) {
  core::validate(config);
  PreparedRun run = prepare_run(config, session.device);
  // Every length the run evaluates must have data (an `accept` objective needs positive and
  // negative strings of it), checked before anything is written; the chance levels are cached.
  for (const int64_t length : config.train.eval_lengths) run.source->chance_accuracy(length, length);
  core::RunDirectory dir(session.out_dir);
  if (session.resume && dir.has_config()) {
    const StoredRun stored = read_run_config(session.out_dir);
    if (stored.legacy)
      throw std::invalid_argument(session.out_dir + " was written by an older gooselab (no config format); "
                                  "it can be evaluated (gooselab eval) but not resumed: train it again with --force");
    if (core::run_id(stored.config) != core::run_id(config))
      throw std::invalid_argument("--resume: " + session.out_dir + " holds another configuration (run " +
                                  core::run_id(stored.config) + ", asked for " + core::run_id(config) + ")");
  } else {
    dir.create(run_config_json(config, run, session), session.force);
  }
  core::TrainOptions options;
  options.progress = session.progress;
  options.label = session.label;
  options.interrupt_after = session.interrupt_after;
  return core::train(*run.model, *run.source, config.train, &dir, options);
}

StoredRun read_run_config(const std::string& dir) {
  const core::RunDirectory run(dir);
  StoredRun stored;
  stored.json = run.read_config();
  const std::string where = run.config_path();
  if (stored.json.contains("options") && !stored.json.contains("format")) {
    stored.legacy = true;
    stored.config = convert_legacy(stored.json["options"], where);
  } else {
    const int format = stored.json.value("format", 0);
    if (format != kRunConfigFormat)
      throw std::invalid_argument(where + ": unknown config format " + std::to_string(format) +
                                  " (this gooselab reads format " + std::to_string(kRunConfigFormat) + ")");
    json sections = json::object();
    for (const char* name : {"task", "model", "train"})
      if (stored.json.contains(name)) sections[name] = stored.json[name];
    stored.config = core::run_config_from_json(sections, where);
  }
  stored.variant = core::variant_of(stored.config.model);
  return stored;
}

}  // namespace goose::experiments
