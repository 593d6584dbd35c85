// The intra-op thread count of this process, for LibTorch and for the BLAS under it. Debian's
// OpenBLAS (pthreads) runs every GEMM above ~2^18 multiply-adds on all cores whatever LibTorch's
// count, so two sweep runs meant to take one core each both ran their GEMMs on both cores and
// waited on each other (measured: 4x fewer tokens/s per run at --jobs 2 on 2 cores).
// Exports set_intra_op_threads(), blas_core_name().
#pragma once
#include <string>

namespace goose::core {

// torch::set_num_threads(n) and, when the process has OpenBLAS, openblas_set_num_threads(n).
void set_intra_op_threads(int n);

// OpenBLAS's name for the kernels it loaded ("Haswell", "Cooperlake", ...), "" without OpenBLAS
// (a LibTorch with MKL, as pip's on the GPU machine). OpenBLAS picks them from the CPU, or from
// OPENBLAS_CORETYPE when set: this workplace's machines set OPENBLAS_CORETYPE=Haswell, whose AVX2
// GEMMs run at about half the rate of the AVX-512 kernels OpenBLAS picks by itself on the AVX-512
// machine kind, so every measured figure names the kernels it ran with.
std::string blas_core_name();

}  // namespace goose::core
