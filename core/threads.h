// The intra-op thread count of this process, for LibTorch and for the BLAS under it. Debian's
// OpenBLAS (pthreads) runs every GEMM above ~2^18 multiply-adds on all cores whatever LibTorch's
// count, so two sweep runs meant to take one core each both ran their GEMMs on both cores and
// waited on each other (measured: 4x fewer tokens/s per run at --jobs 2 on 2 cores).
// Exports set_intra_op_threads().
#pragma once

namespace goose::core {

// torch::set_num_threads(n) and, when the process has OpenBLAS, openblas_set_num_threads(n).
void set_intra_op_threads(int n);

}  // namespace goose::core
