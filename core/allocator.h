// The process's heap policy. LibTorch allocates every tensor through glibc's malloc, and a
// training step frees and allocates the same few hundred-kilobyte buffers (activations, their
// gradients, GEMM outputs) every step. glibc's defaults serve such sizes with fresh mmap()s or
// give the top of the heap back to the kernel after each free, so every step faulted its
// buffers in again, page by page. Measured with and without (README, "Measured numbers"):
// `gooselab eval` of a four-layer construction at 10^5 tokens 28.3 s -> 8.0 s, a 300-step
// `gooselab train` at lengths 3..40 8.8-9.1 s -> 6.4-6.5 s, bench_step's fixed-shape step about
// 15% on a freshly booted VM and within noise once it was warm. keep_freed_memory() keeps
// freed buffers in the heap for reuse instead.
// Exports kHeapThreshold, keep_freed_memory(), heap_kept(), heap_policy(),
// heap_policy_environment().
#pragma once
#include <string>

namespace goose::core {

// glibc's mmap and trim thresholds under the policy: 1 GiB (mallopt takes an int).
inline constexpr int kHeapThreshold = 1 << 30;

// With glibc: allocations below kHeapThreshold come from the heap, and up to that much freed
// memory at its top stays mapped, unless the environment already sets a malloc policy
// (MALLOC_*_ or GLIBC_TUNABLES), which is then left alone. Without glibc: nothing. Call once,
// early in main.
void keep_freed_memory();

// Whether keep_freed_memory() set the policy in this process.
bool heap_kept();

// What the process runs under, for benchmark reports: "heap kept (mmap and trim thresholds
// 1 GiB)", "glibc defaults", "set by the environment (...)" or "not glibc".
std::string heap_policy();

// The same policy as environment variables, which glibc reads at start-up
// ("MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824"), for a child process
// that should run under it, e.g. the PyTorch script a benchmark compares against.
std::string heap_policy_environment();

}  // namespace goose::core
