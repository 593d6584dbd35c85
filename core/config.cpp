// The field table (see config.h): every configurable field of a run, declared once with its
// name, type, range, help text and accessors; JSON, validation and the run id follow from it.
#include "core/config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "core/text.h"

namespace goose::core {

namespace {

using json = nlohmann::json;

// Accessors from a member pointer: RunConfig::*section then Section::*member.
template <class Section, class T>
ConfigField make_field(const char* section_name, Section RunConfig::*section, T Section::*member,
                       const char* name, FieldType type, const char* help) {
  ConfigField f;
  f.section = section_name;
  f.name = name;
  f.type = type;
  f.help = help;
  f.get = [section, member](const RunConfig& c) { return json((c.*section).*member); };
  f.set = [section, member](RunConfig& c, const json& v) { (c.*section).*member = v.get<T>(); };
  return f;
}

ConfigField task_field(std::string TaskConfig::*m, const char* name, FieldType type, const char* help) {
  return make_field("task", &RunConfig::task, m, name, type, help);
}
template <class T>
ConfigField model_field(T ModelConfig::*m, const char* name, FieldType type, const char* help) {
  return make_field("model", &RunConfig::model, m, name, type, help);
}
template <class T>
ConfigField train_field(T TrainConfig::*m, const char* name, FieldType type, const char* help) {
  return make_field("train", &RunConfig::train, m, name, type, help);
}

ConfigField choice(ConfigField f, std::vector<std::string> choices) {
  f.choices = std::move(choices);
  return f;
}
ConfigField at_least(ConfigField f, double min, bool open = false) {
  f.min = min;
  f.min_open = open;
  return f;
}
ConfigField in_range(ConfigField f, double min, double max, bool min_open, bool max_open) {
  f.min = min;
  f.max = max;
  f.min_open = min_open;
  f.max_open = max_open;
  return f;
}
ConfigField session_only(ConfigField f) {
  f.identity = false;
  return f;
}

std::vector<ConfigField> build_fields() {
  using T = FieldType;
  std::vector<ConfigField> f;
  // task
  f.push_back(task_field(&TaskConfig::task, "task", T::Text,
                         "task spec, e.g. parity, tomita:3, group:S5@transpositions (gooselab tasks list)"));
  f.push_back(choice(task_field(&TaskConfig::objective, "objective", T::Choice,
                                "labels: the state at every position, accept/reject of every prefix, or of the whole string"),
                     {"state", "accept", "accept-final"}));
  // model
  f.push_back(choice(model_field(&ModelConfig::arch, "arch", T::Choice, "architecture (or pick a named --variant)"),
                     {"rwkv7", "transformer", "dssm", "lstm"}));
  f.push_back(at_least(model_field(&ModelConfig::layers, "layers", T::Integer, "layers"), 1));
  f.push_back(at_least(model_field(&ModelConfig::dim, "dim", T::Integer, "model width"), 1));
  f.push_back(at_least(model_field(&ModelConfig::head_size, "head_size", T::Integer,
                                   "RWKV-7 / Transformer head width (heads = dim / head_size)"), 1));
  f.push_back(choice(model_field(&ModelConfig::rwkv_rate, "rwkv_rate", T::Choice,
                                 "RWKV-7 in-context rate a: released (0,1) | relaxed (0,2) | stable (1+w)·σ, λ* > -1"),
                     {"released", "relaxed", "stable"}));
  f.push_back(choice(model_field(&ModelConfig::rwkv_decay, "rwkv_decay", T::Choice,
                                 "RWKV-7 decay w: clamped (0.545,1) as released | unclamped (0,1), same initial w"),
                     {"clamped", "unclamped"}));
  f.push_back(choice(model_field(&ModelConfig::rwkv_init, "rwkv_init", T::Choice,
                                 "RWKV-7 initialisation: official (train.py, orthogonal) | simple (single-file trainer, uniform)"),
                     {"official", "simple"}));
  f.push_back(at_least(model_field(&ModelConfig::rwkv_lora_decay, "rwkv_lora_decay", T::Integer, "RWKV-7 decay low-rank size (0 = automatic)"), 0));
  f.push_back(at_least(model_field(&ModelConfig::rwkv_lora_a, "rwkv_lora_a", T::Integer, "RWKV-7 in-context rate low-rank size (0 = automatic)"), 0));
  f.push_back(at_least(model_field(&ModelConfig::rwkv_lora_value, "rwkv_lora_value", T::Integer, "RWKV-7 value-residual low-rank size (0 = automatic)"), 0));
  f.push_back(at_least(model_field(&ModelConfig::rwkv_lora_gate, "rwkv_lora_gate", T::Integer, "RWKV-7 gate low-rank size (0 = automatic)"), 0));
  f.push_back(choice(model_field(&ModelConfig::pos_encoding, "pos_encoding", T::Choice, "Transformer positions"),
                     {"rope", "learned", "sinusoidal", "none"}));
  f.push_back(at_least(model_field(&ModelConfig::max_len, "max_len", T::Integer, "Transformer learned positions: table size"), 1));
  f.push_back(choice(model_field(&ModelConfig::dssm_eigen, "dssm_eigen", T::Choice,
                                 "diagonal SSM eigenvalues: real (0,1) | signed (-1,1) | complex (unit disk) | complex-unit (unit circle)"),
                     {"real", "signed", "complex", "complex-unit"}));
  f.push_back(at_least(model_field(&ModelConfig::dssm_state, "dssm_state", T::Integer, "diagonal SSM state per channel"), 1));
  f.push_back(at_least(model_field(&ModelConfig::dssm_expand, "dssm_expand", T::Integer, "diagonal SSM inner width = expand * dim"), 1));
  f.push_back(session_only(choice(model_field(&ModelConfig::kernel, "kernel", T::Choice,
                                              "kernels: auto (fused RWKV-7 mixes on the CPU), fused, or the unfused chain around the recurrence's reference|cpu|cuda|loop (debugging; not part of a run's identity)"),
                                  {"auto", "fused", "reference", "cpu", "cuda", "loop"})));
  // training
  f.push_back(at_least(train_field(&TrainConfig::steps, "steps", T::Integer, "step budget"), 1));
  f.push_back(at_least(train_field(&TrainConfig::batch_size, "batch_size", T::Integer, "sequences per step"), 1));
  f.push_back(at_least(train_field(&TrainConfig::lr, "lr", T::Real, "peak learning rate (AdamW)"), 0, true));
  f.push_back(at_least(train_field(&TrainConfig::weight_decay, "weight_decay", T::Real, "AdamW weight decay (matrices and embedding)"), 0));
  f.push_back(in_range(train_field(&TrainConfig::beta1, "beta1", T::Real, "AdamW beta1"), 0, 1, false, true));
  f.push_back(in_range(train_field(&TrainConfig::beta2, "beta2", T::Real, "AdamW beta2"), 0, 1, false, true));
  f.push_back(at_least(train_field(&TrainConfig::adam_eps, "adam_eps", T::Real, "AdamW epsilon"), 0, true));
  f.push_back(at_least(train_field(&TrainConfig::warmup, "warmup", T::Integer, "linear warm-up steps, then cosine decay"), 0));
  f.push_back(in_range(train_field(&TrainConfig::min_lr_fraction, "min_lr_fraction", T::Real, "final learning rate as a fraction of lr"), 0, 1, false, false));
  f.push_back(at_least(train_field(&TrainConfig::clip, "clip", T::Real, "gradient norm clip (0 = off)"), 0));
  f.push_back(at_least(train_field(&TrainConfig::max_loss, "max_loss", T::Real, "a loss above this stops the run as diverged"), 0, true));
  f.push_back(choice(train_field(&TrainConfig::precision, "precision", T::Choice,
                                 "training arithmetic: fp32 | bf16 (autocast of the matrix products; states and kernels fp32)"),
                     {"fp32", "bf16"}));
  {
    ConfigField len;
    len.section = "train";
    len.name = "train_len";
    len.type = T::LengthRange;
    len.help = "training lengths A..B (symbols, uniform), or one length";
    len.get = [](const RunConfig& c) {
      return json(format_length_range(c.train.train_min_len, c.train.train_max_len));
    };
    len.set = [](RunConfig& c, const json& v) {
      std::tie(c.train.train_min_len, c.train.train_max_len) =
          parse_length_range(v.get<std::string>(), "train_len");
    };
    f.push_back(len);
  }
  f.push_back(train_field(&TrainConfig::eval_lengths, "eval_lengths", T::LengthList,
                          "test lengths besides the training range, e.g. 64,128,256"));
  f.push_back(at_least(train_field(&TrainConfig::train_size, "train_size", T::Integer,
                                   "a fixed training set of this many sequences (0 = fresh samples every step)"), 0));
  f.push_back(train_field(&TrainConfig::seed, "seed", T::Seed, "seed of initialisation and data"));
  f.push_back(at_least(train_field(&TrainConfig::eval_every, "eval_every", T::Integer, "steps between evaluations and checkpoints"), 1));
  f.push_back(at_least(train_field(&TrainConfig::eval_count, "eval_count", T::Integer, "validation sequences per evaluation (checkpoint selection)"), 1));
  f.push_back(at_least(train_field(&TrainConfig::final_eval_count, "final_eval_count", T::Integer, "test sequences per length in the final report"), 1));
  f.push_back(at_least(train_field(&TrainConfig::eval_batch, "eval_batch", T::Integer, "sequences per evaluation forward pass"), 1));
  f.push_back(in_range(train_field(&TrainConfig::target_acc, "target_acc", T::Real,
                                   "stop at this validation sequence accuracy (0 = never)"), 0, 1, false, false));
  return f;
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string with_dashes(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

// Levenshtein distance, for "did you mean" hints.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

[[noreturn]] void bad_value(const ConfigField& field, const std::string& what) {
  throw std::invalid_argument(field.name + ": " + what + " (" + field.describe_range() + ")");
}

void check_number(const ConfigField& field, double value) {
  const bool low = field.min_open ? !(value > field.min) : !(value >= field.min);
  const bool high = field.max_open ? !(value < field.max) : !(value <= field.max);
  if (!std::isfinite(value) || low || high) bad_value(field, "got " + number_text(value));
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

json section_json(const RunConfig& config, const std::string& section, bool identity_only) {
  json out = json::object();
  for (const auto& field : config_fields())
    if (field.section == section && (field.identity || !identity_only))
      out[field.name] = field.get(config);
  return out;
}

}  // namespace

std::string ConfigField::option_name() const { return with_dashes(name); }

std::string ConfigField::describe_range() const {
  switch (type) {
    case FieldType::Choice: return "one of " + join(choices, ", ");
    case FieldType::Text: return "text";
    case FieldType::LengthRange: return "a length range A..B with 1 <= A <= B, or one length";
    case FieldType::LengthList: return "positive lengths separated by commas, e.g. 64,128";
    case FieldType::Seed: return "a non-negative integer";
    case FieldType::Integer:
    case FieldType::Real: break;
  }
  const std::string kind = type == FieldType::Integer ? "an integer" : "a number";
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max)
    return kind + " in " + (min_open ? "(" : "[") + number_text(min) + ", " + number_text(max) +
           (max_open ? ")" : "]");
  if (has_min) return kind + (min_open ? " > " : " >= ") + number_text(min);
  if (has_max) return kind + (max_open ? " < " : " <= ") + number_text(max);
  return kind;
}

const std::vector<ConfigField>& config_fields() {
  static const std::vector<ConfigField> fields = build_fields();
  return fields;
}

const ConfigField* find_config_field(const std::string& name) {
  for (const auto& field : config_fields())
    if (field.name == name || field.option_name() == name) return &field;
  return nullptr;
}

const ConfigField& require_config_field(const std::string& name, const std::string& where) {
  if (const ConfigField* field = find_config_field(name)) return *field;
  std::string best;
  size_t best_distance = 4;  // suggest only close names
  for (const auto& field : config_fields()) {
    const size_t d = std::min(edit_distance(name, field.name), edit_distance(name, field.option_name()));
    if (d < best_distance) {
      best_distance = d;
      best = field.name;
    }
  }
  throw std::invalid_argument(where + ": unknown field '" + name + "'" +
                              (best.empty() ? "" : " (did you mean '" + best + "'?)"));
}

json check_field_value(const ConfigField& field, const json& value) {
  switch (field.type) {
    case FieldType::Integer: {
      if (!value.is_number_integer()) bad_value(field, "expected an integer, got " + value.dump());
      const int64_t v = value.get<int64_t>();
      check_number(field, double(v));
      return v;
    }
    case FieldType::Seed: {
      if (!value.is_number_integer() || (value.is_number_integer() && !value.is_number_unsigned() &&
                                         value.get<int64_t>() < 0))
        bad_value(field, "expected a non-negative integer, got " + value.dump());
      return value.get<uint64_t>();
    }
    case FieldType::Real: {
      if (!value.is_number()) bad_value(field, "expected a number, got " + value.dump());
      const double v = value.get<double>();
      check_number(field, v);
      return v;
    }
    case FieldType::Text:
      if (!value.is_string()) bad_value(field, "expected a string, got " + value.dump());
      return value;
    case FieldType::Choice: {
      if (!value.is_string()) bad_value(field, "expected a string, got " + value.dump());
      const std::string v = value.get<std::string>();
      if (std::find(field.choices.begin(), field.choices.end(), v) == field.choices.end())
        bad_value(field, "unknown value '" + v + "'");
      return v;
    }
    case FieldType::LengthRange: {
      // A study may write 16 for "16"; the canonical form is the text "A..B" / "A".
      std::string text;
      if (value.is_number_integer()) text = std::to_string(value.get<int64_t>());
      else if (value.is_string()) text = value.get<std::string>();
      else bad_value(field, "expected a length range, got " + value.dump());
      try {
        const auto [lo, hi] = parse_length_range(text, field.name);
        return format_length_range(lo, hi);
      } catch (const std::invalid_argument&) {
        bad_value(field, "bad value '" + text + "'");
      }
    }
    case FieldType::LengthList: {
      std::vector<int64_t> lengths;
      if (value.is_string()) {
        try {
          lengths = parse_length_list(value.get<std::string>(), field.name);
        } catch (const std::invalid_argument&) {
          bad_value(field, "bad value '" + value.get<std::string>() + "'");
        }
      } else if (value.is_array()) {
        for (const auto& item : value) {
          if (!item.is_number_integer() || item.get<int64_t>() < 1)
            bad_value(field, "bad length " + item.dump());
          lengths.push_back(item.get<int64_t>());
        }
      } else {
        bad_value(field, "expected a list of lengths, got " + value.dump());
      }
      return lengths;
    }
  }
  bad_value(field, "unsupported");
}

json parse_field_text(const ConfigField& field, const std::string& text) {
  switch (field.type) {
    case FieldType::Integer:
    case FieldType::Seed: {
      int64_t v = 0;
      try {
        v = parse_int64(text, field.name);
      } catch (const std::invalid_argument&) {
        bad_value(field, "'" + text + "' is not an integer");
      }
      return check_field_value(field, v);
    }
    case FieldType::Real: {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) bad_value(field, "'" + text + "' is not a number");
      return check_field_value(field, v);
    }
    case FieldType::Text:
    case FieldType::Choice:
    case FieldType::LengthRange:
    case FieldType::LengthList:
      return check_field_value(field, text);
  }
  bad_value(field, "unsupported");
}

void set_field(RunConfig& config, const std::string& name, const json& value) {
  const ConfigField& field = require_config_field(name, "config");
  field.set(config, check_field_value(field, value));
}

json get_field(const RunConfig& config, const std::string& name) {
  return require_config_field(name, "config").get(config);
}

json to_json(const TaskConfig& config) {
  RunConfig run;
  run.task = config;
  return section_json(run, "task", false);
}

json to_json(const ModelConfig& config) {
  RunConfig run;
  run.model = config;
  return section_json(run, "model", false);
}

json to_json(const TrainConfig& config) {
  RunConfig run;
  run.train = config;
  return section_json(run, "train", false);
}

json to_json(const RunConfig& config) {
  return {{"task", section_json(config, "task", false)},
          {"model", section_json(config, "model", false)},
          {"train", section_json(config, "train", false)}};
}

json identity_json(const RunConfig& config) {
  return {{"task", section_json(config, "task", true)},
          {"model", section_json(config, "model", true)},
          {"train", section_json(config, "train", true)}};
}

RunConfig run_config_from_json(const json& in, const std::string& where) {
  if (!in.is_object()) throw std::invalid_argument(where + ": expected a JSON object of fields");
  RunConfig config;
  auto apply = [&](const std::string& name, const json& value, const std::string& section) {
    const ConfigField& field = require_config_field(name, where);
    if (!section.empty() && field.section != section)
      throw std::invalid_argument(where + ": field '" + name + "' belongs in \"" + field.section +
                                  "\", not \"" + section + "\"");
    try {
      field.set(config, check_field_value(field, value));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
  };
  for (const auto& item : in.items()) {
    const bool is_section = (item.key() == "task" || item.key() == "model" || item.key() == "train") &&
                            item.value().is_object();
    if (is_section) {
      for (const auto& inner : item.value().items()) apply(inner.key(), inner.value(), item.key());
    } else {
      apply(item.key(), item.value(), "");
    }
  }
  return config;
}

void validate(const TrainConfig& t) {
  auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  RunConfig run;
  run.train = t;
  for (const auto& field : config_fields())
    if (field.section == "train") check_field_value(field, field.get(run));
  if (t.train_min_len < 1 || t.train_max_len < t.train_min_len)
    fail("train_len: must be A..B with 1 <= A <= B (got " + std::to_string(t.train_min_len) + ".." +
         std::to_string(t.train_max_len) + ")");
  if (t.train_size > 0 && t.train_size < t.batch_size)
    fail("train_size: " + std::to_string(t.train_size) + " is smaller than batch_size " +
         std::to_string(t.batch_size));
}

void validate(const RunConfig& config) {
  for (const auto& field : config_fields()) check_field_value(field, field.get(config));
  if (config.task.task.empty()) throw std::invalid_argument("task: missing (e.g. --task parity)");
  validate(config.train);
  const ModelConfig& m = config.model;
  if ((m.arch == "rwkv7" || m.arch == "transformer") && m.dim % m.head_size != 0)
    throw std::invalid_argument("dim: " + std::to_string(m.dim) + " is not a multiple of head_size " +
                                std::to_string(m.head_size));
  if (m.arch == "transformer" && m.pos_encoding == "rope" && m.head_size % 2 != 0)
    throw std::invalid_argument("head_size: rope needs an even head size (got " +
                                std::to_string(m.head_size) + ")");
  if (m.arch == "transformer" && m.pos_encoding == "learned") {
    // A sequence is BOS and its symbols: the table needs one position more than the longest.
    int64_t longest = config.train.train_max_len;
    for (const int64_t length : config.train.eval_lengths) longest = std::max(longest, length);
    if (longest + 1 > m.max_len)
      throw std::invalid_argument("max_len: " + std::to_string(m.max_len) +
                                  " learned positions cannot hold the run's sequences of " +
                                  std::to_string(longest) + " symbols and BOS (use at least " +
                                  std::to_string(longest + 1) + ")");
  }
}

std::string run_id(const RunConfig& config) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(fnv1a(identity_json(config).dump())));
  return text;
}

}  // namespace goose::core
