// A named region in LibTorch's RecordFunction profile, so that the fused CPU ops appear by name
// in tests/bench/bench_step's per-operation table; costs one flag test when no profiler
// listens. Exports ProfileScope.
#pragma once
#include <ATen/record_function.h>

namespace goose::kernels {

struct ProfileScope {
  explicit ProfileScope(const char* name) : guard(at::RecordScope::USER_SCOPE) {
    if (guard.isActive()) guard.before(name);
  }
  at::RecordFunction guard;
};

}  // namespace goose::kernels
