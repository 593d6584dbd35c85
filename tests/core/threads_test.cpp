// The BLAS under LibTorch (core/threads.h): set_intra_op_threads() sets LibTorch's count and
// OpenBLAS's, and blas_core_name() names the kernels OpenBLAS actually loaded, honouring
// OPENBLAS_CORETYPE (so the benchmarks' machine line is the truth, not a guess from the CPU).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cctype>
#include <cstdlib>
#include <string>

#include "core/threads.h"

extern "C" int openblas_get_num_threads() __attribute__((weak));

namespace goose::core {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(Threads, SetsLibTorchAndOpenBlas) {
  const int before = torch::get_num_threads();
  set_intra_op_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  if (openblas_get_num_threads != nullptr) EXPECT_EQ(openblas_get_num_threads(), 1);
  set_intra_op_threads(before);
  EXPECT_EQ(torch::get_num_threads(), before);
}

TEST(Threads, BlasCoreNameIsTheLoadedKernelSet) {
  const std::string name = blas_core_name();
  if (openblas_get_num_threads == nullptr) {
    EXPECT_EQ(name, "");  // no OpenBLAS in this process
    return;
  }
  ASSERT_FALSE(name.empty());
#if defined(__x86_64__)
  // OpenBLAS takes a forced kernel set the CPU runs; Haswell's needs AVX2 and FMA.
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  if (forced != nullptr && lower(forced) == "haswell" && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    EXPECT_EQ(lower(name), "haswell");
#endif
}

}  // namespace
}  // namespace goose::core
