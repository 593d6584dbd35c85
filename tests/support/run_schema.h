// The schema of every JSON a run writes or prints — config.json, result.json, metrics.jsonl,
// `gooselab eval --json` — checked field by field against the field table (core/config.h) and
// the run's own configuration, with ranges and relationships that can fail (accuracies in
// [0,1], a sequence accuracy that cannot exceed the token accuracy at an exact length, the
// scaled accuracy recomputed, selection consistent with the metrics). Each check reports through
// GoogleTest (EXPECT) and names the file and the field. Exports expect_config_json(),
// expect_metrics_lines(), expect_result_json(), expect_eval_json(), expect_point().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace goose::testing {

// One accuracy point (core::to_json(LengthAccuracy)): at an exact length `min_len == max_len`
// ({"length", ...}), else a range ({"min_len", "max_len", ...}); `count` sequences. At an exact
// length with every position labelled (`per_position`: the state objective), every sequence has
// the same number of labels, so seq_acc <= token_acc and seq_acc·count is a whole number.
void expect_point(const nlohmann::json& point, int64_t min_len, int64_t max_len, int64_t count,
                  bool per_position, const std::string& where);

// config.json: exactly the keys format, run_id, variant, task, model, train, derived, session;
// every section holds exactly the field table's fields, each valid for its field; the run id
// and the variant recomputed from them; derived facts and the session (threads as given).
void expect_config_json(const nlohmann::json& config, int threads);

// metrics.jsonl: one line per evaluation, every eval_every steps and at the last step; its
// learning rate the schedule's at that step; points as configured.
void expect_metrics_lines(const std::vector<nlohmann::json>& lines, const nlohmann::json& config);

// result.json, against the configuration and the metrics lines: the selected checkpoint is the
// best validation (ties: later), and both reports' validation equals that step's metrics line.
void expect_result_json(const nlohmann::json& result, const nlohmann::json& config,
                        const std::vector<nlohmann::json>& lines);

// `gooselab eval --json` of the run: the lengths and count as asked, the checkpoint's step.
void expect_eval_json(const nlohmann::json& eval, const nlohmann::json& config,
                      const std::vector<int64_t>& lengths, int64_t count, int64_t step,
                      const std::string& checkpoint_file);

}  // namespace goose::testing
