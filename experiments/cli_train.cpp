// PLACEHOLDER until the training CLI lands (replaced by the training helper).
#include <stdexcept>
#include "experiments/commands.h"
namespace goose::experiments {
int train_command(const Args&) { throw std::invalid_argument("train: not built yet"); }
int eval_command(const Args&) { throw std::invalid_argument("eval: not built yet"); }
int compare_command(const Args&) { throw std::invalid_argument("compare: not built yet"); }
}
