// Task facts for `gooselab tasks show` (see analysis.h).
#include "tasks/analysis.h"

namespace goose::tasks {

TaskFacts analyse_task(const Task& task) {
  TaskFacts facts;
  facts.states = task.dfa.num_states;
  facts.alphabet_size = task.dfa.num_symbols();
  if (task.group) {
    const automata::FiniteGroup& g = *task.group;
    facts.group_order = g.order();
    facts.monoid_size = static_cast<size_t>(g.order());
    facts.commutative = g.is_abelian();
    facts.algebraic_class = g.order() == 1   ? automata::AlgebraicClass::Aperiodic
                            : g.is_solvable() ? automata::AlgebraicClass::Solvable
                                              : automata::AlgebraicClass::NonSolvable;
    return facts;
  }
  const automata::MonoidInfo info = automata::analyse_monoid(task.dfa);
  facts.monoid_size = info.size;
  facts.commutative = info.commutative;
  facts.algebraic_class = info.algebraic_class;
  return facts;
}

}  // namespace goose::tasks
