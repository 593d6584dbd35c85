// The command-line form of the field table (core/config.h): one --option per field, grouped
// by section, with its default and range in --help; --variant NAME; --config FILE. And the
// one rule that resolves them: defaults < --config file < --variant < the options given.
// Exports run_field_options(), FieldArgs, field_args(), resolve_run_config(), config_from_file().
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/config.h"

namespace goose::experiments {

namespace po = boost::program_options;

// Sections "task", "model" and "training" of every field, plus --variant and --config.
po::options_description run_field_options();

struct FieldArgs {
  std::vector<std::pair<std::string, std::string>> given;  // field name -> text, as typed
  std::string variant;      // --variant, "" when absent
  std::string config_file;  // --config, "" when absent
};
FieldArgs field_args(const po::variables_map& vm);

// A JSON file of fields: a run's config.json (its task/model/train sections), a sectioned or a
// flat object of field names, optionally with "variant". Errors name the file and the field.
core::RunConfig config_from_file(const std::string& path);

// defaults (or --config) < --variant < the options given. An option that contradicts the
// variant's own fields is an error ("--rwkv-rate relaxed contradicts --variant rwkv7").
core::RunConfig resolve_run_config(const FieldArgs& args);

// For --resume: every option given must equal the stored run's value (a resumed run may not
// change what it computes). Throws naming the first difference.
void check_same_as_stored(const FieldArgs& args, const core::RunConfig& stored, const std::string& dir);

}  // namespace goose::experiments
