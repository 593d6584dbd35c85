// JSON schema checks of run directories and eval output (see run_schema.h).
#include "tests/support/run_schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <set>

#include "core/config.h"
#include "core/train.h"
#include "core/variants.h"

namespace goose::testing {

namespace {

using json = nlohmann::json;

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  if (object.is_object())
    for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

bool is_unit(const json& value) {
  return value.is_number() && value.get<double>() >= 0.0 && value.get<double>() <= 1.0;
}

int64_t eval_count(const json& config, const char* name) { return config["train"][name].get<int64_t>(); }

std::pair<int64_t, int64_t> train_range(const json& config) {
  const std::string text = config["train"]["train_len"];
  const size_t dots = text.find("..");
  if (dots == std::string::npos) return {std::stoll(text), std::stoll(text)};
  return {std::stoll(text.substr(0, dots)), std::stoll(text.substr(dots + 2))};
}

bool per_position(const json& config) { return config["task"]["objective"] == "state"; }

}  // namespace

void expect_point(const json& p, int64_t min_len, int64_t max_len, int64_t count, bool every_position,
                  const std::string& where) {
  SCOPED_TRACE(where + ": " + p.dump());
  const bool exact = min_len == max_len;
  const std::set<std::string> want =
      exact ? std::set<std::string>{"length", "count", "token_acc", "seq_acc", "chance", "scaled_token_acc"}
            : std::set<std::string>{"min_len", "max_len", "count", "token_acc", "seq_acc", "chance", "scaled_token_acc"};
  ASSERT_EQ(keys_of(p), want);
  if (exact) {
    EXPECT_EQ(p["length"], min_len);
  } else {
    EXPECT_EQ(p["min_len"], min_len);
    EXPECT_EQ(p["max_len"], max_len);
  }
  EXPECT_EQ(p["count"], count);
  ASSERT_TRUE(is_unit(p["token_acc"]) && is_unit(p["seq_acc"]) && is_unit(p["chance"]));
  const double token = p["token_acc"], seq = p["seq_acc"], chance = p["chance"], scaled = p["scaled_token_acc"];
  EXPECT_NEAR(scaled, chance < 1.0 ? (token - chance) / (1.0 - chance) : 0.0, 1e-12);
  if (!every_position) return;
  const double correct = seq * double(count);  // every sequence is labelled: whole sequences right
  EXPECT_NEAR(correct, std::round(correct), 1e-6 * double(count));
  if (exact) EXPECT_LE(seq, token);
}

void expect_config_json(const json& config, int threads) {
  SCOPED_TRACE("config.json: " + config.dump());
  ASSERT_EQ(keys_of(config), (std::set<std::string>{"format", "run_id", "variant", "task", "model", "train",
                                                   "derived", "session"}));
  EXPECT_EQ(config["format"], 2);
  // Each section: exactly the field table's fields of that section, each a valid value as stored.
  for (const char* section : {"task", "model", "train"}) {
    std::set<std::string> want;
    for (const auto& field : core::config_fields())
      if (field.section == section) want.insert(field.name);
    EXPECT_EQ(keys_of(config[section]), want) << section;
    for (const auto& field : core::config_fields()) {
      if (field.section != section || !config[section].contains(field.name)) continue;
      const json& value = config[section][field.name];
      try {
        EXPECT_EQ(core::check_field_value(field, value), value) << field.name << " is not in its canonical form";
      } catch (const std::invalid_argument& e) {
        ADD_FAILURE() << section << "." << field.name << " = " << value.dump() << ": " << e.what();
      }
    }
  }
  json sections = {{"task", config["task"]}, {"model", config["model"]}, {"train", config["train"]}};
  const core::RunConfig run = core::run_config_from_json(sections, "config.json");
  EXPECT_NO_THROW(core::validate(run));
  EXPECT_EQ(config["run_id"], core::run_id(run));
  EXPECT_TRUE(std::regex_match(config["run_id"].get<std::string>(), std::regex("[0-9a-f]{16}")));
  EXPECT_EQ(config["variant"], core::variant_of(run.model));

  const json& derived = config["derived"];
  EXPECT_EQ(keys_of(derived), (std::set<std::string>{"task_description", "data", "vocab_size", "num_classes",
                                                    "num_parameters", "state_floats", "chance_accuracy"}));
  EXPECT_TRUE(derived["task_description"].is_string() && !derived["task_description"].get<std::string>().empty());
  EXPECT_TRUE(derived["data"].is_string() && !derived["data"].get<std::string>().empty());
  for (const char* count : {"vocab_size", "num_classes", "num_parameters", "state_floats"})
    EXPECT_TRUE(derived[count].is_number_integer() && derived[count].get<int64_t>() > 0) << count;
  // Tokens: pad, BOS and at least one symbol; at least two classes to tell apart.
  EXPECT_GE(derived["vocab_size"].get<int64_t>(), 3);
  EXPECT_GE(derived["num_classes"].get<int64_t>(), 2);
  EXPECT_TRUE(is_unit(derived["chance_accuracy"]));

  const json& session = config["session"];
  EXPECT_EQ(keys_of(session), (std::set<std::string>{"code_version", "threads", "device", "host", "started"}));
  EXPECT_EQ(session["threads"], threads);
  EXPECT_TRUE(session["device"] == "cpu" || session["device"].get<std::string>().rfind("cuda", 0) == 0) << session["device"];
  EXPECT_TRUE(session["code_version"].is_string() && !session["code_version"].get<std::string>().empty());
  EXPECT_NE(session["code_version"], "unknown");
  EXPECT_TRUE(session["host"].is_string() && !session["host"].get<std::string>().empty());
  EXPECT_TRUE(std::regex_match(session["started"].get<std::string>(),
                               std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")));
}

void expect_metrics_lines(const std::vector<json>& lines, const json& config) {
  const json sections = {{"task", config["task"]}, {"model", config["model"]}, {"train", config["train"]}};
  const core::TrainConfig train = core::run_config_from_json(sections, "config.json").train;
  const auto [lo, hi] = train_range(config);
  std::vector<int64_t> want_steps;
  for (int64_t s = train.eval_every; s < train.steps; s += train.eval_every) want_steps.push_back(s);
  want_steps.push_back(train.steps);  // a run stopped at its target ends earlier: not this helper's case
  ASSERT_EQ(lines.size(), want_steps.size());
  int64_t tokens = 0;
  double wall = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const json& line = lines[i];
    SCOPED_TRACE("metrics.jsonl line " + std::to_string(i + 1) + ": " + line.dump());
    ASSERT_EQ(keys_of(line), (std::set<std::string>{"step", "lr", "loss", "train_token_acc", "validation", "lengths",
                                                   "tokens", "wall_seconds", "tokens_per_second"}));
    const int64_t step = line["step"];
    EXPECT_EQ(step, want_steps[i]);
    EXPECT_EQ(line["lr"].get<double>(), core::learning_rate(train, step - 1));  // the rate of that step, exactly
    EXPECT_TRUE(std::isfinite(line["loss"].get<double>()) && line["loss"].get<double>() > 0);
    EXPECT_TRUE(is_unit(line["train_token_acc"]));
    EXPECT_GT(line["tokens"].get<int64_t>(), tokens);  // tokens grow with every step
    tokens = line["tokens"];
    EXPECT_GE(line["wall_seconds"].get<double>(), wall);
    wall = line["wall_seconds"];
    EXPECT_GT(line["tokens_per_second"].get<double>(), 0.0);
    expect_point(line["validation"], lo, hi, train.eval_count, per_position(config), "validation");
    ASSERT_EQ(line["lengths"].size(), train.eval_lengths.size());
    for (size_t k = 0; k < train.eval_lengths.size(); ++k)
      expect_point(line["lengths"][k], train.eval_lengths[k], train.eval_lengths[k], train.eval_count,
                   per_position(config), "length " + std::to_string(train.eval_lengths[k]));
  }
}

void expect_result_json(const json& result, const json& config, const std::vector<json>& lines) {
  SCOPED_TRACE("result.json: " + result.dump());
  ASSERT_EQ(keys_of(result), (std::set<std::string>{"steps", "stop_reason", "wall_seconds", "tokens",
                                                   "tokens_per_second", "num_parameters", "state_floats",
                                                   "selection", "selected", "last"}));
  const int64_t steps = config["train"]["steps"];
  EXPECT_EQ(result["steps"], steps);
  EXPECT_EQ(result["stop_reason"], "steps");
  EXPECT_GT(result["wall_seconds"].get<double>(), 0.0);
  EXPECT_GT(result["tokens_per_second"].get<double>(), 0.0);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(result["tokens"], lines.back()["tokens"]);
  EXPECT_EQ(result["num_parameters"], config["derived"]["num_parameters"]);
  EXPECT_EQ(result["state_floats"], config["derived"]["state_floats"]);
  EXPECT_TRUE(result["selection"].is_string());
  // Selection: the best validation sequence accuracy in metrics.jsonl, ties to the later step.
  int64_t best_step = -1;
  double best = -1;
  for (const auto& line : lines)
    if (line["validation"]["seq_acc"].get<double>() >= best) {
      best = line["validation"]["seq_acc"];
      best_step = line["step"];
    }
  EXPECT_EQ(result["selected"]["step"], best_step);
  EXPECT_EQ(result["last"]["step"], steps);
  const auto [lo, hi] = train_range(config);
  const std::vector<int64_t> lengths = config["train"]["eval_lengths"];
  for (const char* which : {"selected", "last"}) {
    const json& report = result[which];
    SCOPED_TRACE(which);
    ASSERT_EQ(keys_of(report), (std::set<std::string>{"step", "validation", "test_train_lengths", "test"}));
    expect_point(report["validation"], lo, hi, eval_count(config, "eval_count"), per_position(config), "validation");
    expect_point(report["test_train_lengths"], lo, hi, eval_count(config, "final_eval_count"), per_position(config),
                 "test at the training lengths");
    ASSERT_EQ(report["test"].size(), lengths.size());
    for (size_t k = 0; k < lengths.size(); ++k)
      expect_point(report["test"][k], lengths[k], lengths[k], eval_count(config, "final_eval_count"),
                   per_position(config), "test length " + std::to_string(lengths[k]));
    // The report re-evaluates the checkpoint on the validation set the loop used: the same numbers.
    for (const auto& line : lines)
      if (line["step"] == report["step"]) EXPECT_EQ(report["validation"], line["validation"]);
  }
  // Validation (selection) and test (report) are separate data: the chance levels of the same
  // lengths agree, the sampled sequences need not.
  EXPECT_EQ(result["last"]["validation"]["chance"], result["last"]["test_train_lengths"]["chance"]);
  EXPECT_EQ(result["last"]["validation"]["chance"], config["derived"]["chance_accuracy"]);
}

void expect_eval_json(const json& eval, const json& config, const std::vector<int64_t>& lengths, int64_t count,
                      int64_t step, const std::string& checkpoint_file) {
  SCOPED_TRACE("eval --json: " + eval.dump());
  ASSERT_EQ(keys_of(eval), (std::set<std::string>{"run", "run_id", "variant", "task", "checkpoint", "step", "count",
                                                 "seed", "precision", "chunk", "code_version", "device", "threads",
                                                 "lengths"}));
  EXPECT_EQ(eval["run_id"], config["run_id"]);
  EXPECT_EQ(eval["variant"], config["variant"]);
  EXPECT_EQ(eval["task"], config["task"]["task"]);
  const std::string checkpoint = eval["checkpoint"];
  EXPECT_EQ(checkpoint.substr(checkpoint.rfind('/') + 1), checkpoint_file);
  EXPECT_EQ(eval["step"], step);
  EXPECT_EQ(eval["count"], count);
  EXPECT_TRUE(eval["seed"].is_number_unsigned());
  EXPECT_TRUE(eval["precision"] == "fp32" || eval["precision"] == "bf16") << eval["precision"];
  // Positions per forward pass of the chunked evaluation (--chunk N, or automatic for 0).
  EXPECT_TRUE(eval["chunk"].is_number_integer());
  EXPECT_GE(eval["chunk"].get<int64_t>(), 1);
  EXPECT_TRUE(eval["code_version"].is_string() && !eval["code_version"].get<std::string>().empty());
  EXPECT_NE(eval["code_version"], "unknown");
  EXPECT_EQ(eval["device"], "cpu");  // the tests run on the CPU; the GPU check compares devices itself
  EXPECT_TRUE(eval["threads"].is_number_integer());
  EXPECT_GE(eval["threads"].get<int64_t>(), 1);
  ASSERT_EQ(eval["lengths"].size(), lengths.size());
  for (size_t k = 0; k < lengths.size(); ++k)
    expect_point(eval["lengths"][k], lengths[k], lengths[k], count, per_position(config),
                 "eval length " + std::to_string(lengths[k]));
}

}  // namespace goose::testing
