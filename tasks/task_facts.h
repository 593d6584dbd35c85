// What `gooselab tasks show` (and a sweep's results table) reports about a task: sizes, the
// transition monoid, and the algebra the theory ranks models by (REFERENCE.md §3): the
// group kind and derived length, and whether every input symbol has period <= 2.
// Exports TaskFacts, analyse_task().
#pragma once
#include <cstddef>
#include <optional>
#include <string>

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
  // The worst maximal subgroup of the transition monoid: "trivial" (aperiodic, star-free) <
  // "elementary-abelian-2" < "abelian" < "solvable" < "non-solvable" (automata::to_string).
  std::string group_kind = "trivial";
  // Longest derived series among the maximal subgroups: 0 trivial, 1 abelian, d solvable,
  // -1 non-solvable. k layers of complex diagonal recurrences reach derived length <= k.
  int derived_length = 0;
  // Every input symbol's transformation t has period <= 2 (t^(m+2) = t^m): the one-layer
  // condition for a real-eigenvalue recurrence.
  bool inputs_period_le2 = true;
  // Every input symbol is an involution (t∘t = identity) or idempotent (t∘t = t).
  bool inputs_involution_or_idempotent = true;
};

// analyse_monoid on the minimal DFA. Group tasks: the transition monoid of a group's word
// problem is the group itself (acting on itself by right multiplication), so its facts
// come from the group directly: exact, and cheap even for groups of order 40320. The input
// symbols' periods come from their transformations (automata::letter_cycles) for every task.
// Errors: std::invalid_argument when the monoid exceeds automata::kDefaultMonoidLimit.
TaskFacts analyse_task(const Task& task);

}  // namespace goose::tasks
