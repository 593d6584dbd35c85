// Devices and precision, on the CPU: device names, batches that stay put on the CPU, bf16
// autocast of the matrix products that leaves the recurrences in fp32 and restores itself,
// and a bf16 training run that tracks the fp32 one. (On a GPU, scripts/gpu-check runs the
// same code with --device cuda.)
#include <gtest/gtest.h>

#include <cmath>

#include "core/device.h"
#include "core/model.h"
#include "core/rwkv7.h"
#include "core/train.h"

namespace goose::core {
namespace {

TEST(Device, NamesAndErrors) {
  EXPECT_TRUE(parse_device("cpu").is_cpu());
  EXPECT_EQ(parse_device("auto").is_cuda(), torch::cuda::is_available());
  EXPECT_THROW(parse_device("gpu"), std::invalid_argument);
  EXPECT_THROW(parse_device("cuda:x"), std::invalid_argument);
  if (!torch::cuda::is_available()) {
    try {
      parse_device("cuda");
      FAIL();
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA device"), std::string::npos);
    }
  }
}

TEST(Device, BatchStaysOnTheCpu) {
  Batch b{torch::ones({2, 3}, torch::kLong), torch::zeros({2, 3}, torch::kLong), torch::full({2}, 2, torch::kLong)};
  const Batch moved = to_device(b, torch::Device(torch::kCPU));
  EXPECT_TRUE(moved.tokens.is_same(b.tokens));  // no copy on the CPU
}

std::shared_ptr<SequenceModel> tiny_rwkv7(uint64_t seed) {
  ModelConfig c;
  c.arch = "rwkv7";
  c.vocab_size = 6;
  c.num_classes = 4;
  c.layers = 2;
  c.dim = 32;
  c.head_size = 16;
  c.rwkv_rate = "relaxed";
  return make_seeded_model(c, seed);
}

TEST(Precision, AutocastMakesMatrixProductsBf16AndRestores) {
  torch::nn::Linear linear(8, 8);
  const auto x = torch::randn({4, 8});
  {
    AutocastScope scope(true, torch::Device(torch::kCPU));
    EXPECT_EQ(linear(x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(linear(x).scalar_type(), torch::kFloat);  // restored
  {
    AutocastScope off(false, torch::Device(torch::kCPU));
    EXPECT_EQ(linear(x).scalar_type(), torch::kFloat);
  }
}

TEST(Precision, Bf16ForwardKeepsTheRecurrenceInFp32AndIsClose) {
  auto model = tiny_rwkv7(3);
  {
    torch::NoGradGuard no_grad;  // move the zero-initialised output matrices off zero
    for (auto& p : model->parameters()) p.add_(torch::randn(p.sizes()) * 0.2);
  }
  const auto tokens = torch::randint(0, 6, {3, 20}, torch::kLong);
  torch::NoGradGuard no_grad;
  const auto fp32 = model->forward(tokens);
  torch::Tensor bf16;
  {
    AutocastScope scope(true, torch::Device(torch::kCPU));
    bf16 = model->forward(tokens).to(torch::kFloat);
    // The WKV state the step mode carries stays fp32.
    auto state = model->initial_state(3);
    model->step(tokens.select(1, 0), state);
    EXPECT_EQ(state[2].scalar_type(), torch::kFloat);
  }
  const double scale = fp32.abs().max().item<double>();
  const double diff = (bf16 - fp32).abs().max().item<double>();
  EXPECT_GT(diff, 0.0);             // bf16 really was used
  EXPECT_LT(diff, 0.05 * scale);    // and stays close
}

// A minimal data source: parity of a random bit string, labelled at every position.
class Parity : public BatchSource {
 public:
  Batch sample(int64_t B, int64_t min_len, int64_t max_len, uint64_t seed) const override {
    auto gen = at::detail::createCPUGenerator(seed);
    auto bits = torch::randint(0, 2, {B, max_len}, gen, torch::kLong);
    Batch b;
    b.tokens = torch::cat({torch::full({B, 1}, kBosToken, torch::kLong), bits + kFirstSymbolToken}, 1);
    b.targets = torch::cat({torch::full({B, 1}, kIgnoreIndex, torch::kLong), bits.cumsum(1).remainder(2)}, 1);
    b.lengths = torch::full({B}, max_len, torch::kLong);
    return b;
  }
  int64_t vocab_size() const override { return 4; }
  int64_t num_classes() const override { return 2; }
  double chance_accuracy(int64_t, int64_t) const override { return 0.5; }
  std::string describe() const override { return "parity"; }
};

TEST(Precision, Bf16TrainingTracksFp32) {
  Parity source;
  TrainConfig config;
  config.steps = 8;
  config.batch_size = 8;
  config.train_min_len = config.train_max_len = 8;
  config.eval_every = 8;
  config.eval_count = 16;
  config.final_eval_count = 16;
  TrainOptions quiet;
  quiet.progress = "off";
  auto a = tiny_rwkv7(5);
  const auto fp32 = train(*a, source, config, nullptr, quiet).losses;
  config.precision = "bf16";
  auto b = tiny_rwkv7(5);
  const auto bf16 = train(*b, source, config, nullptr, quiet).losses;
  ASSERT_EQ(fp32.size(), bf16.size());
  EXPECT_NE(fp32, bf16);
  for (size_t i = 0; i < fp32.size(); ++i) {
    EXPECT_TRUE(std::isfinite(bf16[i]));
    EXPECT_NEAR(bf16[i], fp32[i], 0.05 * fp32[i]) << "step " << i + 1;
  }
}

}  // namespace
}  // namespace goose::core
