// Sweeps carried out in a directory (see sweep.h): run states from files, locks, waves of an
// adaptive search, the in-process worker pool and the tidy results table.
#include "experiments/sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/files.h"
#include "core/progress.h"
#include "core/run_directory.h"
#include "core/threads.h"
#include "core/train.h"
#include "experiments/inspect.h"
#include "experiments/run.h"
#include "tasks/task_facts.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A lock not refreshed for this long belongs to a worker that died (a worker refreshes its
// locks every kLockRefresh while it trains).
constexpr auto kLockStale = std::chrono::seconds(120);
constexpr auto kLockRefresh = std::chrono::seconds(20);

std::string host_name() {
  char name[256] = {0};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
}

bool lock_is_fresh(const std::string& path) {
  std::error_code error;
  const auto written = fs::last_write_time(path, error);
  if (error) return false;
  const auto age = fs::file_time_type::clock::now() - written;
  if (age > kLockStale) return false;
  // On this host a dead owner frees its lock at once.
  std::ifstream in(path);
  std::string host;
  long pid = 0;
  in >> host >> pid;
  if (host == host_name() && pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) return false;
  return true;
}

// Takes locks/<run id> (O_EXCL), replacing a stale one. False when a live worker holds it.
bool acquire_lock(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd >= 0) {
      const std::string text = host_name() + " " + std::to_string(::getpid()) + "\n";
      const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
      ::close(fd);
      return ok;
    }
    if (errno != EEXIST || lock_is_fresh(path)) return false;
    std::remove(path.c_str());  // stale: its worker died
  }
  return false;
}

// The number a success rule reads from a run's result.json; NaN when it has none.
double rule_metric(const json& result, const SuccessRule& rule) {
  const json& selected = result.at("selected");
  if (rule.metric == "val_seq_acc") return selected.at("validation").value("seq_acc", std::nan(""));
  const char* key = rule.metric == "seq_acc" ? "seq_acc" : rule.metric == "token_acc" ? "token_acc" : "scaled_token_acc";
  if (rule.length == "train") return selected.at("test_train_lengths").value(key, std::nan(""));
  for (const auto& point : selected.at("test"))
    if (std::to_string(point.value("length", int64_t(-1))) == rule.length) return point.value(key, std::nan(""));
  return std::nan("");
}

bool run_solved(const SweepDir& dir, const PlannedRun& run, const SuccessRule& rule) {
  const core::RunDirectory run_dir(dir.run_path(run.run_id));
  if (!run_dir.finished()) return false;
  return rule_metric(run_dir.read_result(), rule) >= rule.threshold;
}

bool cell_solved(int solved, int seeds, const std::string& rule) {
  if (rule == "any") return solved >= 1;
  if (rule == "all") return solved == seeds;
  return 2 * solved > seeds;  // majority
}

// RFC 4180: quote a field holding a comma, a quote or a line break.
std::string csv_field(const json& value) {
  std::string text;
  if (value.is_null()) return "";
  if (value.is_string()) text = value.get<std::string>();
  else if (value.is_array()) {
    for (const auto& item : value) text += (text.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
  } else {
    text = value.dump();
  }
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// What the theory needs of a task (tasks/analysis.h), once per task spec.
json task_algebra(const std::string& spec) {
  static std::mutex mutex;
  static std::map<std::string, json> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(spec); it != cache.end()) return it->second;
  json out = json::object();
  try {
    const tasks::TaskFacts facts = tasks::analyse_task(tasks::make_task(spec));
    out["task_class"] = automata::to_string(facts.algebraic_class);
    out["group_kind"] = facts.group_kind;
    out["derived_length"] = facts.derived_length;
    out["inputs_period_le2"] = facts.inputs_period_le2;
    out["inputs_involution_or_idempotent"] = facts.inputs_involution_or_idempotent;
    out["task_states"] = facts.states;
    out["task_commutative"] = facts.commutative;
  } catch (const std::exception& e) {
    out["task_class"] = "unknown";
  }
  return cache[spec] = out;
}

}  // namespace

// ---- the directory ----------------------------------------------------------------------

SweepDir::SweepDir(std::string path) : path_(std::move(path)) {}
std::string SweepDir::plan_path() const { return (fs::path(path_) / "sweep.json").string(); }
std::string SweepDir::run_path(const std::string& id) const { return (fs::path(path_) / "runs" / id).string(); }
std::string SweepDir::lock_path(const std::string& id) const { return (fs::path(path_) / "locks" / id).string(); }
std::string SweepDir::slurm_path() const { return (fs::path(path_) / "slurm").string(); }
bool SweepDir::has_plan() const { return core::file_exists(plan_path()); }

void SweepDir::write_plan(const Plan& plan) const {
  core::remove_temporaries(path_);  // a killed sweep's plan or results
  core::make_dirs((fs::path(path_) / "runs").string());
  core::make_dirs((fs::path(path_) / "locks").string());
  core::write_json_atomic(plan_path(), plan_to_json(plan));
}

Plan SweepDir::read_plan() const {
  if (!has_plan()) throw std::invalid_argument(path_ + " is not a sweep directory (no sweep.json)");
  return plan_from_json(core::read_json(plan_path()), plan_path());
}

std::string to_string(RunState state) {
  switch (state) {
    case RunState::Done: return "done";
    case RunState::Failed: return "failed";
    case RunState::Running: return "running";
    case RunState::Interrupted: return "interrupted";
    case RunState::Pending: return "pending";
    case RunState::Skipped: return "skipped";
  }
  return "?";
}

std::set<std::string> solved_cells(const SweepDir& dir, const Plan& plan, int wave) {
  std::map<std::pair<std::string, int>, int> solved;  // (cell, wave) -> solved seeds
  std::map<std::pair<std::string, int>, int> seeds;
  for (const auto& run : plan.runs) {
    if (run.wave >= wave) continue;
    const auto key = std::make_pair(run.cell.dump(), run.wave);
    ++seeds[key];
    if (run_solved(dir, run, plan.success)) ++solved[key];
  }
  std::set<std::string> cells;
  for (const auto& [key, count] : seeds)
    if (cell_solved(solved[key], count, plan.success.seeds)) cells.insert(key.first);
  return cells;
}

std::vector<size_t> runs_of_wave(const SweepDir& dir, const Plan& plan, int wave) {
  const std::set<std::string> solved = wave > 0 ? solved_cells(dir, plan, wave) : std::set<std::string>();
  std::vector<size_t> out;
  for (size_t i = 0; i < plan.runs.size(); ++i)
    if (plan.runs[i].wave == wave && !solved.count(plan.runs[i].cell.dump())) out.push_back(i);
  return out;
}

std::vector<RunState> run_states(const SweepDir& dir, const Plan& plan) {
  std::vector<std::set<std::string>> solved_before(plan.waves);
  for (int wave = 1; wave < plan.waves; ++wave) solved_before[wave] = solved_cells(dir, plan, wave);
  std::vector<RunState> states;
  for (const auto& run : plan.runs) {
    const core::RunDirectory run_dir(dir.run_path(run.run_id));
    if (run_dir.finished()) states.push_back(RunState::Done);
    else if (run_dir.failed()) states.push_back(RunState::Failed);
    else if (core::file_exists(dir.lock_path(run.run_id)) && lock_is_fresh(dir.lock_path(run.run_id)))
      states.push_back(RunState::Running);
    else if (run.wave > 0 && solved_before[run.wave].count(run.cell.dump())) states.push_back(RunState::Skipped);
    else if (run_dir.has_config()) states.push_back(RunState::Interrupted);
    else states.push_back(RunState::Pending);
  }
  return states;
}

SweepCounts sweep_counts(const SweepDir& dir, const Plan& plan) {
  SweepCounts counts;
  const auto states = run_states(dir, plan);
  for (size_t i = 0; i < states.size(); ++i) {
    switch (states[i]) {
      case RunState::Done: ++counts.done; break;
      case RunState::Running: ++counts.running; break;
      case RunState::Interrupted: ++counts.interrupted; break;
      case RunState::Pending: ++counts.pending; break;
      case RunState::Skipped: ++counts.skipped; break;
      case RunState::Failed: {
        ++counts.failed;
        const json failure = core::read_json(core::RunDirectory(dir.run_path(plan.runs[i].run_id)).failure_path());
        counts.failures.emplace_back(plan.runs[i].run_id, failure.value("error", "?"));
        break;
      }
    }
  }
  return counts;
}

// ---- the worker pool ----------------------------------------------------------------------

namespace {

// Keeps this process's locks fresh while their runs train.
class LockKeeper {
 public:
  LockKeeper() : thread_([this] { loop(); }) {}
  ~LockKeeper() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void hold(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    held_.insert(path);
  }
  void release(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    held_.erase(path);
    std::remove(path.c_str());
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, kLockRefresh, [this] { return stop_; }))
      for (const auto& path : held_) ::utime(path.c_str(), nullptr);
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<std::string> held_;
  bool stop_ = false;
  std::thread thread_;
};

std::string describe(const PlannedRun& run) {
  std::string text;
  for (const auto& item : run.cell.items())
    text += (text.empty() ? "" : " ") + (item.value().is_string() ? item.value().get<std::string>() : item.value().dump());
  return text + (text.empty() ? "" : " ") + "seed " + std::to_string(run.seed);
}

}  // namespace

int train_runs(const SweepDir& dir, const Plan& plan, const std::vector<size_t>& runs,
               const WorkerOptions& options) {
  core::set_intra_op_threads(options.threads_per_run);
  LockKeeper keeper;
  std::mutex mutex;
  std::atomic<size_t> next{0};
  int failed_now = 0, finished_now = 0, active = 0;
  double busy_seconds = 0;
  const bool live = options.progress == "auto" && ::isatty(2);
  const bool lines = options.progress == "lines" || (options.progress == "auto" && !::isatty(2));

  auto report = [&](const std::string& event) {  // under `mutex`
    if (!live && !lines) return;
    const SweepCounts counts = sweep_counts(dir, plan);
    const int left = int(runs.size()) - finished_now - failed_now - active;
    const double per_run = finished_now > 0 ? busy_seconds / finished_now : 0;
    const std::string eta = finished_now > 0 ? core::format_duration(per_run * (left + active) / std::max(1, options.jobs)) : "?";
    fmt::print(stderr, "{}sweep {}: {} done, {} running, {} failed, {} left, ETA {}{}{}", live ? "\r\033[K" : "",
               plan.study, counts.done, counts.running, counts.failed, std::max(0, left), eta,
               event.empty() ? "" : "  (" + event + ")", live ? "" : "\n");
    std::fflush(stderr);
  };

  auto worker = [&] {
    for (size_t k = next++; k < runs.size(); k = next++) {
      const PlannedRun& run = plan.runs[runs[k]];
      const core::RunDirectory run_dir(dir.run_path(run.run_id));
      const std::string inspect_path = (fs::path(run_dir.path()) / "inspect.json").string();
      const bool inspected = !plan.inspect || core::file_exists(inspect_path);
      if ((run_dir.finished() && inspected) || (run_dir.failed() && !options.retry_failed)) continue;
      const std::string lock = dir.lock_path(run.run_id);
      if (!acquire_lock(lock)) continue;  // another worker trains it now
      keeper.hold(lock);
      {
        std::lock_guard<std::mutex> guard(mutex);
        ++active;
      }
      const auto run_start = Clock::now();
      std::string failure;
      try {
        if (run_dir.failed()) std::remove(run_dir.failure_path().c_str());
        Session session;
        session.out_dir = run_dir.path();
        session.resume = run_dir.has_config();
        session.force = !session.resume;
        session.threads = options.threads_per_run;
        session.device = options.device;
        session.progress = options.run_progress ? "lines" : "off";
        session.label = plan.study + " " + describe(run);
        if (!run_dir.finished()) run_training(run.config, session);
        if (plan.inspect) {  // after the result: a kill in between inspects on the next start
          InspectOptions inspect;
          inspect.count = 32;
          inspect.device = options.device;
          inspect.lengths = run.config.train.eval_lengths;
          inspect.lengths.push_back(run.config.train.train_max_len);
          core::write_json_atomic(inspect_path, inspect_run(run_dir.path(), inspect));
        }
      } catch (const core::TrainingDiverged& e) {
        failure = e.what();
      } catch (const std::invalid_argument& e) {
        failure = e.what();
      } catch (const std::exception& e) {
        failure = std::string("internal: ") + e.what();
      }
      if (!failure.empty()) run_dir.write_failure(failure);
      keeper.release(lock);
      std::lock_guard<std::mutex> guard(mutex);
      --active;
      busy_seconds += std::chrono::duration<double>(Clock::now() - run_start).count();
      (failure.empty() ? finished_now : failed_now) += 1;
      report(describe(run) + (failure.empty() ? " done" : " failed: " + failure));
    }
  };
  {
    std::lock_guard<std::mutex> guard(mutex);
    report("");
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < std::min<int>(options.jobs, int(runs.size())); ++i) threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  if (live) fmt::print(stderr, "\n");
  return failed_now;
}

int run_waves(const SweepDir& dir, const Plan& plan, const WorkerOptions& options, int first_wave) {
  int failed = 0;
  for (int wave = first_wave; wave < plan.waves; ++wave) failed += train_runs(dir, plan, runs_of_wave(dir, plan, wave), options);
  return failed;
}

// ---- results ----------------------------------------------------------------------------

std::vector<std::string> result_columns() {
  std::vector<std::string> columns = {"study", "size", "run_id", "status", "variant", "wave"};
  for (const auto& field : core::config_fields()) columns.push_back(field.name);
  for (const char* name : {"train_min_len", "train_max_len", "task_class", "group_kind", "derived_length",
                           "inputs_period_le2", "inputs_involution_or_idempotent", "task_states", "task_commutative",
                           "eval", "eval_min_len", "eval_max_len", "count", "token_acc", "seq_acc",
                           "scaled_acc", "chance", "last_token_acc", "last_seq_acc", "last_scaled_acc",
                           "val_seq_acc", "selected_step", "steps_done", "stop_reason", "num_parameters",
                           "state_floats", "wall_seconds", "tokens_per_second", "code_version", "error"})
    columns.push_back(name);
  for (const auto& name : inspect_column_names()) columns.push_back(name);
  return columns;
}

size_t collect_results(const SweepDir& dir, const Plan& plan) {
  const std::vector<std::string> columns = result_columns();
  json rows = json::array();
  for (const auto& run : plan.runs) {
    const core::RunDirectory run_dir(dir.run_path(run.run_id));
    if (!run_dir.finished() && !run_dir.failed()) continue;
    json base = {{"study", plan.study}, {"size", plan.size}, {"run_id", run.run_id}, {"variant", run.variant},
                 {"wave", run.wave}, {"train_min_len", run.config.train.train_min_len},
                 {"train_max_len", run.config.train.train_max_len}};
    for (const auto& field : core::config_fields()) base[field.name] = field.get(run.config);
    const json algebra = task_algebra(run.config.task.task);
    for (const auto& item : algebra.items()) base[item.key()] = item.value();
    if (run_dir.has_config()) base["code_version"] = run_dir.read_config().value("session", json::object()).value("code_version", "");
    if (!run_dir.finished()) {
      base["status"] = "failed";
      base["error"] = core::read_json(run_dir.failure_path()).value("error", "");
      rows.push_back(base);
      continue;
    }
    const json result = run_dir.read_result();
    base["status"] = "done";
    const std::string inspect_path = (fs::path(run_dir.path()) / "inspect.json").string();
    if (core::file_exists(inspect_path)) {
      // Named: items() of a temporary would dangle in the range-for.
      const json columns = inspect_summary_columns(core::read_json(inspect_path));
      for (const auto& item : columns.items()) base[item.key()] = item.value();
    }
    for (const char* key : {"stop_reason", "num_parameters", "state_floats", "wall_seconds", "tokens_per_second"})
      base[key] = result.at(key);
    base["steps_done"] = result.at("steps");
    const json& selected = result.at("selected");
    const json& last = result.at("last");
    base["selected_step"] = selected.at("step");
    base["val_seq_acc"] = selected.at("validation").at("seq_acc");
    auto add_row = [&](const json& point, const json& last_point, const char* kind) {
      json row = base;
      row["eval"] = kind;
      row["eval_min_len"] = point.contains("length") ? point["length"] : point["min_len"];
      row["eval_max_len"] = point.contains("length") ? point["length"] : point["max_len"];
      row["count"] = point.at("count");
      row["token_acc"] = point.at("token_acc");
      row["seq_acc"] = point.at("seq_acc");
      row["scaled_acc"] = point.at("scaled_token_acc");
      row["chance"] = point.value("chance", json());
      row["last_token_acc"] = last_point.at("token_acc");
      row["last_seq_acc"] = last_point.at("seq_acc");
      row["last_scaled_acc"] = last_point.at("scaled_token_acc");
      rows.push_back(row);
    };
    add_row(selected.at("test_train_lengths"), last.at("test_train_lengths"), "train");
    for (size_t i = 0; i < selected.at("test").size(); ++i) add_row(selected["test"][i], last["test"][i], "test");
  }
  std::ostringstream csv;
  for (size_t i = 0; i < columns.size(); ++i) csv << (i ? "," : "") << columns[i];
  csv << "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) csv << (i ? "," : "") << csv_field(row.value(columns[i], json()));
    csv << "\n";
  }
  core::write_file_atomic((fs::path(dir.path()) / "results.csv").string(), csv.str());
  core::write_json_atomic((fs::path(dir.path()) / "results.json").string(), rows);
  return rows.size();
}

}  // namespace goose::experiments
