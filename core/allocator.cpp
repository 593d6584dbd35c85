// keep_freed_memory(), heap_kept(), heap_policy() and heap_policy_environment() (see
// allocator.h).
#include "core/allocator.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace goose::core {

namespace {

bool applied = false;

// The environment's own malloc settings, "" when it sets none.
std::string environment_policy() {
  std::string found;
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                           "MALLOC_MMAP_MAX_"}) {
    if (const char* value = std::getenv(name))
      found += (found.empty() ? "" : " ") + std::string(name) + "=" + value;
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr)
    found += (found.empty() ? "" : " ") + std::string("GLIBC_TUNABLES=") + tunables;
  return found;
}

}  // namespace

void keep_freed_memory() {
#if defined(__GLIBC__)
  if (!environment_policy().empty()) return;
  // Both, or neither: a fixed mmap threshold alone leaves the trim threshold at its 128 KiB
  // default, and a trim threshold alone fixes the mmap threshold at 128 KiB (both measured
  // 2-8x slower steps than glibc's defaults).
  applied = mallopt(M_MMAP_THRESHOLD, kHeapThreshold) == 1 &&
            mallopt(M_TRIM_THRESHOLD, kHeapThreshold) == 1;
#endif
}

bool heap_kept() { return applied; }

std::string heap_policy() {
#if defined(__GLIBC__)
  if (applied) return "heap kept (mmap and trim thresholds 1 GiB)";
  const std::string env = environment_policy();
  return env.empty() ? "glibc defaults" : "set by the environment (" + env + ")";
#else
  return "not glibc";
#endif
}

std::string heap_policy_environment() {
  const std::string bytes = std::to_string(kHeapThreshold);
  return "MALLOC_MMAP_THRESHOLD_=" + bytes + " MALLOC_TRIM_THRESHOLD_=" + bytes;
}

}  // namespace goose::core
