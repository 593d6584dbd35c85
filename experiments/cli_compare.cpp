// `gooselab compare`: the main job. The study experiments/studies/compare.toml (every model
// variant the theory ranks, one shared budget, parity and S5 with transpositions, 3 seeds) run
// by the sweep engine, then one table (median and range over seeds) and one figure (every seed).
// A killed compare, restarted, skips finished runs and resumes the others.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "core/device.h"
#include "core/files.h"
#include "core/text.h"
#include "core/version.h"
#include "experiments/cli_common.h"
#include "experiments/commands.h"
#include "experiments/study.h"
#include "experiments/sweep.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// "0.993 [0.98–1]": the median over seeds and the range; "-" without runs, "fail" when every
// seed diverged.
std::string cell(std::vector<double> values, int failed) {
  if (values.empty()) return failed ? "diverged" : "-";
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  std::string text = fmt::format("{:.3g}", median);
  if (values.front() != values.back()) text += fmt::format(" [{:.3g}–{:.3g}]", values.front(), values.back());
  if (failed) text += fmt::format(" ({} diverged)", failed);
  return text;
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Rows: variants in plan order; columns: each setting's training lengths, then its test lengths.
Table make_table(const Plan& plan, const json& results, const char* metric) {
  std::vector<std::string> variants, settings;
  for (const auto& run : plan.runs) {
    if (std::find(variants.begin(), variants.end(), run.variant) == variants.end()) variants.push_back(run.variant);
    const std::string setting = run.cell["setting"];
    if (std::find(settings.begin(), settings.end(), setting) == settings.end()) settings.push_back(setting);
  }
  struct Column {
    std::string setting, label;
    int64_t length;  // -1: the training lengths
  };
  std::vector<Column> columns;
  for (const auto& setting : settings)
    for (const auto& run : plan.runs)
      if (run.cell["setting"] == setting) {
        columns.push_back({setting, setting + " " + core::format_length_range(run.config.train.train_min_len, run.config.train.train_max_len), -1});
        for (const int64_t L : run.config.train.eval_lengths) columns.push_back({setting, setting + " " + std::to_string(L), L});
        break;
      }
  Table table;
  table.header.push_back("model");
  for (const auto& c : columns) table.header.push_back(c.label);
  std::map<std::string, std::string> setting_of;  // run id -> setting
  for (const auto& run : plan.runs) setting_of[run.run_id] = run.cell["setting"];
  for (const auto& variant : variants) {
    std::vector<std::string> row = {variant};
    for (const auto& c : columns) {
      std::vector<double> values;
      int failed = 0;
      for (const auto& r : results) {
        if (r["variant"] != variant || setting_of[r["run_id"].get<std::string>()] != c.setting) continue;
        if (r["status"] == "failed") {
          failed += c.length == -1;
          continue;
        }
        const bool train_row = r["eval"] == "train";
        if ((c.length == -1) == train_row && (train_row || r["eval_min_len"].get<int64_t>() == c.length))
          values.push_back(r[metric].get<double>());
      }
      row.push_back(cell(values, failed));
    }
    table.rows.push_back(row);
  }
  return table;
}

std::string render(const Table& t, bool markdown) {
  std::vector<size_t> width(t.header.size());
  for (size_t c = 0; c < width.size(); ++c) {
    width[c] = t.header[c].size();
    for (const auto& row : t.rows) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c)
      out += markdown ? "| " + cells[c] + " " : fmt::format("{}{:<{}}", c ? "  " : "", cells[c], width[c]);
    out += markdown ? "|\n" : "\n";
  };
  line(t.header);
  if (markdown) line(std::vector<std::string>(t.header.size(), "---"));
  for (const auto& row : t.rows) line(row);
  return out;
}

}  // namespace

int compare_command(const Args& args) {
  po::options_description options("options");
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  options.add_options()
      ("quick", po::bool_switch(), "the study's quick size (seconds; for tests)")
      ("out", po::value<std::string>()->default_value("runs/compare"), "sweep directory")
      ("jobs", po::value<int>()->default_value(cores), "runs trained at once, one intra-op thread each")
      ("study", po::value<std::string>(), "another study file with the same shape (axes variant and setting)")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N | auto; on a GPU, --jobs runs share it")
      ("no-plot", po::bool_switch(), "skip analysis/plot_compare.py")
      ("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab compare [--quick] [--out DIR] [--jobs N]",
                           "The main job: the study experiments/studies/compare.toml — RWKV-7 released, with the\n"
                           "rate range (0,2) and its stable form, Transformer, diagonal SSMs with real (0,1),\n"
                           "real (-1,1) and complex eigenvalues, LSTM — one budget, on parity (train 3..40, test\n"
                           "to 256) and on S5 with transpositions (train 16, test 2x, 4x, 8x), 3 seeds. Prints\n"
                           "the median [range] over seeds and writes OUT/summary.md, OUT/results.csv and\n"
                           "OUT/compare.png (every seed). A killed compare, restarted, loses nothing.",
                           options, "gooselab compare --out runs/compare");
    return 0;
  }
  const po::variables_map vm = parse_options("compare", args, options);
  const int jobs = vm["jobs"].as<int>();
  if (jobs < 1) throw std::invalid_argument("compare: --jobs must be >= 1 (got " + std::to_string(jobs) + ")");
  const std::string study_file = vm.count("study") ? vm["study"].as<std::string>()
                                                   : (fs::path(source_dir()) / "experiments" / "studies" / "compare.toml").string();
  const Plan plan = make_plan(load_study(study_file), vm["quick"].as<bool>() ? "quick" : "default");
  for (const auto& axis : {"variant", "setting"})
    if (std::find(plan.axes.begin(), plan.axes.end(), axis) == plan.axes.end())
      throw std::invalid_argument("compare: " + study_file + " needs the axes variant and setting");
  core::parse_device(vm["device"].as<std::string>());  // fails before anything is written
  const SweepDir dir(vm["out"].as<std::string>());
  dir.write_plan(plan);

  const auto start = std::chrono::steady_clock::now();
  WorkerOptions worker;
  worker.jobs = jobs;
  worker.progress = vm["quick"].as<bool>() ? "off" : "auto";
  worker.device = vm["device"].as<std::string>();
  run_waves(dir, plan, worker);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  collect_results(dir, plan);
  const json results = core::read_json((fs::path(dir.path()) / "results.json").string());
  const SweepCounts counts = sweep_counts(dir, plan);

  const Table seq = make_table(plan, results, "seq_acc"), tok = make_table(plan, results, "token_acc");
  fmt::print("sequence accuracy, median [min–max] over {} seeds (first column of each task: its training lengths)\n{}\n",
             plan.runs.empty() ? 0 : std::count_if(plan.runs.begin(), plan.runs.end(), [&](const PlannedRun& r) {
               return r.cell == plan.runs.front().cell;
             }), render(seq, false));
  std::string md = fmt::format("# gooselab compare{}\n\n", plan.size == "quick" ? " (quick)" : "");
  md += fmt::format("Study `{}` (size {}), {} runs, code {}; this session {:.0f} s with --jobs {}.\n\n", study_file,
                    plan.size, plan.runs.size(), core::code_version(), seconds, jobs);
  md += "Cells: median [min–max] over seeds; the selected checkpoint on a fresh test set.\n\n";
  md += "## Sequence accuracy\n\n" + render(seq, true) + "\n## Token accuracy\n\n" + render(tok, true);
  core::write_file_atomic((fs::path(dir.path()) / "summary.md").string(), md);
  fmt::print("{} runs ({} done, {} failed) in {:.0f} s; {}/summary.md, results.csv\n", plan.runs.size(), counts.done,
             counts.failed, seconds, dir.path());
  if (!vm["no-plot"].as<bool>())
    fmt::print("{}\n", run_analysis_script("plot_compare.py", {(fs::path(dir.path()) / "results.csv").string(),
                                                                (fs::path(dir.path()) / "compare.png").string()}));
  return 0;
}

}  // namespace goose::experiments
