// Progress lines of a training run (see progress.h), formatted with fmt.
#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace goose::core {

std::string format_duration(double seconds) {
  const int64_t s = std::max<int64_t>(0, int64_t(std::llround(seconds)));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

Progress::Progress(std::string mode, std::string label, int64_t total_steps)
    : label_(std::move(label)),
      total_steps_(total_steps),
      live_(mode == "auto" && ::isatty(2)),
      lines_(mode == "lines" || (mode == "auto" && !::isatty(2))) {}

std::string Progress::prefix() const {
  return label_.empty() ? std::string() : label_ + "  ";
}

void Progress::step(int64_t step, double loss, double accuracy, double tokens_per_second,
                    double eta_seconds) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(250) && step != total_steps_) return;
  last_ = now;
  fmt::print(stderr, "\r\033[K{}step {}/{}  loss {:.4f}  acc {:.3f}  {:.0f} tok/s  ETA {}", prefix(),
             step, total_steps_, loss, accuracy, tokens_per_second, format_duration(eta_seconds));
  std::fflush(stderr);
}

void Progress::evaluation(int64_t step, double loss, const LengthAccuracy& validation,
                          const std::vector<LengthAccuracy>& lengths, double tokens_per_second) {
  if (!live_ && !lines_) return;
  std::string line = fmt::format("{}{}step {}/{}  loss {:.4f}  val seq {:.3f} tok {:.3f}",
                                 live_ ? "\r\033[K" : "", prefix(), step, total_steps_, loss,
                                 validation.sequence_accuracy, validation.token_accuracy);
  for (const auto& point : lengths) line += fmt::format("  L{} {:.3f}", point.min_len, point.sequence_accuracy);
  line += fmt::format("  {:.0f} tok/s\n", tokens_per_second);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace goose::core
