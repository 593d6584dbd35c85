// What `gooselab tasks show` reports about a task: sizes, the transition monoid and the
// algebraic class of its language. Exports TaskFacts, analyse_task().
#pragma once
#include <cstddef>
#include <optional>

#include "automata/monoid.h"
#include "tasks/task.h"

namespace goose::tasks {

struct TaskFacts {
  int states = 0;  // of the minimal complete DFA
  int alphabet_size = 0;
  size_t monoid_size = 0;
  automata::AlgebraicClass algebraic_class = automata::AlgebraicClass::Aperiodic;
  bool commutative = false;
  std::optional<int> group_order;  // group tasks
};

// analyse_monoid on the minimal DFA. Group tasks: the transition monoid of a group's word
// problem is the group itself (acting on itself by right multiplication), so its facts
// come from the group directly: exact, and cheap even for groups of order 40320.
// Errors: std::invalid_argument when the monoid exceeds automata::kDefaultMonoidLimit.
TaskFacts analyse_task(const Task& task);

}  // namespace goose::tasks
