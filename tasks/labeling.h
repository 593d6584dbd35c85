// Labelings of a task string: per-position DFA state (group tasks: the running product's
// element index), accept-style label of every prefix, or of the whole string only.
// Exports label_word(), num_classes(), class_names().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tasks/task.h"

namespace goose::tasks {

// labels[t] (t in [0,n)): the label after the first t+1 symbols, or core::kIgnoreIndex
// where the objective labels nothing (accept-final before the end; mod-arith after an
// operator). The BOS position is not part of this array.
void label_word(const Task& task, Objective objective, const int32_t* word, int64_t n, int64_t* labels);
std::vector<int64_t> label_word(const Task& task, Objective objective, const std::vector<int32_t>& word);

int64_t num_classes(const Task& task, Objective objective);
// Printable label names: state names (group elements) or indices; output names.
std::string class_name(const Task& task, Objective objective, int64_t label);

}  // namespace goose::tasks
