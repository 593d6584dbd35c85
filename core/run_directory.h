// The run directory, its one owner: which files a run keeps and in which order they are
// written, so that a run killed at any moment resumes to the bit-identical result.
//   config.json    the resolved configuration (identity, session, derived facts)
//   metrics.jsonl  one line per evaluation, appended BEFORE the checkpoint of that step, so a
//                  kill between the two loses nothing: resume truncates lines past last.pt
//   last.pt        the latest checkpoint (model, optimizer, loop state, RNG)
//   best.pt        the selected checkpoint (best validation sequence accuracy; ties: later)
//   result.json    the final report; its presence means "finished"
//   failure.json   why a run stopped without a result (divergence, bad configuration)
// Exports RunDirectory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace goose::core {

class RunDirectory {
 public:
  explicit RunDirectory(std::string path);
  const std::string& path() const { return path_; }

  std::string config_path() const { return file("config.json"); }
  std::string metrics_path() const { return file("metrics.jsonl"); }
  std::string last_checkpoint() const { return file("last.pt"); }
  std::string best_checkpoint() const { return file("best.pt"); }
  std::string result_path() const { return file("result.json"); }
  std::string failure_path() const { return file("failure.json"); }

  bool has_config() const;
  bool has_checkpoint() const;  // last.pt
  bool finished() const;        // result.json
  bool failed() const;          // failure.json

  // Starts a fresh run: refuses a directory holding anything (but the temporaries of a run
  // killed before its config.json was in place) unless `force`, which removes the run's own
  // files (and nothing else), then writes config.json.
  void create(const nlohmann::json& config, bool force);
  nlohmann::json read_config() const;  // std::invalid_argument when missing or not JSON
  nlohmann::json read_result() const;

  // One JSON line per evaluation (a whole line or nothing, see files.h).
  void append_metrics(const nlohmann::json& line) const;
  // Keeps the lines with step <= `step` (the checkpoint resumed from) and drops a torn line.
  void truncate_metrics(int64_t step) const;
  std::vector<nlohmann::json> read_metrics() const;
  void write_result(const nlohmann::json& result) const;
  void write_failure(const std::string& reason) const;

  // Removes the temporaries (".NAME.tmp.PID") a killed writer left behind.
  void remove_temporaries() const;

  // The files a run writes (config, metrics, checkpoints, result, failure).
  static const std::vector<std::string>& run_files();

 private:
  std::string file(const char* name) const;
  std::string path_;
};

}  // namespace goose::core
