// One run end to end, shared by train, eval, compare and the sweep: a resolved RunConfig and
// a session become the task, its data, the seeded model, the run directory and the training;
// a run directory's config.json becomes a RunConfig again (the current format, or a
// converted legacy one). Exports Session, PreparedRun, prepare_run(), run_config_json(),
// run_training(), StoredRun, read_run_config().
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/batch.h"
#include "core/config.h"
#include "core/model.h"
#include "core/train.h"
#include "tasks/task.h"

namespace goose::experiments {

// How a run is carried out; recorded in config.json, never part of its identity.
struct Session {
  std::string out_dir;
  bool resume = false;             // continue out_dir from its last checkpoint
  bool force = false;              // start over in a non-empty out_dir
  int threads = 1;                 // intra-op threads (recorded: results depend on it in the last bits)
  std::string device = "cpu";      // cpu | cuda | cuda:N | auto (recorded, not part of the identity)
  std::string progress = "auto";   // auto | lines | off
  std::string label;               // prefix of progress lines
  int64_t interrupt_after = 0;     // tests
};

struct PreparedRun {
  tasks::Task task;
  std::unique_ptr<core::BatchSource> source;
  std::shared_ptr<core::SequenceModel> model;  // seeded with the run's seed
};
// Builds the task and its batch source, fills the model's vocabulary and classes from it,
// and makes the seeded model (initialised on the CPU, then moved to `device`, so a seed gives
// the same initial weights everywhere). Throws std::invalid_argument on a bad task or model.
PreparedRun prepare_run(const core::RunConfig& config, const std::string& device = "cpu");

// config.json: {"format", "run_id", "variant", "task", "model", "train", "derived", "session"}.
constexpr int kRunConfigFormat = 2;
nlohmann::json run_config_json(const core::RunConfig& config, const PreparedRun& run,
                               const Session& session);

// Trains config into session.out_dir: a fresh directory, or with session.resume the run
// already there (its stored configuration must equal `config`; a finished run trains no more
// and reports its checkpoints again, with the same numbers). Throws core::TrainingDiverged,
// std::invalid_argument.
core::TrainResult run_training(const core::RunConfig& config, const Session& session);

struct StoredRun {
  core::RunConfig config;
  std::string variant;           // "" when the model matches no named variant
  bool legacy = false;           // written by gooselab before config format 2 (converted)
  nlohmann::json json;           // config.json as stored
};
// Reads DIR/config.json. Legacy directories (an "options" object of command-line names, from
// gooselab before 2026-11-29) are converted field by field; they can be evaluated, not resumed.
StoredRun read_run_config(const std::string& dir);

}  // namespace goose::experiments
