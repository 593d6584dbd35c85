// GOOSE_FAULT crash points (see fault.h).
#include "core/fault.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

namespace goose::core {

namespace {

struct FaultSpec {
  std::string name;  // empty: no fault armed
  long hit = 1;      // die at this arrival
};

const FaultSpec& spec() {
  static const FaultSpec parsed = [] {
    FaultSpec out;
    const char* env = std::getenv("GOOSE_FAULT");
    if (env == nullptr || *env == '\0') return out;
    const std::string text = env;
    const size_t at = text.find('@');
    out.name = text.substr(0, at);
    if (at != std::string::npos) out.hit = std::max(1L, std::atol(text.c_str() + at + 1));
    return out;
  }();
  return parsed;
}

}  // namespace

bool fault_due(const char* name) {
  static std::atomic<long> arrivals{0};
  const FaultSpec& s = spec();
  if (s.name.empty() || s.name != name) return false;
  return ++arrivals == s.hit;
}

void die_now() {
  ::kill(::getpid(), SIGKILL);
  std::abort();  // not reached
}

void fault_point(const char* name) {
  if (fault_due(name)) die_now();
}

}  // namespace goose::core
