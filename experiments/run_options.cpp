// Run options from the field table (see run_options.h).
#include "experiments/run_options.h"

#include <stdexcept>

#include "core/files.h"
#include "core/variants.h"

namespace goose::experiments {

namespace {

using json = nlohmann::json;

std::string default_text(const core::ConfigField& field, const core::RunConfig& defaults) {
  const json value = field.get(defaults);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ",") + item.dump();
    return out;
  }
  return value.dump();
}

std::string variant_names() {
  std::string names;
  for (const auto& variant : core::model_variants()) names += (names.empty() ? "" : " | ") + variant.name;
  return names;
}

}  // namespace

po::options_description run_field_options() {
  const core::RunConfig defaults;
  po::options_description task("task"), model("model"), train("training");
  for (const auto& field : core::config_fields()) {
    po::options_description& group = field.section == "task" ? task : field.section == "model" ? model : train;
    std::string help = field.help;
    if (field.type == core::FieldType::Choice) help += " [" + field.describe_range() + "]";
    const std::string text = default_text(field, defaults);
    auto* value = po::value<std::string>()->value_name("V");
    if (!text.empty()) value->default_value(text);  // only shown: field_args() reads given options
    group.add_options()(field.option_name().c_str(), value, help.c_str());
  }
  model.add_options()("variant", po::value<std::string>()->value_name("NAME"),
                      ("a named model (sets arch and its knobs): " + variant_names()).c_str());
  task.add_options()("config", po::value<std::string>()->value_name("FILE"),
                     "JSON file of fields (e.g. another run's config.json); the options given override it");
  po::options_description all;
  all.add(task).add(model).add(train);
  return all;
}

FieldArgs field_args(const po::variables_map& vm) {
  FieldArgs args;
  for (const auto& field : core::config_fields()) {
    auto it = vm.find(field.option_name());
    if (it != vm.end() && !it->second.defaulted()) args.given.emplace_back(field.name, it->second.as<std::string>());
  }
  if (vm.count("variant")) args.variant = vm["variant"].as<std::string>();
  if (vm.count("config")) args.config_file = vm["config"].as<std::string>();
  return args;
}

core::RunConfig config_from_file(const std::string& path) {
  const json in = core::read_json(path);
  if (!in.is_object()) throw std::invalid_argument(path + ": expected a JSON object of fields");
  json fields = json::object();
  std::string variant;
  for (const auto& item : in.items()) {
    // A run's config.json also holds what it derived and how it ran: not configuration.
    if (item.key() == "format" || item.key() == "run_id" || item.key() == "derived" || item.key() == "session") continue;
    if (item.key() == "variant") {
      if (!item.value().is_string()) throw std::invalid_argument(path + ": variant must be a string");
      variant = item.value().get<std::string>();
      continue;
    }
    fields[item.key()] = item.value();
  }
  core::RunConfig config;
  if (!variant.empty()) core::apply_variant(config, variant);
  const core::RunConfig given = core::run_config_from_json(fields, path);
  // Fields in the file win over its variant; re-read them onto the variant's configuration.
  for (const auto& section : fields.items()) {
    const bool is_section = section.value().is_object();
    auto apply = [&](const std::string& name) { core::set_field(config, name, core::get_field(given, name)); };
    if (is_section) for (const auto& inner : section.value().items()) apply(inner.key());
    else apply(section.key());
  }
  return config;
}

core::RunConfig resolve_run_config(const FieldArgs& args) {
  core::RunConfig config = args.config_file.empty() ? core::RunConfig() : config_from_file(args.config_file);
  json variant_fields = json::object();
  if (!args.variant.empty()) {
    core::apply_variant(config, args.variant);
    variant_fields = core::find_model_variant(args.variant).fields;
  }
  for (const auto& [name, text] : args.given) {
    const core::ConfigField& field = core::require_config_field(name, "option");
    const json value = core::parse_field_text(field, text);
    if (variant_fields.contains(name) && variant_fields[name] != value)
      throw std::invalid_argument("--" + field.option_name() + " " + text + " contradicts --variant " +
                                  args.variant + " (which sets " + name + " " +
                                  variant_fields[name].get<std::string>() + "); drop one of them");
    field.set(config, value);
  }
  return config;
}

void check_same_as_stored(const FieldArgs& args, const core::RunConfig& stored, const std::string& dir) {
  for (const auto& [name, text] : args.given) {
    const core::ConfigField& field = core::require_config_field(name, "option");
    if (!field.identity) continue;
    const json value = core::parse_field_text(field, text);
    if (value != field.get(stored))
      throw std::invalid_argument("--resume: --" + field.option_name() + " " + text + " differs from the run's " +
                                  field.get(stored).dump() + " in " + dir + " (drop it, or start over with --force)");
  }
  if (!args.variant.empty()) {
    for (const auto& item : core::find_model_variant(args.variant).fields.items())
      if (core::get_field(stored, item.key()) != item.value())
        throw std::invalid_argument("--resume: --variant " + args.variant + " differs from the run in " + dir +
                                    " (its " + item.key() + " is " + core::get_field(stored, item.key()).dump() + ")");
  }
}

}  // namespace goose::experiments
