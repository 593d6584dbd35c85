// PLACEHOLDER until the tasks CLI lands (replaced by the tasks helper).
#include <stdexcept>
#include "experiments/commands.h"
namespace goose::experiments {
int tasks_command(const Args&) { throw std::invalid_argument("tasks: not built yet"); }
}
