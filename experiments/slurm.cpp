// Slurm job arrays for sweeps (see slurm.h).
#include "experiments/slurm.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "core/files.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string this_binary() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string("gooselab") : self.string();
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

// Single quotes for the shell.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string header(const SweepDir& dir, const Plan& plan, const std::string& name, const SlurmOptions& o,
                   int cpus, const std::string& log) {
  std::string text = "#!/bin/bash\n";
  text += fmt::format("#SBATCH --job-name={}\n", name);
  text += fmt::format("#SBATCH --output={}\n", log);
  text += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
  text += fmt::format("#SBATCH --time={}\n", o.time);
  if (!o.partition.empty()) text += fmt::format("#SBATCH --partition={}\n", o.partition);
  return text;
}

// Runs a command, returns its standard output; throws when it fails.
std::string capture(const std::string& command) {
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  std::array<char, 512> buffer{};
  std::string out;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  const int status = ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (status != 0) throw std::invalid_argument("'" + command + "' failed: " + out);
  return out;
}

}  // namespace

json SlurmOptions::to_json() const {
  return {{"partition", partition}, {"time", time}, {"cpus_per_task", cpus_per_task}, {"gpus", gpus},
          {"max_parallel", max_parallel}, {"runs_per_task", runs_per_task}, {"gooselab", gooselab}};
}

SlurmOptions SlurmOptions::from_json(const json& in) {
  SlurmOptions o;
  o.partition = in.value("partition", "");
  o.time = in.value("time", o.time);
  o.cpus_per_task = in.value("cpus_per_task", 1);
  o.gpus = in.value("gpus", 0);
  o.max_parallel = in.value("max_parallel", 0);
  o.runs_per_task = in.value("runs_per_task", 1);
  o.gooselab = in.value("gooselab", "");
  return o;
}

std::vector<size_t> wave_runs(const SweepDir& dir, const Plan& plan, int wave) {
  const std::string path = (fs::path(dir.slurm_path()) / fmt::format("wave-{}.json", wave)).string();
  if (!core::file_exists(path)) throw std::invalid_argument(path + " not found (wave " + std::to_string(wave) + " was never written)");
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < plan.runs.size(); ++i) index[plan.runs[i].run_id] = i;
  std::vector<size_t> out;
  const json listed = core::read_json(path);
  for (const auto& id : listed.at("runs")) {
    auto it = index.find(id.get<std::string>());
    if (it == index.end()) throw std::invalid_argument(path + ": run " + id.dump() + " is not in the plan");
    out.push_back(it->second);
  }
  return out;
}

void SlurmOptions::check() const {
  if (runs_per_task < 1 || cpus_per_task < 1 || max_parallel < 0 || gpus < 0)
    throw std::invalid_argument("sweep slurm: --runs-per-task and --cpus-per-task must be >= 1, --max-parallel and --gpus >= 0");
}

WaveScripts write_wave(const SweepDir& dir, const Plan& plan, int wave, const SlurmOptions& given) {
  SlurmOptions o = given;
  if (o.gooselab.empty()) o.gooselab = this_binary();
  o.check();
  const std::string slurm = dir.slurm_path();
  core::make_dirs((fs::path(slurm) / "logs").string());
  core::write_json_atomic((fs::path(slurm) / "options.json").string(), o.to_json());
  WaveScripts out;
  out.wave = wave;
  const std::vector<size_t> runs = runs_of_wave(dir, plan, wave);
  json ids = json::array();
  for (const size_t i : runs) ids.push_back(plan.runs[i].run_id);
  core::write_json_atomic((fs::path(slurm) / fmt::format("wave-{}.json", wave)).string(), {{"wave", wave}, {"runs", ids}});
  out.runs = runs.size();
  if (runs.empty()) return out;
  out.tasks = int((runs.size() + o.runs_per_task - 1) / o.runs_per_task);
  const std::string sweep = absolute(dir.path());
  const std::string name = fmt::format("goose-{}-w{}", plan.study, wave);
  std::string script = header(dir, plan, name, o, o.cpus_per_task,
                              absolute((fs::path(slurm) / "logs" / fmt::format("wave-{}-%A_%a.out", wave)).string()));
  script += fmt::format("#SBATCH --array=0-{}{}\n", out.tasks - 1, o.max_parallel > 0 ? "%" + std::to_string(o.max_parallel) : "");
  if (o.gpus > 0) script += fmt::format("#SBATCH --gpus={}\n", o.gpus);
  script += fmt::format("# {} runs of study {} (size {}), wave {} of {}: {} per array task.\n", runs.size(),
                        plan.study, plan.size, wave + 1, plan.waves, o.runs_per_task);
  script += "set -euo pipefail\n";
  script += fmt::format("exec {} sweep worker {} --wave {} --index \"$SLURM_ARRAY_TASK_ID\" --runs-per-task {} --cpus {} --device {}\n",
                        shell_quote(o.gooselab), shell_quote(sweep), wave, o.runs_per_task, o.cpus_per_task,
                        o.gpus > 0 ? "cuda" : "cpu");
  out.array_script = (fs::path(slurm) / fmt::format("wave-{}.sbatch", wave)).string();
  core::write_file_atomic(out.array_script, script);
  if (wave + 1 < plan.waves) {
    std::string advance = header(dir, plan, fmt::format("goose-{}-next{}", plan.study, wave + 1), o, 1,
                                 absolute((fs::path(slurm) / "logs" / fmt::format("advance-{}-%j.out", wave + 1)).string()));
    advance += fmt::format("# After wave {} (whatever its outcome): list the cells still unsolved and submit wave {}.\n",
                           wave, wave + 1);
    advance += "set -euo pipefail\n";
    advance += fmt::format("exec {} sweep advance {} --wave {} --submit\n", shell_quote(o.gooselab), shell_quote(sweep), wave + 1);
    out.advance_script = (fs::path(slurm) / fmt::format("advance-{}.sbatch", wave + 1)).string();
    core::write_file_atomic(out.advance_script, advance);
  }
  return out;
}

std::vector<std::string> submit_wave(const WaveScripts& scripts) {
  std::vector<std::string> ids;
  if (scripts.array_script.empty()) return ids;
  auto job_id = [](const std::string& text) { return text.substr(0, text.find(';')); };  // --parsable: id[;cluster]
  ids.push_back(job_id(capture("sbatch --parsable " + shell_quote(scripts.array_script))));
  if (!scripts.advance_script.empty())
    ids.push_back(job_id(capture("sbatch --parsable --dependency=afterany:" + ids.front() + " " + shell_quote(scripts.advance_script))));
  return ids;
}

int run_shard(const SweepDir& dir, const Plan& plan, int wave, int index, int runs_per_task, int cpus,
              const std::string& device) {
  const std::vector<size_t> runs = wave_runs(dir, plan, wave);
  if (index < 0 || runs_per_task < 1) throw std::invalid_argument("sweep worker: --index must be >= 0 and --runs-per-task >= 1");
  const size_t first = size_t(index) * size_t(runs_per_task);
  if (first >= runs.size())
    throw std::invalid_argument(fmt::format("sweep worker: index {} is past wave {}'s {} runs", index, wave, runs.size()));
  const std::vector<size_t> shard(runs.begin() + first, runs.begin() + std::min(runs.size(), first + runs_per_task));
  WorkerOptions options;
  options.jobs = std::max(1, std::min<int>(cpus, int(shard.size())));
  options.threads_per_run = std::max(1, cpus / options.jobs);
  options.progress = "lines";
  options.run_progress = true;
  options.device = device;
  // On a GPU the shard's runs share it, all at once: one small model does not fill it.
  if (device != "cpu") options.jobs = int(shard.size());
  return train_runs(dir, plan, shard, options);
}

}  // namespace goose::experiments
