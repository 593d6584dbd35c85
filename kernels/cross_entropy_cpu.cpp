// The fused CPU cross-entropy (see cross_entropy_cpu.h): rows are independent; the loss sum is
// accumulated in double in row order (deterministic), the exponentials are vector_math.h's.
// Reference: LibTorch's cross_entropy (log_softmax + nll_loss), against which it is tested.
#include "kernels/cross_entropy_cpu.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>

#include "kernels/vector_math.h"

namespace goose::kernels {

double cross_entropy_cpu_forward(int64_t rows, int64_t K, const float* logits,
                                 const int64_t* targets, int64_t ignore_index, float* lse,
                                 int64_t* count) {
  for (int64_t r = 0; r < rows; ++r)
    if (targets[r] != ignore_index && (targets[r] < 0 || targets[r] >= K))
      throw std::invalid_argument("cross_entropy: target " + std::to_string(targets[r]) +
                                  " outside [0, " + std::to_string(K) + ")");
  at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(K, 1)),
                   [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* __restrict x = logits + r * K;
      float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
      for (int64_t k = 0; k < K; ++k) m = x[k] > m ? x[k] : m;
      float s = 0.f;
#pragma omp simd reduction(+ : s)
      for (int64_t k = 0; k < K; ++k) s += fast_exp(x[k] - m);
      lse[2 * r] = m;
      lse[2 * r + 1] = std::log(s);
    }
  });
  double sum = 0;
  int64_t n = 0;
  for (int64_t r = 0; r < rows; ++r)
    if (targets[r] != ignore_index) {
      sum += (double(lse[2 * r]) - double(logits[r * K + targets[r]])) + double(lse[2 * r + 1]);
      ++n;
    }
  *count = n;
  return sum;
}

void cross_entropy_cpu_backward(int64_t rows, int64_t K, const float* logits,
                                const int64_t* targets, int64_t ignore_index, const float* lse,
                                float scale, float* dlogits) {
  at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(K, 1)),
                   [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* __restrict x = logits + r * K;
      float* __restrict g = dlogits + r * K;
      const int64_t t = targets[r];
      if (t == ignore_index) {
        std::fill(g, g + K, 0.f);
        continue;
      }
      const float m = lse[2 * r], ls = lse[2 * r + 1];
#pragma omp simd
      for (int64_t k = 0; k < K; ++k) g[k] = scale * fast_exp((x[k] - m) - ls);
      g[t] -= scale;
    }
  });
}

}  // namespace goose::kernels
