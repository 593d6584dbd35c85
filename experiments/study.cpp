// Study files (TOML, through toml++) and their plans (see study.h).
#include "experiments/study.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <toml++/toml.h>

#include "core/variants.h"
#include "tasks/task.h"

namespace goose::experiments {

namespace {

using json = nlohmann::json;

// "FILE:LINE: WHERE: what" (LINE omitted when unknown).
[[noreturn]] void fail(const std::string& path, int line, const std::string& where, const std::string& what) {
  throw std::invalid_argument(path + (line > 0 ? ":" + std::to_string(line) : "") + ": " + where + ": " + what);
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

json to_json_value(const toml::node& node, const std::string& path, const std::string& where) {
  if (auto v = node.as_integer()) return v->get();
  if (auto v = node.as_floating_point()) return v->get();
  if (auto v = node.as_string()) return v->get();
  if (auto v = node.as_boolean()) return v->get();
  if (auto array = node.as_array()) {
    json out = json::array();
    for (const auto& item : *array) out.push_back(to_json_value(item, path, where));
    return out;
  }
  fail(path, line_of(node), where, "expected a number, a string or a list");
}

// A value of a field (or "variant"), checked; returns the normalised value.
json check_value(const std::string& name, const json& value, const std::string& path, int line,
                 const std::string& where) {
  try {
    if (name == "variant") {
      if (!value.is_string()) fail(path, line, where, "variant: expected a string, got " + value.dump());
      core::find_model_variant(value.get<std::string>());
      return value;
    }
    const core::ConfigField& field = core::require_config_field(name, where);
    if (field.name == "seed") fail(path, line, where, "seed: use the study's 'seeds' list");
    return core::check_field_value(field, value);
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    if (message.rfind(path, 0) == 0) throw;
    fail(path, line, where, message);
  }
}

// An axis: a list of values, or a range {from, to, step} of an integer field.
StudyAxis parse_axis(const std::string& name, const toml::node& node, const std::string& path,
                     const std::string& where) {
  StudyAxis axis;
  axis.name = name;
  axis.line = line_of(node);
  const std::string at = where + "." + name;
  if (auto table = node.as_table()) {
    for (const auto& [key, value] : *table)
      if (key.str() != "from" && key.str() != "to" && key.str() != "step")
        fail(path, line_of(value), at, "unknown key '" + std::string(key.str()) + "' in a range (from, to, step)");
    const auto from = (*table)["from"].value<int64_t>(), to = (*table)["to"].value<int64_t>();
    const int64_t step = (*table)["step"].value_or<int64_t>(1);
    if (!from || !to) fail(path, axis.line, at, "a range needs integer 'from' and 'to'");
    if (step < 1 || *to < *from) fail(path, axis.line, at, "a range needs from <= to and step >= 1");
    for (int64_t v = *from; v <= *to; v += step) axis.values.push_back(v);
  } else if (auto array = node.as_array()) {
    axis.bundles = !array->empty() && (*array)[0].is_table();
    for (const auto& item : *array) {
      if (item.is_table() != axis.bundles) fail(path, line_of(item), at, "mixes bundles (tables) and plain values");
      if (!axis.bundles) {
        axis.values.push_back(to_json_value(item, path, at));
        continue;
      }
      if (name == "variant" || core::find_config_field(name))
        fail(path, line_of(item), at, "an axis of bundles needs a name of its own, not a field's");
      json bundle = json::object();
      for (const auto& [key, value] : *item.as_table()) {
        const std::string field(key.str());
        const json v = to_json_value(value, path, at + "." + field);
        bundle[field] = field == "name" ? v : check_value(field, v, path, line_of(value), at + "." + field);
      }
      if (!bundle.contains("name") || !bundle["name"].is_string())
        fail(path, line_of(item), at, "each bundle needs a \"name\" (a string that labels its cells)");
      axis.values.push_back(bundle);
    }
  } else {
    fail(path, axis.line, at, "expected a list of values or a range {from, to, step}");
  }
  if (axis.values.empty()) fail(path, axis.line, at, "empty axis");
  if (!axis.bundles)
    for (auto& value : axis.values) value = check_value(name, value, path, axis.line, at);
  return axis;
}

// In file order (toml++ keeps keys sorted): the first axis varies slowest in the plan.
std::vector<StudyAxis> parse_axes(const toml::table& table, const std::string& path, const std::string& where) {
  std::vector<StudyAxis> axes;
  for (const auto& [key, value] : table) axes.push_back(parse_axis(std::string(key.str()), value, path, where));
  std::stable_sort(axes.begin(), axes.end(), [](const StudyAxis& a, const StudyAxis& b) { return a.line < b.line; });
  return axes;
}

json parse_fixed(const toml::table& table, const std::string& path, const std::string& where,
                 std::map<std::string, int>* lines) {
  json fixed = json::object();
  for (const auto& [key, value] : table) {
    const std::string name(key.str());
    const int line = line_of(value);
    fixed[name] = check_value(name, to_json_value(value, path, where + "." + name), path, line, where + "." + name);
    if (lines) (*lines)[name] = line;
  }
  return fixed;
}

std::vector<uint64_t> parse_seeds(const toml::node& node, const std::string& path, const std::string& where) {
  std::vector<uint64_t> seeds;
  const auto* array = node.as_array();
  if (!array || array->empty()) fail(path, line_of(node), where, "expected a non-empty list of seeds");
  for (const auto& item : *array) {
    const auto v = item.value<int64_t>();
    if (!v || *v < 0) fail(path, line_of(item), where, "seeds are non-negative integers");
    seeds.push_back(uint64_t(*v));
  }
  return seeds;
}

const toml::table& require_table(const toml::node& node, const std::string& path, const std::string& where) {
  if (!node.is_table()) fail(path, line_of(node), where, "expected a table");
  return *node.as_table();
}

void check_keys(const toml::table& table, const std::set<std::string>& allowed, const std::string& path,
                const std::string& where) {
  for (const auto& [key, value] : table)
    if (!allowed.count(std::string(key.str()))) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(path, line_of(value), where.empty() ? std::string(key.str()) : where + "." + std::string(key.str()),
           "unknown key (expected one of " + list + ")");
    }
}

SuccessRule parse_success(const toml::table& table, const std::string& path) {
  check_keys(table, {"metric", "length", "threshold", "seeds"}, path, "success");
  SuccessRule rule;
  if (auto node = table.get("metric")) {
    rule.metric = node->value_or<std::string>("");
    if (rule.metric != "seq_acc" && rule.metric != "token_acc" && rule.metric != "scaled_acc" &&
        rule.metric != "val_seq_acc")
      fail(path, line_of(*node), "success.metric", "expected seq_acc, token_acc, scaled_acc or val_seq_acc");
  }
  if (auto node = table.get("length")) {
    if (auto text = node->value<std::string>(); text && *text == "train") rule.length = "train";
    else if (auto n = node->value<int64_t>(); n && *n > 0) rule.length = std::to_string(*n);
    else fail(path, line_of(*node), "success.length", "expected \"train\" or a positive evaluation length");
  }
  if (auto node = table.get("threshold")) {
    const auto v = node->value<double>();
    if (!v || *v < 0 || *v > 1) fail(path, line_of(*node), "success.threshold", "expected a number in [0, 1]");
    rule.threshold = *v;
  }
  if (auto node = table.get("seeds")) {
    rule.seeds = node->value_or<std::string>("");
    if (rule.seeds != "any" && rule.seeds != "majority" && rule.seeds != "all")
      fail(path, line_of(*node), "success.seeds", "expected any, majority or all");
  }
  return rule;
}

StudyAxis parse_search(const toml::table& table, const std::string& path) {
  check_keys(table, {"axis", "values"}, path, "search");
  const auto axis_name = table["axis"].value<std::string>();
  if (!axis_name) fail(path, line_of(table), "search.axis", "missing: the field to search (e.g. \"layers\")");
  const core::ConfigField* field = core::find_config_field(*axis_name);
  if (field == nullptr || field->type != core::FieldType::Integer)
    fail(path, line_of(*table.get("axis")), "search.axis",
         "'" + *axis_name + "' is not an integer field; a search needs a numeric axis (e.g. layers)");
  const toml::node* values = table.get("values");
  if (!values) fail(path, line_of(table), "search.values", "missing: the values to try, in order");
  StudyAxis axis = parse_axis(field->name, *values, path, "search");
  axis.name = field->name;
  return axis;
}

}  // namespace

json SuccessRule::to_json() const {
  return {{"metric", metric}, {"length", length}, {"threshold", threshold}, {"seeds", seeds}};
}

Study load_study(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (!std::filesystem::exists(path)) throw std::invalid_argument("study file " + path + " not found");
    fail(path, static_cast<int>(e.source().begin.line), "syntax", std::string(e.description()));
  }
  check_keys(root, {"name", "description", "seeds", "fixed", "axes", "success", "search", "sizes", "inspect"}, path, "");
  Study study;
  study.path = path;
  study.name = root["name"].value_or<std::string>(std::filesystem::path(path).stem().string());
  study.description = root["description"].value_or<std::string>("");
  if (auto node = root.get("inspect")) {
    if (!node->is_boolean()) fail(path, line_of(*node), "inspect", "expected true or false");
    study.inspect = node->value_or(false);
  }
  if (auto node = root.get("seeds")) study.seeds = parse_seeds(*node, path, "seeds");
  if (auto node = root.get("fixed")) study.fixed = parse_fixed(require_table(*node, path, "fixed"), path, "fixed", &study.fixed_lines);
  if (auto node = root.get("axes")) study.axes = parse_axes(require_table(*node, path, "axes"), path, "axes");
  if (auto node = root.get("success")) study.success = parse_success(require_table(*node, path, "success"), path);
  if (auto node = root.get("search")) study.search = parse_search(require_table(*node, path, "search"), path);
  if (auto node = root.get("sizes")) {
    // toml++ keeps keys sorted; the first size in the file is the default, so keep file order.
    std::vector<std::pair<int, std::string>> order;
    for (const auto& [key, value] : require_table(*node, path, "sizes")) {
      const std::string name(key.str());
      const std::string where = "sizes." + name;
      const toml::table& table = require_table(value, path, where);
      check_keys(table, {"description", "fixed", "axes", "seeds", "search"}, path, where);
      StudySize size;
      size.description = table["description"].value_or<std::string>("");
      if (auto n = table.get("fixed")) size.fixed = parse_fixed(require_table(*n, path, where + ".fixed"), path, where + ".fixed", nullptr);
      if (auto n = table.get("axes")) size.axes = parse_axes(require_table(*n, path, where + ".axes"), path, where + ".axes");
      if (auto n = table.get("seeds")) size.seeds = parse_seeds(*n, path, where + ".seeds");
      if (auto n = table.get("search")) {
        const toml::table& search = require_table(*n, path, where + ".search");
        check_keys(search, {"values"}, path, where + ".search");
        if (!study.search) fail(path, line_of(*n), where + ".search", "the study has no [search] to size");
        if (auto values = search.get("values"))
          size.search_values = parse_axis(study.search->name, *values, path, where + ".search").values;
      }
      study.sizes[name] = size;
      order.emplace_back(line_of(value), name);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [line, name] : order) study.size_names.push_back(name);
  }
  // An axis may not also be fixed, or be the searched field: say which one is meant.
  for (const auto& axis : study.axes) {
    if (study.fixed.contains(axis.name))
      fail(path, axis.line, "axes." + axis.name, "also set in [fixed]; keep one");
    if (study.search && study.search->name == axis.name)
      fail(path, axis.line, "axes." + axis.name, "also the [search] axis; keep one");
  }
  return study;
}

Plan make_plan(const Study& study, const std::string& size_name) {
  Plan plan;
  plan.study = study.name;
  plan.study_path = study.path;
  plan.description = study.description;
  plan.success = study.success;
  plan.inspect = study.inspect;
  json fixed = study.fixed;
  std::vector<StudyAxis> axes = study.axes;
  std::vector<uint64_t> seeds = study.seeds;
  std::optional<StudyAxis> search = study.search;
  if (!size_name.empty() || !study.size_names.empty()) {
    const std::string name = size_name.empty() ? study.size_names.front() : size_name;
    const auto it = study.sizes.find(name);
    if (it == study.sizes.end()) {
      std::string names;
      for (const auto& n : study.size_names) names += (names.empty() ? "" : ", ") + n;
      throw std::invalid_argument(study.path + ": no size '" + name + "' (sizes: " +
                                  (names.empty() ? "none" : names) + ")");
    }
    plan.size = name;
    const StudySize& size = it->second;
    for (const auto& item : size.fixed.items()) fixed[item.key()] = item.value();
    for (const auto& replacement : size.axes) {
      auto same = std::find_if(axes.begin(), axes.end(), [&](const StudyAxis& a) { return a.name == replacement.name; });
      if (same != axes.end()) *same = replacement;
      else axes.push_back(replacement);
      fixed.erase(replacement.name);
    }
    if (size.seeds) seeds = *size.seeds;
    if (size.search_values) search->values = *size.search_values;
  }
  for (const auto& axis : axes) plan.axes.push_back(axis.name);
  if (search) {
    plan.search_axis = search->name;
    plan.waves = static_cast<int>(search->values.size());
  }

  // The cartesian product of the axes (first axis slowest), then search values, then seeds.
  std::vector<size_t> index(axes.size(), 0);
  std::set<std::string> checked_tasks, ids;
  for (bool done = false; !done;) {
    json cell = json::object();
    for (size_t a = 0; a < axes.size(); ++a) {
      const json& value = axes[a].values[index[a]];
      cell[axes[a].name] = axes[a].bundles ? value["name"] : value;
    }
    for (int wave = 0; wave < plan.waves; ++wave) {
      for (const uint64_t seed : seeds) {
        core::RunConfig config;
        auto apply = [&](const std::string& name, const json& value, int line, const std::string& where) {
          try {
            if (name == "variant") core::apply_variant(config, value.get<std::string>());
            else core::set_field(config, name, value);
          } catch (const std::invalid_argument& e) {
            fail(study.path, line, where, e.what());
          }
        };
        if (fixed.contains("variant")) apply("variant", fixed["variant"], study.fixed_lines.count("variant") ? study.fixed_lines.at("variant") : 0, "fixed.variant");
        if (cell.contains("variant")) apply("variant", cell["variant"], 0, "axes.variant");
        for (size_t a = 0; a < axes.size(); ++a)
          if (axes[a].bundles && axes[a].values[index[a]].contains("variant"))
            apply("variant", axes[a].values[index[a]]["variant"], axes[a].line, "axes." + axes[a].name);
        for (const auto& item : fixed.items())
          if (item.key() != "variant")
            apply(item.key(), item.value(), study.fixed_lines.count(item.key()) ? study.fixed_lines.at(item.key()) : 0, "fixed." + item.key());
        for (size_t a = 0; a < axes.size(); ++a) {
          if (axes[a].bundles) {
            for (const auto& item : axes[a].values[index[a]].items())
              if (item.key() != "name" && item.key() != "variant")
                apply(item.key(), item.value(), axes[a].line, "axes." + axes[a].name + "." + item.key());
          } else if (axes[a].name != "variant") {
            apply(axes[a].name, cell[axes[a].name], axes[a].line, "axes." + axes[a].name);
          }
        }
        if (search) apply(search->name, search->values[wave], search->line, "search.values");
        config.train.seed = seed;
        try {
          core::validate(config);
          if (checked_tasks.insert(config.task.task).second) tasks::make_task(config.task.task);
        } catch (const std::invalid_argument& e) {
          fail(study.path, 0, "run " + cell.dump(), e.what());
        }
        PlannedRun run;
        run.config = config;
        run.run_id = core::run_id(config);
        run.cell = cell;
        run.seed = seed;
        run.wave = wave;
        run.variant = core::variant_of(config.model);
        if (!ids.insert(run.run_id).second)
          fail(study.path, 0, "run " + cell.dump(), "two runs of the plan have the same configuration");
        plan.runs.push_back(std::move(run));
      }
    }
    // The next cell: the last axis moves fastest; done after the last combination.
    done = true;
    for (size_t a = axes.size(); a-- > 0;) {
      if (++index[a] < axes[a].values.size()) {
        done = false;
        break;
      }
      index[a] = 0;
    }
  }
  return plan;
}

json plan_to_json(const Plan& plan) {
  json runs = json::array();
  for (const auto& run : plan.runs)
    runs.push_back({{"run_id", run.run_id}, {"cell", run.cell}, {"seed", run.seed}, {"wave", run.wave},
                    {"variant", run.variant}, {"config", core::to_json(run.config)}});
  return {{"study", plan.study}, {"study_path", plan.study_path}, {"size", plan.size},
          {"description", plan.description}, {"axes", plan.axes}, {"success", plan.success.to_json()},
          {"search_axis", plan.search_axis}, {"waves", plan.waves}, {"inspect", plan.inspect}, {"runs", runs}};
}

Plan plan_from_json(const json& in, const std::string& where) {
  try {
    Plan plan;
    plan.study = in.at("study").get<std::string>();
    plan.study_path = in.value("study_path", "");
    plan.size = in.at("size").get<std::string>();
    plan.description = in.value("description", "");
    plan.axes = in.at("axes").get<std::vector<std::string>>();
    const json& s = in.at("success");
    plan.success = {s.at("metric"), s.at("length"), s.at("threshold"), s.at("seeds")};
    plan.search_axis = in.at("search_axis").get<std::string>();
    plan.waves = in.at("waves").get<int>();
    plan.inspect = in.value("inspect", false);
    for (const auto& r : in.at("runs")) {
      PlannedRun run;
      run.run_id = r.at("run_id").get<std::string>();
      run.cell = r.at("cell");
      run.seed = r.at("seed").get<uint64_t>();
      run.wave = r.at("wave").get<int>();
      run.variant = r.value("variant", "");
      run.config = core::run_config_from_json(r.at("config"), where);
      plan.runs.push_back(std::move(run));
    }
    return plan;
  } catch (const json::exception& e) {
    throw std::invalid_argument(where + ": not a sweep plan (" + e.what() + ")");
  }
}

}  // namespace goose::experiments
