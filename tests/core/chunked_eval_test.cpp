// Chunked evaluation (core/metrics.h, SequenceModel::forward_from): on every recurrent model
// (RWKV-7, the diagonal SSM in all four eigenvalue classes, the LSTM) forward_from over
// consecutive chunks gives forward()'s logits, and chunked evaluation gives the same
// per-sequence counts as whole-sequence evaluation; the Transformer refuses chunks and long
// sequences with an error instead of running out of memory.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/lstm.h"
#include "core/metrics.h"
#include "core/model.h"

namespace goose::core {
namespace {

constexpr int64_t kVocab = 6, kClasses = 4;

ModelConfig tiny(const std::string& arch, const std::string& eigen = "real") {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = kVocab;
  c.num_classes = kClasses;
  c.layers = 2;
  c.dim = 32;
  c.head_size = 8;
  c.dssm_state = 8;
  c.dssm_eigen = eigen;
  c.kernel = "cpu";
  return c;
}

// A model with every parameter perturbed: the official RWKV-7 init zeroes Wo and W2, so an
// untouched model would agree across chunks without carrying any state.
std::shared_ptr<SequenceModel> noisy_model(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto model = make_model(c);
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed + 1);
  for (auto& p : model->parameters()) p.add_(torch::randn(p.sizes(), gen) * 0.2);
  model->eval();
  return model;
}

// BOS, random symbols, padding at the end of the shorter rows; random labels, some unlabelled.
Batch random_batch(int64_t B, int64_t T, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  Batch batch;
  batch.tokens = torch::randint(kFirstSymbolToken, kVocab, {B, T}, gen, torch::kLong);
  batch.tokens.select(1, 0).fill_(kBosToken);
  batch.targets = torch::randint(0, kClasses, {B, T}, gen, torch::kLong);
  batch.targets.select(1, 0).fill_(kIgnoreIndex);
  batch.targets.masked_fill_(torch::rand({B, T}, gen).lt(0.2), kIgnoreIndex);
  batch.lengths = torch::full({B}, T - 1, torch::kLong);
  for (int64_t b = 1; b < B; b += 2) {  // every other row ends early, padded
    const int64_t end = T - 1 - 3 * b;
    batch.tokens[b].slice(0, end).fill_(kPadToken);
    batch.targets[b].slice(0, end).fill_(kIgnoreIndex);
    batch.lengths[b] = end - 1;
  }
  return batch;
}

struct Case {
  std::string arch, eigen;
};
const std::vector<Case>& recurrent_cases() {
  static const std::vector<Case> cases = {{"rwkv7", "real"},   {"dssm", "real"},
                                          {"dssm", "signed"},  {"dssm", "complex"},
                                          {"dssm", "complex-unit"}, {"lstm", "real"}};
  return cases;
}

// In double with the reference kernels the chunked and whole paths agree to rounding (1e-11
// relative to the largest logit); in fp32 with the CPU kernels they round differently (the
// projections run over other shapes), as step mode does (models_test.cpp): 1e-5, and 5e-4 for
// the complex SSM modes, which amplify rounding (measured here: 1e-5 for complex-unit).
TEST(ChunkedEval, ForwardFromOverChunksEqualsForward) {
  torch::NoGradGuard no_grad;
  const Batch batch = random_batch(3, 41, 7);
  for (const auto& c : recurrent_cases()) {
    for (const bool in_double : {false, true}) {
      SCOPED_TRACE(c.arch + " " + c.eigen + (in_double ? " double" : " fp32"));
      ModelConfig config = tiny(c.arch, c.eigen);
      if (in_double) config.kernel = "reference";
      auto model = noisy_model(config, 3);
      if (in_double) model->to(torch::kDouble);
      ASSERT_TRUE(model->has_step());
      const bool complex = c.eigen == "complex" || c.eigen == "complex-unit";
      const double tolerance = in_double ? 1e-11 : complex ? 5e-4 : 1e-5;
      const torch::Tensor whole = model->forward(batch.tokens);
      for (const int64_t chunk : {1, 2, 5, 16, 40}) {
        std::vector<torch::Tensor> state = model->initial_state(3);
        if (in_double)
          for (auto& s : state) s = s.to(torch::kDouble);
        std::vector<torch::Tensor> parts;
        for (int64_t start = 0; start < 41; start += chunk)
          parts.push_back(model->forward_from(batch.tokens.slice(1, start, std::min<int64_t>(41, start + chunk)), state));
        const torch::Tensor chunked = torch::cat(parts, 1);
        ASSERT_EQ(chunked.sizes(), whole.sizes());
        const double scale = std::max(1.0, whole.abs().max().item<double>());
        EXPECT_LE((chunked - whole).abs().max().item<double>(), tolerance * scale) << "chunk " << chunk;
      }
    }
  }
}

TEST(ChunkedEval, ChunkedCountsEqualWholeSequenceCounts) {
  torch::NoGradGuard no_grad;
  const Batch batch = random_batch(5, 57, 11);
  for (const auto& c : recurrent_cases()) {
    SCOPED_TRACE(c.arch + " " + c.eigen);
    auto model = noisy_model(tiny(c.arch, c.eigen), 5);
    const SequenceCounts whole = evaluate_batch(*model, batch, 57);  // one forward pass
    ASSERT_EQ(whole.labelled.size(0), 5);
    for (const int64_t chunk : {1, 8, 13, 56}) {
      const SequenceCounts chunked = evaluate_batch(*model, batch, chunk);
      EXPECT_TRUE(torch::equal(chunked.correct, whole.correct)) << "chunk " << chunk;
      EXPECT_TRUE(torch::equal(chunked.labelled, whole.labelled)) << "chunk " << chunk;
    }
    // A sequence is right only when all of its chunks are: mark one position wrong in a
    // late chunk of sequence 0 and its sequence-level verdict must flip in both modes.
    Batch spoiled = batch;
    spoiled.targets = batch.targets.clone();
    const torch::Tensor predicted = model->forward(batch.tokens).argmax(-1);
    spoiled.targets[0][50] = (predicted[0][50].item<int64_t>() + 1) % kClasses;
    const AccuracyCounts a = evaluate_batch(*model, spoiled, 57).totals();
    const AccuracyCounts b = evaluate_batch(*model, spoiled, 8).totals();
    EXPECT_EQ(a.correct_sequences, b.correct_sequences);
    EXPECT_EQ(a.correct_tokens, b.correct_tokens);
  }
}

TEST(ChunkedEval, EvaluateRangeDoesNotDependOnTheChunk) {
  // A fixed batch source: the chunk changes how the model runs, never the data.
  class FixedSource : public BatchSource {
   public:
    Batch sample(int64_t batch_size, int64_t, int64_t max_len, uint64_t seed) const override {
      return random_batch(batch_size, max_len + 1, seed);
    }
    int64_t vocab_size() const override { return kVocab; }
    int64_t num_classes() const override { return kClasses; }
    double chance_accuracy(int64_t, int64_t) const override { return 1.0 / kClasses; }
    std::string describe() const override { return "fixed"; }
  } source;
  auto model = noisy_model(tiny("rwkv7"), 9);
  const auto whole = evaluate_lengths(*model, source, {30, 64}, 12, 5, 3, 1000);
  const auto chunked = evaluate_lengths(*model, source, {30, 64}, 12, 5, 3, 7);
  const auto automatic = evaluate_lengths(*model, source, {30, 64}, 12, 5, 3);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i].token_accuracy, chunked[i].token_accuracy);
    EXPECT_EQ(whole[i].sequence_accuracy, chunked[i].sequence_accuracy);
    EXPECT_EQ(whole[i].token_accuracy, automatic[i].token_accuracy);
  }
  EXPECT_EQ(eval_chunk_positions(0, 250), 131);
  EXPECT_EQ(eval_chunk_positions(0, 100000), 64);
  EXPECT_EQ(eval_chunk_positions(17, 250), 17);
  EXPECT_THROW(eval_chunk_positions(-1, 250), std::invalid_argument);
}

// A recurrent model that records the widest forward pass it was asked for.
class WidestPass : public LstmModel {
 public:
  using LstmModel::LstmModel;
  torch::Tensor forward(const torch::Tensor& tokens) override {
    widest = std::max(widest, tokens.size(1));
    return LstmModel::forward(tokens);
  }
  torch::Tensor forward_from(const torch::Tensor& tokens, std::vector<torch::Tensor>& state) override {
    widest = std::max(widest, tokens.size(1));
    ++chunks;
    return LstmModel::forward_from(tokens, state);
  }
  int64_t widest = 0, chunks = 0;
};

TEST(ChunkedEval, EvaluateRangeRunsChunksOfTheGivenLength) {
  class FixedSource : public BatchSource {
   public:
    Batch sample(int64_t batch_size, int64_t, int64_t max_len, uint64_t seed) const override {
      return random_batch(batch_size, max_len + 1, seed);
    }
    int64_t vocab_size() const override { return kVocab; }
    int64_t num_classes() const override { return kClasses; }
    double chance_accuracy(int64_t, int64_t) const override { return 1.0 / kClasses; }
    std::string describe() const override { return "fixed"; }
  } source;
  torch::manual_seed(4);
  WidestPass model(tiny("lstm"));
  evaluate_range(model, source, 299, 299, 6, 3, 1, 64);  // 300 positions: 5 chunks per batch of 3
  EXPECT_EQ(model.widest, 64);
  EXPECT_EQ(model.chunks, 2 * 5);
  model.widest = model.chunks = 0;
  evaluate_range(model, source, 299, 299, 6, 3, 1, 0);  // automatic: 32768 / 3 positions, one pass
  EXPECT_EQ(model.widest, 300);
  EXPECT_EQ(model.chunks, 0);
}

TEST(ChunkedEval, TransformerRefusesChunksAndOverlongSequences) {
  torch::NoGradGuard no_grad;
  auto model = noisy_model(tiny("transformer"), 2);
  ASSERT_FALSE(model->has_step());
  std::vector<torch::Tensor> state;
  EXPECT_THROW(model->forward_from(torch::ones({1, 4}, torch::kLong), state), std::invalid_argument);

  // Longer than the chunk but within kMaxWholeSequence: whole sequences, in sub-batches when
  // the attention would be large; the counts equal one plain forward pass.
  const Batch batch = random_batch(4, 33, 5);
  const SequenceCounts plain = count_per_sequence(model->forward(batch.tokens), batch.targets);
  const SequenceCounts split = evaluate_batch(*model, batch, 8);
  EXPECT_TRUE(torch::equal(plain.correct, split.correct));
  EXPECT_TRUE(torch::equal(plain.labelled, split.labelled));

  // Past the limit: a clear error, before any forward pass is attempted.
  Batch overlong;
  overlong.tokens = torch::full({2, kMaxWholeSequence + 1}, kFirstSymbolToken, torch::kLong);
  overlong.targets = torch::zeros({2, kMaxWholeSequence + 1}, torch::kLong);
  try {
    evaluate_batch(*model, overlong, 0);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at most 8192 positions"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace goose::core
