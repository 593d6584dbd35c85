// Checkpoints as LibTorch archives: the model and optimizer as nested archives, the loop
// state as scalar tensors. Saved under a temporary name, then renamed.
#include "core/checkpoint.h"

#include <stdexcept>

#include "core/fault.h"
#include "core/files.h"

namespace goose::core {

namespace {

torch::Tensor scalar_i64(int64_t value) { return torch::tensor(value, torch::kInt64); }
torch::Tensor scalar_f64(double value) { return torch::tensor(value, torch::kFloat64); }

int64_t read_i64(torch::serialize::InputArchive& archive, const char* key) {
  torch::Tensor value;
  archive.read(key, value);
  return value.item<int64_t>();
}

double read_f64(torch::serialize::InputArchive& archive, const char* key) {
  torch::Tensor value;
  archive.read(key, value);
  return value.item<double>();
}

}  // namespace

std::mutex& global_rng_mutex() {
  static std::mutex mutex;
  return mutex;
}

void save_checkpoint(const std::string& path, SequenceModel& model,
                     torch::optim::Optimizer* optimizer, const TrainState& state) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  archive.write("step", scalar_i64(state.step));
  archive.write("best_metric", scalar_f64(state.best_metric));
  archive.write("best_step", scalar_i64(state.best_step));
  archive.write("stopped_at_target", scalar_i64(state.stopped_at_target ? 1 : 0));
  archive.write("wall_seconds", scalar_f64(state.wall_seconds));
  archive.write("train_seconds", scalar_f64(state.train_seconds));
  archive.write("tokens", scalar_i64(state.tokens));
  {
    std::lock_guard<std::mutex> lock(global_rng_mutex());
    archive.write("rng_state", at::detail::getDefaultCPUGenerator().get_state());
  }
  const std::string tmp = temp_path_for(path);
  archive.save_to(tmp);
  rename_file(tmp, path);
  fault_point("checkpoint-written");
}

TrainState load_checkpoint(const std::string& path, SequenceModel& model,
                           torch::optim::Optimizer* optimizer) {
  if (!file_exists(path)) throw std::invalid_argument("checkpoint " + path + " not found");
  torch::serialize::InputArchive archive;
  TrainState state;
  try {
    archive.load_from(path, model.device());  // a checkpoint loads on either device
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      if (archive.try_read("optimizer", optimizer_archive)) optimizer->load(optimizer_archive);
    }
    state.step = read_i64(archive, "step");
    state.best_metric = read_f64(archive, "best_metric");
    state.best_step = read_i64(archive, "best_step");
    state.stopped_at_target = read_i64(archive, "stopped_at_target") != 0;
    state.wall_seconds = read_f64(archive, "wall_seconds");
    state.train_seconds = read_f64(archive, "train_seconds");
    state.tokens = read_i64(archive, "tokens");
    torch::Tensor rng_state;
    if (archive.try_read("rng_state", rng_state)) {
      std::lock_guard<std::mutex> lock(global_rng_mutex());
      at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle, not a copy
      generator.set_state(rng_state);
    }
  } catch (const c10::Error& e) {
    throw std::invalid_argument("cannot load checkpoint " + path + ": " +
                                e.what_without_backtrace());
  }
  return state;
}

}  // namespace goose::core
