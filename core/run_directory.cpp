// The run directory's files and their write order (see run_directory.h).
#include "core/run_directory.h"

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/fault.h"
#include "core/files.h"

namespace goose::core {

namespace fs = std::filesystem;

namespace {

// True when every entry of `dir` is a temporary that a killed writer of a run file left
// (".config.json.tmp.PID", ...): a run killed before its first rename holds no run yet.
bool only_run_temporaries(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    bool temporary = false;
    for (const auto& file : RunDirectory::run_files()) temporary = temporary || name.rfind("." + file + ".tmp.", 0) == 0;
    if (!temporary) return false;
  }
  return !error;
}

}  // namespace

RunDirectory::RunDirectory(std::string path) : path_(std::move(path)) {}

std::string RunDirectory::file(const char* name) const { return (fs::path(path_) / name).string(); }

const std::vector<std::string>& RunDirectory::run_files() {
  static const std::vector<std::string> files = {"config.json", "metrics.jsonl", "last.pt",
                                                 "best.pt", "result.json", "failure.json"};
  return files;
}

bool RunDirectory::has_config() const { return file_exists(config_path()); }
bool RunDirectory::has_checkpoint() const { return file_exists(last_checkpoint()); }
bool RunDirectory::finished() const { return file_exists(result_path()); }
bool RunDirectory::failed() const { return file_exists(failure_path()); }

void RunDirectory::create(const nlohmann::json& config, bool force) {
  if (!dir_is_empty(path_) && !force && !only_run_temporaries(path_))
    throw std::invalid_argument("run directory " + path_ +
                                " is not empty (use --resume to continue it or --force to start over)");
  make_dirs(path_);
  remove_temporaries();
  for (const auto& name : run_files()) std::remove(file(name.c_str()).c_str());
  write_json_atomic(config_path(), config);
}

nlohmann::json RunDirectory::read_config() const {
  if (!has_config())
    throw std::invalid_argument(path_ + " is not a run directory (no config.json)");
  return read_json(config_path());
}

nlohmann::json RunDirectory::read_result() const { return read_json(result_path()); }

void RunDirectory::append_metrics(const nlohmann::json& line) const {
  append_line(metrics_path(), line.dump());
  fault_point("metrics-line-written");
}

void RunDirectory::truncate_metrics(int64_t step) const {
  if (!file_exists(metrics_path())) return;
  std::istringstream in(read_file(metrics_path()));
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      if (nlohmann::json::parse(line).at("step").get<int64_t>() <= step) kept += line + "\n";
    } catch (const nlohmann::json::exception&) {
      // a torn last line, left by a kill inside the write: drop it
    }
  }
  write_file_atomic(metrics_path(), kept);
}

std::vector<nlohmann::json> RunDirectory::read_metrics() const {
  std::vector<nlohmann::json> lines;
  if (!file_exists(metrics_path())) return lines;
  std::istringstream in(read_file(metrics_path()));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      lines.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument(metrics_path() + ": a line is not JSON: " + line.substr(0, 80));
    }
  }
  return lines;
}

void RunDirectory::write_result(const nlohmann::json& result) const {
  write_json_atomic(result_path(), result);
  fault_point("result-written");
}

void RunDirectory::remove_temporaries() const { core::remove_temporaries(path_); }

void RunDirectory::write_failure(const std::string& reason) const {
  write_json_atomic(failure_path(), {{"error", reason}});
}

}  // namespace goose::core
