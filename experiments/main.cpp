// gooselab: the command line. Dispatches to the subcommands in commands.h and turns
// user-input errors into one "error:" line and exit code 2.
#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include "core/allocator.h"
#include "experiments/commands.h"

namespace {

const char* kUsage =
    "usage: gooselab <command> [options]\n"
    "\n"
    "commands:\n"
    "  tasks list|show|sample|dfa   inspect and sample the built-in and user-defined tasks\n"
    "  train                        train one model on one task into a run directory\n"
    "  eval                         evaluate a trained run at any lengths\n"
    "  inspect                      what a trained model does: eigenvalues, state norms, gates\n"
    "  construct                    hand-set RWKV-7 weights that compute a task exactly\n"
    "  compare                      the main job: every architecture on parity and S5\n"
    "  report                       the reproduction report (paper/REPORT.md) from sweeps\n"
    "  sweep plan|run|status|collect|slurm\n"
    "                               studies as files, on local cores or as Slurm job arrays\n"
    "\n"
    "Run 'gooselab <command> --help' for a command's options and an example.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace goose::experiments;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  // Before any tensor: training and evaluation free and reallocate the same buffers every
  // step, and glibc's defaults would fault their pages in again each time (core/allocator.h).
  goose::core::keep_freed_memory();
  const std::string command = argv[1];
  const Args args(argv + 2, argv + argc);
  try {
    if (command == "tasks") return tasks_command(args);
    if (command == "train") return train_command(args);
    if (command == "eval") return eval_command(args);
    if (command == "compare") return compare_command(args);
    if (command == "sweep") return sweep_command(args);
    if (command == "inspect") return inspect_command(args);
    if (command == "report") return report_command(args);
    if (command == "construct") return construct_command(args);
    std::cerr << "error: unknown command '" << command << "' (try: gooselab --help)\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: internal: " << e.what() << "\n";
    return 1;
  }
}
