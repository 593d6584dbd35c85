// The batch type every data source hands the training loop, and the interface of such a
// source. core never knows where sequences come from (tasks/ implements BatchSource).
#pragma once
#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace goose::core {

constexpr int64_t kIgnoreIndex = -100;  // target on unlabelled and padded positions
constexpr int64_t kPadToken = 0;
constexpr int64_t kBosToken = 1;        // every sequence starts with it
constexpr int64_t kFirstSymbolToken = 2;  // symbol i is token kFirstSymbolToken + i

struct Batch {
  torch::Tensor tokens;   // (B,T) int64: kBosToken, then symbol tokens, then kPadToken
  torch::Tensor targets;  // (B,T) int64: class index, or kIgnoreIndex
  torch::Tensor lengths;  // (B) int64: number of symbols (T-1 minus padding)
};

// Deterministic batches of labelled sequences: the same arguments give the same batch.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // batch_size sequences with symbol counts uniform in [min_len, max_len].
  virtual Batch sample(int64_t batch_size, int64_t min_len, int64_t max_len,
                       uint64_t seed) const = 0;
  virtual int64_t vocab_size() const = 0;   // tokens, pad and BOS included
  virtual int64_t num_classes() const = 0;  // label classes
  // The expected token accuracy, over labelled positions of sequences drawn exactly as sample()
  // draws them with lengths in [min_len, max_len], of the best predictor that knows only the
  // position and the sequence length (the "chance" of scaled accuracy).
  virtual double chance_accuracy(int64_t min_len, int64_t max_len) const = 0;
  virtual std::string describe() const = 0;
};

}  // namespace goose::core
