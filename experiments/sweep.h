// A sweep: a plan (experiments/study.h) carried out in a directory, the same on a laptop and
// on a cluster's shared disk:
//   DIR/sweep.json      the plan (every run's configuration and id)
//   DIR/runs/<run id>/  ordinary run directories (core/run_directory.h)
//   DIR/locks/<run id>  who is training a run now (host, pid; refreshed while it trains)
//   DIR/results.csv     one tidy row per run x evaluation length (sweep collect), and results.json
//   DIR/slurm/          sbatch scripts, wave lists and job logs (experiments/slurm.h)
// "Is it done?" is a file check: finished runs are skipped, interrupted ones resume from
// their last checkpoint, failed ones are recorded with their reason. An adaptive search runs
// in waves: wave k launches only the cells not solved at an earlier wave.
// Exports SweepDir, RunState, SweepCounts, WorkerOptions, run_waves(), runs_of_wave(),
// sweep_counts(), collect_results().
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/study.h"

namespace goose::experiments {

class SweepDir {
 public:
  explicit SweepDir(std::string path);
  const std::string& path() const { return path_; }
  std::string plan_path() const;
  std::string run_path(const std::string& run_id) const;
  std::string lock_path(const std::string& run_id) const;
  std::string slurm_path() const;
  bool has_plan() const;
  // Writes sweep.json (atomically), replacing an older plan: runs already trained under an id
  // the new plan still holds are kept and reused.
  void write_plan(const Plan& plan) const;
  Plan read_plan() const;  // std::invalid_argument when DIR is not a sweep

 private:
  std::string path_;
};

enum class RunState { Done, Failed, Running, Interrupted, Pending, Skipped };
std::string to_string(RunState state);

// The state of every run of the plan, from the directory alone. Skipped: its cell was solved
// at an earlier wave of the search, so it is never launched.
std::vector<RunState> run_states(const SweepDir& dir, const Plan& plan);

struct SweepCounts {
  int done = 0, running = 0, failed = 0, interrupted = 0, pending = 0, skipped = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // run id, reason
  int left() const { return pending + interrupted; }
};
SweepCounts sweep_counts(const SweepDir& dir, const Plan& plan);

// The cells (cell.dump()) solved by the runs of waves < `wave`, by the plan's success rule.
std::set<std::string> solved_cells(const SweepDir& dir, const Plan& plan, int wave);
// Indices into plan.runs of the runs wave `wave` launches: its runs whose cell is unsolved.
std::vector<size_t> runs_of_wave(const SweepDir& dir, const Plan& plan, int wave);

struct WorkerOptions {
  int jobs = 1;               // runs trained at once, in this process
  int threads_per_run = 1;    // intra-op threads (global to the process)
  bool retry_failed = false;  // run again runs recorded as failed
  std::string progress = "auto";  // the sweep's own line: auto | lines | off
  bool run_progress = false;  // each run's own per-evaluation lines
  std::string device = "cpu"; // where every run trains; with a GPU, `jobs` runs share it
};
// Trains the given runs (indices into plan.runs), `jobs` at once, skipping finished ones and
// resuming interrupted ones; a run that fails is recorded (failure.json) and the rest go on.
// Returns the number of runs that failed in this call.
int train_runs(const SweepDir& dir, const Plan& plan, const std::vector<size_t>& runs,
               const WorkerOptions& options);
// Every wave from `first_wave` on, in order (the local form of an adaptive search).
int run_waves(const SweepDir& dir, const Plan& plan, const WorkerOptions& options, int first_wave = 0);

// Writes DIR/results.csv and DIR/results.json: one row per finished run x evaluation length
// (the training range first, then each eval length), every configuration field a column.
// Returns the number of rows.
size_t collect_results(const SweepDir& dir, const Plan& plan);
// The column names of results.csv, in order.
std::vector<std::string> result_columns();

}  // namespace goose::experiments
