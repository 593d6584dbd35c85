// The gooselab subcommands. Each takes the arguments after its name and returns the exit
// code: 0 success, 2 bad input (after printing one "error: ..." line to stderr).
#pragma once
#include <string>
#include <vector>

namespace goose::experiments {

using Args = std::vector<std::string>;

int tasks_command(const Args& args);    // gooselab tasks list|show|sample|dfa   (cli_tasks.cpp)
int train_command(const Args& args);    // gooselab train                        (cli_train.cpp)
int eval_command(const Args& args);     // gooselab eval                         (cli_train.cpp)
int compare_command(const Args& args);  // gooselab compare: the main job        (cli_compare.cpp)
int sweep_command(const Args& args);    // gooselab sweep plan|run|status|...    (cli_sweep.cpp)
int inspect_command(const Args& args);  // gooselab inspect                      (cli_inspect.cpp)
int report_command(const Args& args);   // gooselab report STUDY_DIR... --out DIR (cli_report.cpp)
int construct_command(const Args& args);  // gooselab construct: hand-set weights (cli_construct.cpp)

}  // namespace goose::experiments
