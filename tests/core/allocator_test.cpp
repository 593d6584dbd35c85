// The heap policy (core/allocator.h): after keep_freed_memory(), a large tensor comes from the
// heap and, freed, stays there for the next one instead of going back to the kernel; a malloc
// policy set by the environment is left alone. Read off glibc's own accounting (mallinfo2), not
// page-fault counts, which depend on the kernel and the hypervisor. 40 MB is above glibc's
// largest dynamic mmap threshold (32 MB), so under its defaults such a tensor is always an mmap.
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/allocator.h"

namespace goose::core {
namespace {

// Where a 40 MB tensor lives: the bytes glibc has mapped for it outside the heap while it
// exists, and the free bytes the heap keeps after it is gone.
struct Placement {
  int64_t mapped_outside_heap = 0, kept_in_heap = 0;
};

Placement place_a_large_tensor() {
  constexpr int64_t kFloats = 10 << 20;
  Placement out;
  const auto before = mallinfo2();
  {
    auto t = torch::empty({kFloats});
    t.fill_(1.0f);
    out.mapped_outside_heap = int64_t(mallinfo2().hblkhd) - int64_t(before.hblkhd);
  }
  out.kept_in_heap = int64_t(mallinfo2().fordblks);
  return out;
}

TEST(HeapPolicy, FreedTensorsStayInTheHeap) {
#if !defined(__GLIBC__)
  GTEST_SKIP() << "the policy is glibc's";
#endif
  keep_freed_memory();
  if (heap_policy().rfind("set by the environment", 0) == 0)
    GTEST_SKIP() << "the environment sets its own malloc policy: " << heap_policy();
  EXPECT_EQ(heap_policy(), "heap kept (mmap and trim thresholds 1 GiB)");
  const auto placed = place_a_large_tensor();
  EXPECT_EQ(placed.mapped_outside_heap, 0);
  EXPECT_GE(placed.kept_in_heap, 40 << 20);
}

// Run by the two tests below in a child process whose environment sets glibc's thresholds:
// keep_freed_memory() must leave them, and they decide where the tensor lives.
TEST(HeapPolicyChild, UnderTheEnvironmentsPolicy) {
  const char* mmap_threshold = std::getenv("MALLOC_MMAP_THRESHOLD_");
  if (mmap_threshold == nullptr) GTEST_SKIP() << "run by the HeapPolicy tests in a child";
  keep_freed_memory();
  EXPECT_EQ(heap_policy().rfind(std::string("set by the environment (MALLOC_MMAP_THRESHOLD_=") +
                                    mmap_threshold,
                                0),
            0u)
      << heap_policy();
  const auto placed = place_a_large_tensor();
  if (std::string(mmap_threshold) == "131072") {  // glibc's own starting value
    EXPECT_GE(placed.mapped_outside_heap, 40 << 20);
    EXPECT_LT(placed.kept_in_heap, 40 << 20);
  } else {
    EXPECT_EQ(placed.mapped_outside_heap, 0);
    EXPECT_GE(placed.kept_in_heap, 40 << 20);
  }
}

// The child test's output when run under `environment`.
std::string run_child(const std::string& environment, int* rc) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string out =
      ::testing::TempDir() + "heap_policy_child." + std::to_string(getpid()) + ".txt";
  const std::string run = environment + " '" + self + "' --gtest_filter=HeapPolicyChild.* > '" +
                          out + "' 2>&1";
  *rc = std::system(run.c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(out.c_str());
  return text;
}

TEST(HeapPolicy, LeavesAnEnvironmentPolicyAlone) {
#if !defined(__GLIBC__)
  GTEST_SKIP() << "the policy is glibc's";
#endif
  int rc = 0;
  const std::string text =
      run_child("MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072", &rc);
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("[  PASSED  ] 1 test"), std::string::npos) << text;
  EXPECT_EQ(text.find("SKIPPED"), std::string::npos) << text;
}

// The environment form a benchmark hands its child processes is the same policy.
TEST(HeapPolicy, EnvironmentFormKeepsTheHeapToo) {
#if !defined(__GLIBC__)
  GTEST_SKIP() << "the policy is glibc's";
#endif
  EXPECT_EQ(heap_policy_environment(),
            "MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824");
  int rc = 0;
  const std::string text = run_child(heap_policy_environment(), &rc);
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("[  PASSED  ] 1 test"), std::string::npos) << text;
  EXPECT_EQ(text.find("SKIPPED"), std::string::npos) << text;
}

}  // namespace
}  // namespace goose::core
