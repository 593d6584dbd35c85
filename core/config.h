// A run as data: the task (spec, objective), the model (architecture and every knob) and
// the training (optimiser, schedule, budget, data, evaluation, seed). One table of fields
// drives the command-line options, --help, the JSON names (config.json, study files,
// results.csv columns) and validation, so a field is declared once. A run's identity is a
// hash of its resolved configuration. Exports TaskConfig, RunConfig, ConfigField,
// config_fields(), the field accessors, run_config_from_json(), validate(), run_id().
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "core/train.h"

namespace goose::core {

// What is learned. core never builds tasks; tasks/ turns the spec into data.
struct TaskConfig {
  std::string task;                // e.g. "parity", "group:S5@transpositions" (gooselab tasks list)
  std::string objective = "state"; // state | accept | accept-final
};

struct RunConfig {
  TaskConfig task;
  ModelConfig model;  // vocab_size / num_classes are derived from the task, not configured
  TrainConfig train;
};

enum class FieldType { Integer, Seed, Real, Text, Choice, LengthRange, LengthList };

struct ConfigField {
  std::string section;  // "task" | "model" | "train"
  std::string name;     // JSON, study-file and results.csv name; the option is --name with '-' for '_'
  FieldType type = FieldType::Integer;
  std::string help;
  std::vector<std::string> choices;  // Choice
  double min = -std::numeric_limits<double>::infinity();  // Integer / Real bounds
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;                // exclusive bounds
  bool identity = true;  // false: changes how a run is carried out, not what it computes
  std::function<nlohmann::json(const RunConfig&)> get;
  std::function<void(RunConfig&, const nlohmann::json&)> set;  // takes a checked value

  std::string option_name() const;  // "head-size" for head_size
  std::string describe_range() const;  // "one of a|b", ">= 1", "in [0,1)", ...
};

// Every field, in the order help and config.json list them.
const std::vector<ConfigField>& config_fields();
// By name ("head_size") or option name ("head-size"); nullptr when there is none.
const ConfigField* find_config_field(const std::string& name);
// Throws std::invalid_argument "unknown option 'x' (did you mean 'y'?)" naming `where`.
const ConfigField& require_config_field(const std::string& name, const std::string& where);

// A value as typed on the command line ("3..40", "1e-3", "rope") or as JSON (a study file,
// config.json), checked against the field's type, range and choices, returned normalised.
// Errors: std::invalid_argument "<name>: <what is wrong> (<expected>)".
nlohmann::json parse_field_text(const ConfigField& field, const std::string& text);
nlohmann::json check_field_value(const ConfigField& field, const nlohmann::json& value);
void set_field(RunConfig& config, const std::string& name, const nlohmann::json& value);
nlohmann::json get_field(const RunConfig& config, const std::string& name);

nlohmann::json to_json(const TaskConfig& config);
// {"task": {...}, "model": {...}, "train": {...}}: every field, by name.
nlohmann::json to_json(const RunConfig& config);
// Reads the sectioned form above or a flat object of field names; fields not given keep
// their defaults. Unknown names and bad values throw std::invalid_argument naming `where`.
RunConfig run_config_from_json(const nlohmann::json& json, const std::string& where);
// Every field's range plus the rules between fields (dim a multiple of head_size, ...).
void validate(const RunConfig& config);

// The identity fields only, sectioned: what a run computes.
nlohmann::json identity_json(const RunConfig& config);
// 16 hex digits of a 64-bit FNV-1a hash of identity_json's canonical text (sorted keys,
// shortest round-trip numbers): equal configurations, equal ids, on any machine.
std::string run_id(const RunConfig& config);

}  // namespace goose::core
