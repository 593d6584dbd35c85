// Objectives of a task (see task.h). Tasks themselves are built by the registry
// (tasks/registry.cpp), which defines make_task().
#include "tasks/task.h"

#include <stdexcept>

namespace goose::tasks {

Objective parse_objective(const std::string& name) {
  if (name == "state") return Objective::State;
  if (name == "accept") return Objective::Accept;
  if (name == "accept-final") return Objective::AcceptFinal;
  throw std::invalid_argument("unknown objective '" + name + "' (state, accept or accept-final)");
}

std::string to_string(Objective objective) {
  switch (objective) {
    case Objective::State: return "state";
    case Objective::Accept: return "accept";
    case Objective::AcceptFinal: return "accept-final";
  }
  return "?";
}

}  // namespace goose::tasks
