// The fused CPU cross-entropy (the training loss) over rows of logits: one pass forward (row
// maxima, log-sum-exp, the loss), one pass backward (softmax minus one-hot), fp32, torch-free
// interface. Exports cross_entropy_cpu_forward(), cross_entropy_cpu_backward().
#pragma once
#include <cstdint>

namespace goose::kernels {

// logits: (rows, K) fp32; targets: (rows) int64, a class in [0, K) or ignore_index (skipped).
// Writes the log-sum-exp of each row as two floats, lse[2r] = max_k logits[r,k] and
// lse[2r+1] = log Σ_k exp(logits[r,k] − max) (kept apart: their sum would round away the
// small part at large logits), and returns Σ over the labelled rows of
// (log Σ_k exp(logits[r,k]) − logits[r, target[r]]) (in double, in row order) and their count in
// *count.
// Throws std::invalid_argument for a target outside [0, K) other than ignore_index.
double cross_entropy_cpu_forward(int64_t rows, int64_t K, const float* logits,
                                 const int64_t* targets, int64_t ignore_index, float* lse,
                                 int64_t* count);

// dlogits[r,k] = scale · (softmax(logits[r])_k − [k = target[r]]) on labelled rows, 0 on the
// others (scale = the loss's cotangent / count for the mean); lse from the forward.
void cross_entropy_cpu_backward(int64_t rows, int64_t K, const float* logits,
                                const int64_t* targets, int64_t ignore_index, const float* lse,
                                float scale, float* dlogits);

}  // namespace goose::kernels
