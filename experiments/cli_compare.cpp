// `gooselab compare`: the main job. Six architectures with one shared budget on parity
// (per-position state, train 3..40, test to 256) and on the S5 word problem with
// transpositions as inputs, tested at 2x, 4x and 8x the training length. Every run is a
// normal run directory, so a killed compare restarted skips finished runs and resumes the rest.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "experiments/cli_common.h"
#include "core/files.h"
#include "core/run_directory.h"
#include "core/variants.h"
#include "core/version.h"
#include "experiments/run.h"
#include "experiments/run_options.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;

struct CompareTask {
  std::string name;         // directory and column name
  std::string spec;
  std::string train_len;    // A..B
  std::vector<int64_t> test_lengths;
  Args flags;               // this task's budget, the same for every model
};

struct CompareModel {
  std::string name;
  Args flags;
};

// The budget every model shares (no per-model tuning), and the two tasks. Sized for about
// 10 minutes on this 2-core machine (see the README for measured times). Per-position
// labels make training at one length cover every shorter prefix, hence S5 at 16 only.
struct Budget {
  Args flags;  // every run
  std::vector<CompareTask> tasks;
};

Budget make_budget(bool quick) {
  Budget b;
  if (quick) {
    b.flags = {"--layers", "1", "--dim", "16", "--head-size", "8", "--lr", "3e-3",
               "--warmup", "5", "--eval-count", "32", "--final-eval-count", "64"};
    const Args steps = {"--steps", "30", "--batch-size", "16", "--eval-every", "15"};
    b.tasks = {{"parity", "parity", "3..8", {16, 32}, steps},
               {"s5", "group:S5@transpositions", "4", {8, 16}, steps}};
  } else {
    b.flags = {"--layers", "2", "--dim", "64", "--head-size", "16", "--lr", "3e-3",
               "--warmup", "50", "--eval-count", "100", "--final-eval-count", "300"};
    b.tasks = {{"parity", "parity", "3..40", {40, 64, 128, 256},
                {"--steps", "600", "--batch-size", "32", "--eval-every", "100"}},
               {"s5", "group:S5@transpositions", "16", {32, 64, 128},
                {"--steps", "1000", "--batch-size", "32", "--eval-every", "200"}}};
  }
  return b;
}

std::vector<CompareModel> compare_models() {
  return {{"rwkv7", {"--variant", "rwkv7"}},
          {"rwkv7-a2-unclamped", {"--variant", "rwkv7-a2-unclamped"}},
          {"transformer", {"--variant", "transformer"}},
          {"dssm", {"--variant", "dssm"}},
          {"dssm-signed", {"--variant", "dssm-signed"}},
          {"lstm", {"--variant", "lstm"}}};
}

struct Job {
  const CompareTask* task;
  const CompareModel* model;
  std::string dir;
  Args args;
  nlohmann::json result;  // result.json, or {"error": ...}
  bool skipped = false;
  bool quiet = false;
};

std::string join_lengths(const std::vector<int64_t>& lengths) {
  std::string out;
  for (size_t i = 0; i < lengths.size(); ++i) out += (i ? "," : "") + std::to_string(lengths[i]);
  return out;
}

// Sequence (or token) accuracy of a job's final evaluation at `length`; NaN when missing.
double accuracy_at(const Job& job, int64_t length, const char* key) {
  if (!job.result.contains("selected")) return std::nan("");
  for (const auto& point : job.result["selected"]["test"])
    if (point.value("length", int64_t(-1)) == length) return point.value(key, std::nan(""));
  return std::nan("");
}

double accuracy_train(const Job& job, const char* key) {
  if (!job.result.contains("selected")) return std::nan("");
  return job.result["selected"]["test_train_lengths"].value(key, std::nan(""));
}

// Parses a job's option list with the train command's field options.
core::RunConfig job_config(const Args& args) {
  const po::variables_map vm = parse_options("compare", args, run_field_options());
  return resolve_run_config(field_args(vm));
}

void run_job(Job& job, std::mutex& print_mutex) {
  const core::RunConfig config = job_config(job.args);
  Session session;
  session.out_dir = job.dir;
  session.label = job.task->name + "/" + job.model->name;
  session.progress = job.quiet ? "off" : "lines";
  core::RunDirectory dir(job.dir);
  session.resume = dir.has_config() && core::run_id(read_run_config(job.dir).config) == core::run_id(config);
  session.force = !session.resume;  // a run left by a compare with another budget: start it over
  if (session.resume && dir.finished()) {
    job.result = dir.read_result();
    job.skipped = true;
    return;
  }
  try {
    run_training(config, session);
    job.result = dir.read_result();
  } catch (const core::TrainingDiverged& e) {
    dir.write_failure(e.what());
    job.result = {{"error", e.what()}};
  }
  std::lock_guard<std::mutex> lock(print_mutex);
  if (job.result.contains("error")) {
    std::fprintf(stderr, "%s/%s: %s\n", job.task->name.c_str(), job.model->name.c_str(),
                 job.result["error"].get<std::string>().c_str());
  } else {
    std::fprintf(stderr, "%s/%s: done in %.0f s, seq acc at training lengths %.3f\n",
                 job.task->name.c_str(), job.model->name.c_str(),
                 job.result.value("wall_seconds", 0.0), accuracy_train(job, "seq_acc"));
  }
}

std::string cell(double value) {
  if (std::isnan(value)) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

// One table: rows are models, columns task x length ("train" = the training range).
std::string table(const std::vector<CompareTask>& tasks, const std::vector<CompareModel>& models,
                  const std::vector<Job>& jobs, const char* key, bool markdown) {
  std::ostringstream out;
  std::vector<std::string> header = {"model"};
  for (const auto& task : tasks) {
    header.push_back(task.name + " train");
    for (const int64_t length : task.test_lengths) header.push_back(task.name + " " + std::to_string(length));
  }
  auto row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (markdown) {
        out << "| " << cells[i] << " ";
      } else {
        char text[64];
        std::snprintf(text, sizeof text, i == 0 ? "%-14s" : " %11s", cells[i].c_str());
        out << text;
      }
    }
    out << (markdown ? "|\n" : "\n");
  };
  row(header);
  if (markdown) row(std::vector<std::string>(header.size(), "---"));
  for (const auto& model : models) {
    std::vector<std::string> cells = {model.name};
    for (const auto& task : tasks) {
      const Job* found = nullptr;
      for (const auto& job : jobs)
        if (job.task == &task && job.model == &model) found = &job;
      const bool failed = found == nullptr || found->result.contains("error");
      cells.push_back(failed ? "diverged" : cell(accuracy_train(*found, key)));
      for (const int64_t length : task.test_lengths)
        cells.push_back(failed ? "-" : cell(accuracy_at(*found, length, key)));
    }
    row(cells);
  }
  return out.str();
}

}  // namespace

int compare_command(const Args& args) {
  po::options_description options("options");
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  options.add_options()
      ("quick", po::bool_switch(), "a tiny version (seconds), for tests")
      ("out", po::value<std::string>()->default_value("runs/compare"), "output directory (one run directory per task and model)")
      ("threads", po::value<int>()->default_value(cores), "runs trained at once, one intra-op thread each (results do not depend on it)")
      ("seed", po::value<uint64_t>()->default_value(1), "seed of every run")
      ("no-plot", po::bool_switch(), "skip analysis/plot_compare.py")
      ("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab compare [--quick] [--out DIR] [--threads N] [--seed S]",
                           "The main job: rwkv7 (released and relaxed), transformer, dssm (0,1) and (-1,1)\n"
                           "and lstm, one shared budget, on parity (train 3..40, test 40..256) and on the S5\n"
                           "word problem with transpositions as inputs (test at 2x, 4x, 8x the training\n"
                           "length). Writes OUT/<task>/<model>/ run directories, OUT/summary.json,\n"
                           "OUT/summary.md and OUT/compare.png. A killed compare, restarted, skips finished\n"
                           "runs and resumes the others.",
                           options, "gooselab compare --out runs/compare");
    return 0;
  }
  const po::variables_map vm = parse_options("compare", args, options);
  const bool quick = vm["quick"].as<bool>();
  const std::string out = vm["out"].as<std::string>();
  const int threads = vm["threads"].as<int>();
  if (threads < 1) throw std::invalid_argument("compare: --threads must be >= 1 (got " + std::to_string(threads) + ")");
  const uint64_t seed = vm["seed"].as<uint64_t>();

  const Budget budget = make_budget(quick);
  const std::vector<CompareModel> models = compare_models();
  std::vector<Job> jobs;
  // Recurrent RWKV-7 runs are the slowest: they go first so the workers finish together.
  for (const auto& model : models) {
    for (const auto& task : budget.tasks) {
      Job job;
      job.task = &task;
      job.model = &model;
      job.dir = (fs::path(out) / task.name / model.name).string();
      job.quiet = quick;
      job.args = {"--task", task.spec, "--train-len", task.train_len, "--eval-lengths",
                  join_lengths(task.test_lengths), "--seed", std::to_string(seed)};
      job.args.insert(job.args.end(), budget.flags.begin(), budget.flags.end());
      job.args.insert(job.args.end(), task.flags.begin(), task.flags.end());
      job.args.insert(job.args.end(), model.flags.begin(), model.flags.end());
      core::validate(job_config(job.args));  // bad budgets fail before anything runs
      jobs.push_back(std::move(job));
    }
  }
  core::make_dirs(out);

  // One intra-op thread per run and `threads` runs at once: the same numbers whatever
  // --threads is (LibTorch CPU autograd runs backward on the calling thread).
  torch::set_num_threads(1);
  const auto start = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  std::mutex print_mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      try {
        run_job(jobs[i], print_mutex);
      } catch (...) {
        std::lock_guard<std::mutex> lock(print_mutex);
        if (!failure) failure = std::current_exception();
        next = jobs.size();
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < std::min<int>(threads, int(jobs.size())); ++i) workers.emplace_back(worker);
  for (auto& thread : workers) thread.join();
  if (failure) std::rethrow_exception(failure);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // summary.json: everything plot_compare.py and the README need.
  nlohmann::json summary = {{"quick", quick}, {"seed", seed}, {"wall_seconds", seconds},
                            {"threads", threads}, {"budget", budget.flags},
                            {"code_version", core::code_version()}};
  summary["tasks"] = nlohmann::json::array();
  for (const auto& task : budget.tasks)
    summary["tasks"].push_back({{"name", task.name}, {"spec", task.spec}, {"train_len", task.train_len},
                                {"test_lengths", task.test_lengths}, {"budget", task.flags}});
  summary["models"] = nlohmann::json::array();
  for (const auto& model : models)
    summary["models"].push_back({{"name", model.name}, {"flags", model.flags}});
  summary["runs"] = nlohmann::json::array();
  int skipped = 0;
  for (const auto& job : jobs) {
    summary["runs"].push_back({{"task", job.task->name}, {"model", job.model->name},
                               {"dir", job.dir}, {"result", job.result}});
    skipped += job.skipped ? 1 : 0;
  }
  core::write_json_atomic((fs::path(out) / "summary.json").string(), summary);
  const std::string seq_table = table(budget.tasks, models, jobs, "seq_acc", false);
  const std::string tok_table = table(budget.tasks, models, jobs, "token_acc", false);
  std::ostringstream md;
  md << "# gooselab compare" << (quick ? " (quick)" : "") << "\n\n"
     << "Budget (every model): `";
  for (const auto& flag : budget.flags) md << flag << " ";
  md << "--seed " << seed << "`";
  for (const auto& task : budget.tasks) {
    md << "; " << task.name << " (`" << task.spec << "`, trained on " << task.train_len << "): `";
    for (const auto& flag : task.flags) md << flag << " ";
    md << "`";
  }
  md << "\n\n## Sequence accuracy\n\n"
     << table(budget.tasks, models, jobs, "seq_acc", true)
     << "\n## Token accuracy\n\n" << table(budget.tasks, models, jobs, "token_acc", true);
  core::write_file_atomic((fs::path(out) / "summary.md").string(), md.str());

  std::printf("sequence accuracy (columns: task and test length; train = the training lengths)\n%s\n",
              seq_table.c_str());
  std::printf("token accuracy\n%s\n", tok_table.c_str());
  std::printf("%zu runs (%d already done) in %.0f s; summary in %s/summary.json and summary.md\n",
              jobs.size(), skipped, seconds, out.c_str());

  if (!vm["no-plot"].as<bool>()) {
    const std::string script = (fs::path(source_dir()) / "analysis" / "plot_compare.py").string();
    const std::string png = (fs::path(out) / "compare.png").string();
    if (!core::file_exists("/usr/bin/python3") || !core::file_exists(script) ||
        std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") != 0) {
      std::printf("note: no plot (needs /usr/bin/python3 with matplotlib and %s)\n", script.c_str());
    } else {
      const std::string command = "/usr/bin/python3 '" + script + "' '" +
                                  (fs::path(out) / "summary.json").string() + "' '" + png + "'";
      if (std::system(command.c_str()) == 0) {
        std::printf("plot: %s\n", png.c_str());
      } else {
        std::printf("note: plotting failed (%s)\n", command.c_str());
      }
    }
  }
  return 0;
}

}  // namespace goose::experiments
