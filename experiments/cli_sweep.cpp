// `gooselab sweep plan|run|status|collect|slurm|worker|advance`: studies as data, carried out
// on local cores or as Slurm job arrays, resumable, one tidy results table.
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "core/device.h"
#include "core/files.h"
#include "experiments/cli_common.h"
#include "experiments/commands.h"
#include "experiments/slurm.h"
#include "experiments/study.h"
#include "experiments/sweep.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;

const char* kSweepUsage =
    "usage: gooselab sweep <subcommand> [options]\n"
    "\n"
    "  plan STUDY [--size S]              the runs a study would launch (writes nothing)\n"
    "  run STUDY [--size S] [--jobs N] [--out DIR]\n"
    "                                     run it here, N runs at once; resumable\n"
    "  status DIR                         done / running / failed / left, and the failures\n"
    "  collect DIR                        DIR/results.csv and results.json (a row per run x length)\n"
    "  slurm STUDY [--size S] [--out DIR] [--partition P] [--time T] [--cpus-per-task C]\n"
    "        [--gpus G] [--max-parallel M] [--runs-per-task R] [--submit]\n"
    "                                     a Slurm job array per wave (sbatch with --submit)\n"
    "  worker DIR --wave W --index I      one array task (called by the generated script)\n"
    "  advance DIR --wave W [--submit]    the next wave of a search (called by the advance job)\n"
    "\n"
    "STUDY is a file, or a name in experiments/studies/ (e.g. min-layers). The default DIR is\n"
    "runs/sweeps/<study>-<size>. 'gooselab sweep <subcommand> --help' for its options.\n";

std::string study_path(const std::string& given) {
  if (core::file_exists(given)) return given;
  const std::string named = (fs::path(source_dir()) / "experiments" / "studies" / (given + ".toml")).string();
  if (given.find('/') == std::string::npos && core::file_exists(named)) return named;
  throw std::invalid_argument("study '" + given + "' not found (a file, or a name in " +
                              (fs::path(source_dir()) / "experiments" / "studies").string() + ")");
}

std::string default_out(const Plan& plan) {
  return (fs::path("runs") / "sweeps" / (plan.study + (plan.size.empty() ? "" : "-" + plan.size))).string();
}

int default_jobs() { return int(std::max(1u, std::thread::hardware_concurrency())); }

// Parses `sweep <sub>` options with one positional argument (STUDY or DIR).
po::variables_map parse_sub(const std::string& sub, const Args& args, po::options_description options,
                            const char* positional, const std::string& usage, const std::string& summary,
                            const std::string& example, bool* help) {
  options.add_options()(positional, po::value<std::string>(), "")("help,h", "show this help");
  po::positional_options_description pos;
  pos.add(positional, 1);
  *help = wants_help(args);
  if (*help) {
    std::cout << help_text(usage, summary, options, example);
    return {};
  }
  po::variables_map vm = parse_options("sweep " + sub, args, options, pos);
  if (!vm.count(positional))
    throw std::invalid_argument("sweep " + sub + ": missing " + std::string(positional) + " (try: gooselab sweep " + sub + " --help)");
  return vm;
}

Plan plan_for(const po::variables_map& vm) {
  const std::string size = vm.count("size") ? vm["size"].as<std::string>() : "";
  return make_plan(load_study(study_path(vm["study"].as<std::string>())), size);
}

void print_counts(const SweepDir& dir, const Plan& plan) {
  const SweepCounts c = sweep_counts(dir, plan);
  fmt::print("{}: study {} (size {}), {} runs: {} done, {} running, {} failed, {} interrupted, {} pending{}\n",
             dir.path(), plan.study, plan.size.empty() ? "-" : plan.size, plan.runs.size(), c.done, c.running,
             c.failed, c.interrupted, c.pending,
             c.skipped ? fmt::format(", {} skipped (their cell was solved at an earlier wave)", c.skipped) : "");
  for (const auto& [id, reason] : c.failures) fmt::print("  failed {}: {}\n", id, reason);
}

int plan_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("size", po::value<std::string>(), "the study's size (default: its first)")
                       ("all", po::bool_switch(), "list every run (default: the first 40)");
  bool help = false;
  const auto vm = parse_sub("plan", args, options, "study", "gooselab sweep plan STUDY [--size S]",
                            "Prints the runs a study would launch, writes nothing.", "gooselab sweep plan min-layers --size quick", &help);
  if (help) return 0;
  const Plan plan = plan_for(vm);
  std::vector<int> per_wave(plan.waves, 0);
  for (const auto& run : plan.runs) ++per_wave[run.wave];
  fmt::print("study {} (size {}): {} runs", plan.study, plan.size.empty() ? "-" : plan.size, plan.runs.size());
  if (!plan.search_axis.empty()) {
    fmt::print(" at most, searched over {} in {} waves (", plan.search_axis, plan.waves);
    for (int w = 0; w < plan.waves; ++w) fmt::print("{}{}", w ? ", " : "", per_wave[w]);
    fmt::print(" runs); a cell stops at its first success");
  }
  fmt::print("\nsuccess: {} at {} >= {} ({} of the seeds)\n", plan.success.metric, plan.success.length,
             plan.success.threshold, plan.success.seeds);
  std::vector<std::string> header = {"run id", "wave", "seed", "variant"};
  for (const auto& axis : plan.axes) if (axis != "variant") header.push_back(axis);
  if (!plan.search_axis.empty()) header.push_back(plan.search_axis);
  std::vector<std::vector<std::string>> rows;
  const size_t shown = vm["all"].as<bool>() ? plan.runs.size() : std::min<size_t>(40, plan.runs.size());
  for (size_t i = 0; i < shown; ++i) {
    const auto& run = plan.runs[i];
    std::vector<std::string> row = {run.run_id, std::to_string(run.wave), std::to_string(run.seed), run.variant};
    for (const auto& axis : plan.axes) {
      if (axis == "variant") continue;
      const auto& v = run.cell[axis];
      row.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (!plan.search_axis.empty()) row.push_back(core::get_field(run.config, plan.search_axis).dump());
    rows.push_back(row);
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) fmt::print("{}{:<{}}", c ? "  " : "", row[c], width[c]);
    fmt::print("\n");
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
  if (shown < plan.runs.size()) fmt::print("… {} more (--all)\n", plan.runs.size() - shown);
  return 0;
}

int run_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("size", po::value<std::string>(), "the study's size (default: its first)")
      ("jobs", po::value<int>()->default_value(default_jobs()), "runs trained at once, one intra-op thread each")
      ("out", po::value<std::string>(), "sweep directory (default runs/sweeps/<study>-<size>)")
      ("retry-failed", po::bool_switch(), "run the failed runs again from the start")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N | auto; on a GPU, --jobs runs share it")
      ("progress", po::value<std::string>()->default_value("auto"), "the sweep's line: auto | lines | off")
      ("run-progress", po::bool_switch(), "also each run's evaluation lines");
  bool help = false;
  const auto vm = parse_sub("run", args, options, "study", "gooselab sweep run STUDY [--size S] [--jobs N] [--out DIR]",
                            "Runs a study here, N runs at once. Finished runs are skipped and interrupted\n"
                            "ones continue from their last checkpoint, so a killed sweep started again\n"
                            "loses nothing. Then collects DIR/results.csv.",
                            "gooselab sweep run min-layers --size quick --jobs 2", &help);
  if (help) return 0;
  const int jobs = vm["jobs"].as<int>();
  if (jobs < 1) throw std::invalid_argument("sweep run: --jobs must be >= 1 (got " + std::to_string(jobs) + ")");
  const std::string progress = vm["progress"].as<std::string>();
  if (progress != "auto" && progress != "lines" && progress != "off")
    throw std::invalid_argument("sweep run: --progress must be auto, lines or off (got '" + progress + "')");
  const Plan plan = plan_for(vm);
  const SweepDir dir(vm.count("out") ? vm["out"].as<std::string>() : default_out(plan));
  dir.write_plan(plan);
  WorkerOptions worker;
  worker.jobs = jobs;
  worker.retry_failed = vm["retry-failed"].as<bool>();
  worker.progress = progress;
  worker.run_progress = vm["run-progress"].as<bool>();
  worker.device = vm["device"].as<std::string>();
  core::parse_device(worker.device);
  run_waves(dir, plan, worker);
  const size_t rows = collect_results(dir, plan);
  print_counts(dir, plan);
  fmt::print("{} rows in {}\n", rows, (fs::path(dir.path()) / "results.csv").string());
  return 0;
}

int status_command(const Args& args) {
  bool help = false;
  const auto vm = parse_sub("status", args, po::options_description("options"), "dir", "gooselab sweep status DIR",
                            "Counts of a sweep's runs (done, running, failed, interrupted, pending) and its\n"
                            "failures, from the directory alone (a local sweep or a Slurm one).",
                            "gooselab sweep status runs/sweeps/min-layers-quick", &help);
  if (help) return 0;
  const SweepDir dir(vm["dir"].as<std::string>());
  print_counts(dir, dir.read_plan());
  return 0;
}

int collect_command(const Args& args) {
  bool help = false;
  const auto vm = parse_sub("collect", args, po::options_description("options"), "dir", "gooselab sweep collect DIR",
                            "Writes DIR/results.csv (one row per run x evaluation length, every configuration\n"
                            "field a column; pandas reads it as it is) and DIR/results.json.",
                            "gooselab sweep collect runs/sweeps/min-layers-quick", &help);
  if (help) return 0;
  const SweepDir dir(vm["dir"].as<std::string>());
  const size_t rows = collect_results(dir, dir.read_plan());
  fmt::print("{} rows in {}\n", rows, (fs::path(dir.path()) / "results.csv").string());
  return 0;
}

po::options_description slurm_options() {
  po::options_description options("Slurm");
  options.add_options()
      ("partition", po::value<std::string>()->default_value(""), "partition (default: the cluster's)")
      ("time", po::value<std::string>()->default_value("04:00:00"), "time limit per array task")
      ("cpus-per-task", po::value<int>()->default_value(1), "CPUs per array task")
      ("gpus", po::value<int>()->default_value(0), "GPUs per array task")
      ("max-parallel", po::value<int>()->default_value(0), "array tasks at once (%M; 0 = no limit)")
      ("runs-per-task", po::value<int>()->default_value(1), "runs per array task, trained in one process");
  return options;
}

void print_wave(const WaveScripts& w, const std::vector<std::string>& ids) {
  if (w.array_script.empty()) {
    fmt::print("wave {}: nothing to run (every cell solved)\n", w.wave);
    return;
  }
  fmt::print("wave {}: {} runs in {} array tasks: {}\n", w.wave, w.runs, w.tasks, w.array_script);
  if (!w.advance_script.empty()) fmt::print("  then: {} (submits wave {})\n", w.advance_script, w.wave + 1);
  if (!ids.empty()) {
    fmt::print("submitted: job {}", ids[0]);
    if (ids.size() > 1) fmt::print(", advance job {}", ids[1]);
    fmt::print("\n");
  } else {
    fmt::print("submit with: sbatch {}", w.array_script);
    if (!w.advance_script.empty()) fmt::print("  and: sbatch --dependency=afterany:<its job id> {}", w.advance_script);
    fmt::print("  (or use --submit)\n");
  }
}

int slurm_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("size", po::value<std::string>(), "the study's size (default: its first)")
      ("out", po::value<std::string>(), "sweep directory on a disk the nodes share (default runs/sweeps/<study>-<size>)")
      ("submit", po::bool_switch(), "call sbatch and print the job ids");
  options.add(slurm_options());
  bool help = false;
  const auto vm = parse_sub("slurm", args, options, "study", "gooselab sweep slurm STUDY [--size S] [--out DIR] [--submit]",
                            "Writes an sbatch script that runs the study's first wave as a job array (and, for a\n"
                            "search, an advance job that submits the next wave when it ends). The run\n"
                            "directories are those of a local sweep: status and collect work on either.",
                            "gooselab sweep slurm min-layers --size paper --partition gpu --gpus 1 --submit", &help);
  if (help) return 0;
  const Plan plan = plan_for(vm);
  const SweepDir dir(vm.count("out") ? vm["out"].as<std::string>() : default_out(plan));
  SlurmOptions o;
  o.partition = vm["partition"].as<std::string>();
  o.time = vm["time"].as<std::string>();
  o.cpus_per_task = vm["cpus-per-task"].as<int>();
  o.gpus = vm["gpus"].as<int>();
  o.max_parallel = vm["max-parallel"].as<int>();
  o.runs_per_task = vm["runs-per-task"].as<int>();
  o.check();  // before anything is written
  dir.write_plan(plan);
  const WaveScripts wave = write_wave(dir, plan, 0, o);
  print_wave(wave, vm["submit"].as<bool>() ? submit_wave(wave) : std::vector<std::string>());
  return 0;
}

int worker_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("wave", po::value<int>()->default_value(0), "the wave")
      ("index", po::value<int>(), "the array task index ($SLURM_ARRAY_TASK_ID)")
      ("runs-per-task", po::value<int>()->default_value(1), "runs per array task")
      ("cpus", po::value<int>()->default_value(1), "CPUs of this task")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | auto");
  bool help = false;
  const auto vm = parse_sub("worker", args, options, "dir", "gooselab sweep worker DIR --wave W --index I",
                            "Trains shard I of wave W's runs (one Slurm array task).",
                            "gooselab sweep worker runs/sweeps/min-layers-paper --wave 0 --index 3", &help);
  if (help) return 0;
  if (!vm.count("index")) throw std::invalid_argument("sweep worker: --index is required");
  const SweepDir dir(vm["dir"].as<std::string>());
  const int failed = run_shard(dir, dir.read_plan(), vm["wave"].as<int>(), vm["index"].as<int>(),
                               vm["runs-per-task"].as<int>(), std::max(1, vm["cpus"].as<int>()),
                               vm["device"].as<std::string>());
  if (failed > 0) fmt::print(stderr, "{} run(s) failed (recorded in their failure.json)\n", failed);
  return 0;
}

int advance_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("wave", po::value<int>(), "the wave to write")("submit", po::bool_switch(), "call sbatch");
  bool help = false;
  const auto vm = parse_sub("advance", args, options, "dir", "gooselab sweep advance DIR --wave W [--submit]",
                            "Lists the cells still unsolved after wave W-1 and writes (and submits) wave W.",
                            "gooselab sweep advance runs/sweeps/min-layers-paper --wave 1 --submit", &help);
  if (help) return 0;
  if (!vm.count("wave")) throw std::invalid_argument("sweep advance: --wave is required");
  const SweepDir dir(vm["dir"].as<std::string>());
  const Plan plan = dir.read_plan();
  const int wave = vm["wave"].as<int>();
  if (wave < 1 || wave >= plan.waves)
    throw std::invalid_argument(fmt::format("sweep advance: --wave must be in 1..{}", plan.waves - 1));
  const SlurmOptions o = SlurmOptions::from_json(core::read_json((fs::path(dir.slurm_path()) / "options.json").string()));
  const WaveScripts scripts = write_wave(dir, plan, wave, o);
  print_wave(scripts, vm["submit"].as<bool>() ? submit_wave(scripts) : std::vector<std::string>());
  return 0;
}

}  // namespace

int sweep_command(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kSweepUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (sub == "plan") return plan_command(rest);
  if (sub == "run") return run_command(rest);
  if (sub == "status") return status_command(rest);
  if (sub == "collect") return collect_command(rest);
  if (sub == "slurm") return slurm_command(rest);
  if (sub == "worker") return worker_command(rest);
  if (sub == "advance") return advance_command(rest);
  throw std::invalid_argument("unknown sweep subcommand '" + sub + "' (plan, run, status, collect, slurm, worker, advance)");
}

}  // namespace goose::experiments
