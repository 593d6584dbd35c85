// `gooselab report STUDY_DIR... --out DIR`: the reproduction report (DIR/REPORT.md with its
// figures, verdicts and commands) from finished sweeps, by running analysis/report.py with
// Debian's Python. A thin launcher: every number is computed in analysis/ from results.csv.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/files.h"
#include "experiments/cli_common.h"
#include "experiments/commands.h"

extern char** environ;

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";

// Runs argv[0] with argv (no shell), stdout and stderr passed through unless quiet. Returns
// the exit status, or -1 when it could not start or did not exit normally.
int run_program(const std::vector<std::string>& argv, bool quiet) {
  std::vector<char*> raw;
  for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int started = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (started != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

int report_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("out", po::value<std::string>(), "output folder: REPORT.md, figures/, results/ (copies of the tables)")
      ("machine", po::value<std::string>(), "machine description to print (default: this machine)")
      ("date", po::value<std::string>(), "date to print (default: today, UTC)")
      ("study", po::value<std::vector<std::string>>(), "")
      ("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab report STUDY_DIR... --out DIR [--machine TEXT] [--date YYYY-MM-DD]",
                           "Writes DIR/REPORT.md from finished sweeps (each STUDY_DIR holds a results.csv from\n"
                           "`gooselab sweep collect`, or is such a CSV): the figures and tables of\n"
                           "analysis/, a verdict per claim of the RWKV-7 paper and REFERENCE.md §3 with its\n"
                           "threshold and cells, the disagreements with their likely causes, the budgets,\n"
                           "machine, date, code version and the commands that reproduce it. Needs\n"
                           "/usr/bin/python3 with matplotlib and pandas (scripts/setup installs them).",
                           options, "gooselab report runs/sweeps/ladder-quick runs/sweeps/knobs-quick --out paper");
    return 0;
  }
  po::positional_options_description positional;
  positional.add("study", -1);
  const po::variables_map vm = parse_options("report", args, options, positional);
  if (!vm.count("study"))
    throw std::invalid_argument("report: no STUDY_DIR given (try: gooselab report --help)");
  if (!vm.count("out")) throw std::invalid_argument("report: missing --out DIR (e.g. --out paper)");
  const auto studies = vm["study"].as<std::vector<std::string>>();
  for (const auto& study : studies) {
    const bool csv = fs::is_regular_file(study);
    if (!csv && !core::file_exists((fs::path(study) / "results.csv").string()))
      throw std::invalid_argument("report: " + study + " has no results.csv (run: gooselab sweep collect " + study + ")");
  }
  const std::string script = (fs::path(source_dir()) / "analysis" / "report.py").string();
  if (!core::file_exists(script))
    throw std::invalid_argument("report: " + script + " not found (set GOOSE_SOURCE_DIR to the gooselab checkout)");
  if (!core::file_exists(kPython) ||
      run_program({kPython, "-c", "import matplotlib, pandas"}, /*quiet=*/true) != 0)
    throw std::invalid_argument(std::string("report: needs ") + kPython + " with matplotlib and pandas (run scripts/setup)");
  std::vector<std::string> argv = {kPython, script};
  argv.insert(argv.end(), studies.begin(), studies.end());
  argv.insert(argv.end(), {"--out", vm["out"].as<std::string>()});
  if (vm.count("machine")) argv.insert(argv.end(), {"--machine", vm["machine"].as<std::string>()});
  if (vm.count("date")) argv.insert(argv.end(), {"--date", vm["date"].as<std::string>()});
  const int status = run_program(argv, /*quiet=*/false);
  if (status == 0) return 0;
  if (status == 2) return 2;  // report.py printed its own "error:" line
  std::cerr << "error: report: analysis/report.py failed (exit " << status << ")\n";
  return 1;
}

}  // namespace goose::experiments
