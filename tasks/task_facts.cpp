// Task facts for `gooselab tasks show` (see task_facts.h).
#include "tasks/task_facts.h"

namespace goose::tasks {

TaskFacts analyse_task(const Task& task) {
  TaskFacts facts;
  facts.states = task.dfa.num_states;
  facts.alphabet_size = task.dfa.num_symbols();
  for (const automata::LetterCycle& c : automata::letter_cycles(task.dfa)) {
    facts.inputs_period_le2 = facts.inputs_period_le2 && c.period <= 2;
    facts.inputs_involution_or_idempotent =
        facts.inputs_involution_or_idempotent && (c.involution() || c.idempotent());
  }
  if (task.group) {
    const automata::FiniteGroup& g = *task.group;
    facts.group_order = g.order();
    facts.monoid_size = static_cast<size_t>(g.order());
    facts.commutative = g.is_abelian();
    facts.derived_length = g.derived_length();
    facts.group_kind = automata::to_string(g.kind());
    facts.algebraic_class = g.order() == 1            ? automata::AlgebraicClass::Aperiodic
                            : facts.derived_length >= 0 ? automata::AlgebraicClass::Solvable
                                                        : automata::AlgebraicClass::NonSolvable;
    return facts;
  }
  const automata::MonoidInfo info = automata::analyse_monoid(task.dfa);
  facts.monoid_size = info.size;
  facts.commutative = info.commutative;
  facts.algebraic_class = info.algebraic_class;
  facts.group_kind = automata::to_string(info.group_kind);
  facts.derived_length = info.derived_length;
  return facts;
}

}  // namespace goose::tasks
