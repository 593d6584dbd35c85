// Sweeps on a Slurm cluster: each wave of a plan becomes a job array
// (`--array=0-K%M`, one array task per shard of runs) whose tasks call
// `gooselab sweep worker DIR --wave W --index $SLURM_ARRAY_TASK_ID`; an adaptive search chains
// its waves with a small "advance" job (`--dependency=afterany:<array>`) that lists the cells
// still unsolved, writes the next wave's array and submits it. The run directories are the
// same as for a local sweep, so `status` and `collect` work on either.
// Exports SlurmOptions, WaveScripts, write_wave(), submit_wave(), wave_runs(), run_shard().
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/sweep.h"

namespace goose::experiments {

struct SlurmOptions {
  std::string partition;      // "" = the cluster's default
  std::string time = "04:00:00";
  int cpus_per_task = 1;
  int gpus = 0;
  int max_parallel = 0;       // array tasks at once (%M); 0 = no limit
  int runs_per_task = 1;      // runs per array task (a shard), trained in one process
  std::string gooselab;       // the binary the jobs call; "" = this one
  nlohmann::json to_json() const;
  static SlurmOptions from_json(const nlohmann::json& json);
  // Throws std::invalid_argument unless runs_per_task, cpus_per_task >= 1 and max_parallel, gpus >= 0.
  void check() const;
};

struct WaveScripts {
  int wave = 0;
  size_t runs = 0;            // runs in the wave's list
  int tasks = 0;              // array tasks
  std::string array_script;   // DIR/slurm/wave-W.sbatch ("" when the wave has nothing to run)
  std::string advance_script; // DIR/slurm/advance-W.sbatch, submitting wave W+1 ("" when last)
};

// Lists wave W's runs (its unsolved cells) in DIR/slurm/wave-W.json and writes its scripts.
// Saves the options in DIR/slurm/options.json for the advance jobs.
WaveScripts write_wave(const SweepDir& dir, const Plan& plan, int wave, const SlurmOptions& options);
// sbatch the array, then the advance job depending on it; returns the job ids.
std::vector<std::string> submit_wave(const WaveScripts& scripts);

// The run indices (into plan.runs) listed for wave W.
std::vector<size_t> wave_runs(const SweepDir& dir, const Plan& plan, int wave);
// What one array task trains: shard `index` of wave W's list. Returns the failures.
int run_shard(const SweepDir& dir, const Plan& plan, int wave, int index, int runs_per_task,
              int cpus, const std::string& device);

}  // namespace goose::experiments
