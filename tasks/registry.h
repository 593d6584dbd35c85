// The task registry: one table with an entry per task family (its spec pattern, a one-line
// summary, the concrete built-in specs, and the builder make_task() calls). `gooselab tasks
// list`, the `tasks --help` text and the README's task table are all generated from it.
// Exports SpecArgument, TaskEntry, task_registry(), find_task_entry(), builtin_specs(),
// task_table_markdown().
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tasks/task.h"

namespace goose::tasks {

// Whether a family's spec takes an argument after the first ':' ("tomita:3", "cycle-nav[:N]").
enum class SpecArgument { None, Optional, Required };

struct TaskEntry {
  std::string name;       // the spec's head, before the first ':' ("tomita")
  std::string pattern;    // how to write a spec of the family ("tomita:N")
  SpecArgument argument = SpecArgument::None;
  std::string summary;    // one line: the language and its labels
  std::vector<std::string> builtins;  // concrete specs: listed, tested, ready for --task
  // argument: the text after the first ':', absent when the spec has no ':'. `spec` is the
  // whole spec, for error messages. Errors: std::invalid_argument naming the spec.
  std::function<Task(const std::optional<std::string>& argument, const std::string& spec)> build;
};

const std::vector<TaskEntry>& task_registry();
const TaskEntry* find_task_entry(const std::string& name);  // nullptr when unknown
std::vector<std::string> builtin_specs();  // every entry's built-ins, in table order

// The README's task table (GitHub markdown, one row per family, '|' escaped), as printed by
// `gooselab tasks list --markdown`; ends with a newline.
std::string task_table_markdown();

}  // namespace goose::tasks
