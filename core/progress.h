// What a training run shows while it works: a live line on a terminal (step, loss,
// accuracy, tokens/s, ETA) or one line per evaluation when stderr is not a terminal.
// Exports Progress, format_duration().
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace goose::core {

// "42s", "3m07s", "1h05m".
std::string format_duration(double seconds);

class Progress {
 public:
  // mode: auto (live on a TTY, lines otherwise) | lines | off.
  Progress(std::string mode, std::string label, int64_t total_steps);
  void step(int64_t step, double loss, double accuracy, double tokens_per_second, double eta_seconds);
  void evaluation(int64_t step, double loss, const LengthAccuracy& validation,
                  const std::vector<LengthAccuracy>& lengths, double tokens_per_second);

 private:
  std::string prefix() const;
  std::string label_;
  int64_t total_steps_;
  bool live_, lines_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace goose::core
