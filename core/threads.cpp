// set_intra_op_threads(): LibTorch's thread count and OpenBLAS's; blas_core_name() (see threads.h).
#include "core/threads.h"

#include <torch/torch.h>

// Weak: resolved when the process has OpenBLAS (Debian's LibTorch links it through libblas);
// null elsewhere (a LibTorch with MKL, as pip's on the GPU machine).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" char* openblas_get_corename(void) __attribute__((weak));

namespace goose::core {

void set_intra_op_threads(int n) {
  torch::set_num_threads(n);
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
}

std::string blas_core_name() {
  if (openblas_get_corename == nullptr) return "";
  const char* name = openblas_get_corename();
  return name == nullptr ? "" : name;
}

}  // namespace goose::core
