// Studies as data: a TOML file in experiments/studies/ naming fixed fields, axes to sweep
// (lists or ranges of any configuration field, plus named model variants), seeds, the
// success rule, an optional search ("minimum layers": per cell try 1, 2, 3, ... and stop at
// the first success) and named sizes (quick for a laptop, paper for a cluster or GPU).
// A plan is the study resolved at one size: every run's configuration and identity.
// Exports SuccessRule, Study, load_study(), PlannedRun, Plan, make_plan(), plan_to_json(),
// plan_from_json().
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace goose::experiments {

// When a run (and a cell of runs over seeds) counts as solved.
struct SuccessRule {
  std::string metric = "seq_acc";  // seq_acc | token_acc | scaled_acc (selected checkpoint, test set) | val_seq_acc
  std::string length = "train";    // "train" (the training lengths) or an evaluation length
  double threshold = 0.9;          // solved when metric >= threshold
  std::string seeds = "majority";  // any | majority | all: how a cell's seeds decide
  nlohmann::json to_json() const;
};

// An axis sweeps one field (or "variant"), or bundles: a list of inline tables of fields, each
// with a "name", for settings that go together (e.g. each task with its own lengths and
// budget); the axis then has a name of its own and its cells are labelled by the bundle name.
struct StudyAxis {
  std::string name;                   // a field name, "variant", or a bundle axis's own name
  std::vector<nlohmann::json> values;
  bool bundles = false;
  int line = 0;                       // in the study file
};

// What a named size changes: fixed fields (merged), whole axes (replaced), seeds, search values.
struct StudySize {
  nlohmann::json fixed = nlohmann::json::object();
  std::vector<StudyAxis> axes;
  std::optional<std::vector<uint64_t>> seeds;
  std::optional<std::vector<nlohmann::json>> search_values;
  std::string description;
};

struct Study {
  std::string path;
  std::string name;
  std::string description;
  nlohmann::json fixed = nlohmann::json::object();  // field (or "variant") -> value
  std::map<std::string, int> fixed_lines;
  std::vector<StudyAxis> axes;
  std::vector<uint64_t> seeds = {1};
  SuccessRule success;
  std::optional<StudyAxis> search;  // the searched field and the values tried, in order
  std::map<std::string, StudySize> sizes;
  std::vector<std::string> size_names;  // in file order
  bool inspect = false;  // run `inspect` on each finished run; its summary goes into results.csv
};

// Parses and checks a study file. Errors: std::invalid_argument "FILE:LINE: WHERE: what"
// (unknown field, a value of the wrong type, an empty axis, an unknown model variant, a
// search on an axis that is not an integer field).
Study load_study(const std::string& path);

struct PlannedRun {
  std::string run_id;
  core::RunConfig config;
  nlohmann::json cell;    // the axis values that name its cell (seed and search axis excluded)
  uint64_t seed = 0;
  int wave = 0;           // index of its search value (0 without a search)
  std::string variant;    // core::variant_of(config.model)
};

struct Plan {
  std::string study;
  std::string study_path;
  std::string size;
  std::string description;
  std::vector<std::string> axes;  // swept axis names, in order (seed and search excluded)
  SuccessRule success;
  std::string search_axis;        // "" without a search
  int waves = 1;
  bool inspect = false;
  std::vector<PlannedRun> runs;
};

// Resolves `size` ("" = the study's first size, or none when it has none). Checks every run
// (its configuration, its task) and throws std::invalid_argument naming the study file.
Plan make_plan(const Study& study, const std::string& size);

nlohmann::json plan_to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace goose::experiments
