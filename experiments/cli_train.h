// What `gooselab train`, `eval` and `compare` share: the train options (one
// options_description, so names and defaults match everywhere), their resolution from the
// command line, a --config JSON file and a resumed run's config.json, and one training run.
// Exports TrainSetup, resolve_train_setup(), run_training().
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "core/text.h"
#include "core/train.h"
#include "experiments/commands.h"

namespace goose::experiments {

struct TrainSetup {
  std::string task;
  std::string objective = "state";
  core::ModelConfig model;   // vocab_size / num_classes filled from the task
  core::TrainConfig train;
  int threads = 0;           // intra-op threads; 0 = leave as set
  nlohmann::json options;    // the resolved options by their command-line names
};

// Parses `gooselab train` arguments (with --config and, for --resume, the run's stored
// options underneath). Throws std::invalid_argument with a one-line message.
TrainSetup resolve_train_setup(const Args& args);
// The same from a run's config.json "options" (gooselab eval).
TrainSetup setup_from_options(const nlohmann::json& options);

// Builds the task, its batch source and the seeded model, and trains into setup.train.out_dir.
core::TrainResult run_training(const TrainSetup& setup);


// The source tree's analysis/ script path (GOOSE_SOURCE_DIR, else this build's sources).
std::string source_dir();

}  // namespace goose::experiments
