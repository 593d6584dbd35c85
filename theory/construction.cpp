// Choosing and planning a construction (see construction.h): swap when every input is a
// transposition (of the group's points or of the DFA's states), the cascade for mod-arith (whose
// co-automaton is too large for the regular pipeline's lookup), else the regular pipeline.
#include "theory/construction.h"

#include <stdexcept>

#include "theory/cascade_construction.h"
#include "theory/regular_construction.h"
#include "theory/swap_construction.h"

namespace goose::theory {

ConstructionPlan plan_construction(const tasks::Task& task, tasks::Objective objective,
                                   const ConstructOptions& options) {
  if (options.dim < 0) throw std::invalid_argument("construct: --dim must be >= 0, 0 = the narrowest (got " +
                                                   std::to_string(options.dim) + ")");
  ConstructionPlan plan;
  if (options.kind == "swap") {
    plan = swap_construction(task, objective, options.dim);
  } else if (options.kind == "regular") {
    if (task.group)
      throw std::invalid_argument("construct: the regular construction takes languages, not group word problems "
                                  "(" + task.spec + " has " + std::to_string(task.dfa.num_states) +
                                  " states; use the swap construction with transpositions as inputs)");
    plan = regular_construction(task, objective, options.dim);
  } else if (options.kind == "cascade") {
    plan = cascade_construction(task, objective, options.dim);
  } else if (options.kind == "auto") {
    try {
      plan = swap_construction(task, objective, options.dim);
    } catch (const std::invalid_argument& swap_error) {
      if (task.group) throw;  // the regular route cannot carry a group's states either
      if (task.spec == "mod-arith")
        plan = cascade_construction(task, objective, options.dim);
      else
        plan = regular_construction(task, objective, options.dim);
    }
  } else {
    throw std::invalid_argument("construct: --kind must be auto, swap, regular or cascade (got '" + options.kind + "')");
  }
  plan.description["task"] = task.spec;
  plan.description["objective"] = tasks::to_string(objective);
  plan.description["states"] = task.dfa.num_states;
  plan.description["symbols"] = task.dfa.num_symbols();
  return plan;
}

}  // namespace goose::theory
