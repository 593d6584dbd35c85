// Training checkpoints (last.pt, best.pt): model, optimizer, step, the loop's own state and
// the RNG, written atomically so a killed run always leaves a loadable file.
// Exports TrainState, save_checkpoint(), load_checkpoint(), load_model_weights().
#pragma once
#include <cstdint>
#include <mutex>
#include <string>

#include <torch/torch.h>

#include "core/model.h"

namespace goose::core {

// Everything the loop carries between steps besides the model and the optimizer. The data
// for step s is a pure function of (seed, s), so `step` is the whole data position.
struct TrainState {
  int64_t step = 0;            // optimizer steps done
  double best_metric = -1.0;   // best validation sequence accuracy at the training lengths
  int64_t best_step = -1;      // step of best_metric (-1: no evaluation yet)
  bool stopped_at_target = false;
  double wall_seconds = 0.0;   // time in the loop so far (evaluations included), all sessions
  double train_seconds = 0.0;  // time in training steps only, for tokens/s
  int64_t tokens = 0;          // tokens trained on so far (BOS and symbols, not padding)
};

// `optimizer` may be null (then none is stored).
void save_checkpoint(const std::string& path, SequenceModel& model,
                     torch::optim::Optimizer* optimizer, const TrainState& state);
// Restores the model (and the optimizer when non-null and present in the file) and the
// CPU RNG; returns the loop state. Throws std::invalid_argument on a missing or bad file.
TrainState load_checkpoint(const std::string& path, SequenceModel& model,
                           torch::optim::Optimizer* optimizer);

// Guards LibTorch's global CPU generator (seeding before model construction, restoring it
// from a checkpoint) when several runs train in one process (gooselab compare).
std::mutex& global_rng_mutex();

}  // namespace goose::core
