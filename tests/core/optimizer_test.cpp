// The training optimiser (core/optimizer.h): the fused AdamW against torch::optim::AdamW with
// clip_grad_norm_ (its reference) over many steps, with the model's parameter groups (w0 at 2×
// the learning rate, weight decay on some groups only), the clip, non-finite gradients,
// checkpoint round trips in both directions and thread independence.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/checkpoint.h"
#include "core/optimizer.h"
#include "core/train.h"
#include "tests/support/gradcheck.h"

namespace goose::core {
namespace {

using goose::testing::rms_ratio;

// RMS(fused − torch)/RMS(torch) of every parameter after kSteps steps on the same gradients
// (independent of the weights): measured 2.2e-7 at worst (GOOSE_PRINT_ERRORS=1).
constexpr int kSteps = 300;
constexpr double kSameGradientsTol = 2e-6;

bool print_errors() { return std::getenv("GOOSE_PRINT_ERRORS") != nullptr; }

// One intra-op thread for the test's lifetime: the reference's element-wise ops start an
// OpenMP region per parameter above 2048 elements, which costs more than the step on a busy
// machine. (ThreadsDoNotChangeResults sets its own.)
class OneThread {
 public:
  OneThread() : saved_(torch::get_num_threads()) { torch::set_num_threads(1); }
  ~OneThread() { torch::set_num_threads(saved_); }

 private:
  int saved_;
};

ModelConfig tiny_rwkv7() {
  ModelConfig c;
  c.arch = "rwkv7";
  c.vocab_size = 7;
  c.num_classes = 5;
  c.layers = 2;
  c.dim = 32;
  c.head_size = 8;
  return c;
}

TrainConfig optimiser_config() {
  TrainConfig t;
  t.lr = 3e-3;
  t.weight_decay = 0.1;  // large, so that a decay applied to the wrong group shows
  t.beta1 = 0.9;
  t.beta2 = 0.99;
  t.adam_eps = 1e-8;
  return t;
}

// The same model twice (same seed), one optimiser of each implementation.
struct Pair {
  std::shared_ptr<SequenceModel> a, b;
  std::unique_ptr<TrainOptimizer> fused, reference;
};

Pair make_pair(const TrainConfig& t, uint64_t seed = 3) {
  Pair p;
  p.a = make_seeded_model(tiny_rwkv7(), seed);
  p.b = make_seeded_model(tiny_rwkv7(), seed);
  p.fused = make_optimizer(*p.a, t, OptimizerImpl::Fused);
  p.reference = make_optimizer(*p.b, t, OptimizerImpl::Torch);
  return p;
}

// Seeded pseudo-gradients for step s, independent of the weights; a few large entries so
// that the clip acts on some steps and not others.
void set_gradients(SequenceModel& m, int step) {
  auto gen = at::detail::createCPUGenerator(1000 + step);
  const double scale = step % 3 == 0 ? 2.0 : 0.05;
  for (auto& p : m.parameters()) p.mutable_grad() = torch::randn(p.sizes(), gen) * scale;
}

void expect_parameters_close(SequenceModel& a, SequenceModel& b, double tol,
                             const std::string& what) {
  auto pb = b.named_parameters();
  double worst = 0;
  for (const auto& p : a.named_parameters()) {
    const double err = rms_ratio(p.value().detach(), pb[p.key()].detach());
    worst = std::max(worst, err);
    EXPECT_LE(err, tol) << what << " " << p.key();
  }
  if (print_errors()) std::printf("%s: worst parameter error %.2e\n", what.c_str(), worst);
}

TEST(FusedAdamW, MatchesTorchAdamWOnTheSameGradients) {
  OneThread one_thread;
  const TrainConfig t = optimiser_config();
  Pair p = make_pair(t);
  ASSERT_TRUE(p.fused->fused());
  ASSERT_FALSE(p.reference->fused());
  for (int step = 0; step < kSteps; ++step) {
    const double lr = t.lr * (0.5 + 0.5 * std::cos(step * 0.01));  // a changing schedule
    p.fused->set_learning_rate(lr);
    p.reference->set_learning_rate(lr);
    set_gradients(*p.a, step);
    set_gradients(*p.b, step);
    const double clip = 1.0;
    const double na = p.fused->clip_and_step(clip);
    const double nb = p.reference->clip_and_step(clip);
    EXPECT_NEAR(na, nb, 1e-5 * nb) << "gradient norm at step " << step;
  }
  expect_parameters_close(*p.a, *p.b, kSameGradientsTol, "same gradients");
  // The parameters moved far from their initial values (the comparison could fail).
  auto fresh = make_seeded_model(tiny_rwkv7(), 3);
  EXPECT_GT(rms_ratio(p.a->parameters()[0].detach(), fresh->parameters()[0].detach()), 0.1);
}

// RMS of (a − b) over all parameters together, relative to RMS(b).
double model_distance(SequenceModel& a, SequenceModel& b) {
  double num = 0, den = 0;
  auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters()) {
    const auto ref = pb[p.key()].detach().to(torch::kDouble);
    num += (p.value().detach().to(torch::kDouble) - ref).pow(2).sum().item<double>();
    den += ref.pow(2).sum().item<double>();
  }
  return std::sqrt(num / den);
}

// Training feeds rounding differences back through the weights, and Adam turns a gradient's
// rounding noise near zero into a full step: here torch's own AdamW, given a learning rate
// 1e-7 (relative) larger, ends 60 steps 2% away from itself. The fused AdamW must stay within
// that fp32 noise of torch's (measured: 0.5 to 1.5 times it, depending on the seed).
TEST(FusedAdamW, MatchesTorchAdamWWhileTrainingWithinRoundingNoise) {
  OneThread one_thread;
  const TrainConfig t = optimiser_config();
  Pair p = make_pair(t);
  auto noise = make_seeded_model(tiny_rwkv7(), 3);
  auto o_noise = make_optimizer(*noise, t, OptimizerImpl::Torch);
  auto gen = at::detail::createCPUGenerator(9);
  const auto tokens = torch::randint(0, 7, {4, 12}, gen, torch::kLong);
  const auto targets = torch::randint(0, 5, {4, 12}, gen, torch::kLong);
  auto step = [&](SequenceModel& m, TrainOptimizer& o, double lr) {
    o.set_learning_rate(lr);
    o.zero_grad();
    auto logits = m.forward(tokens);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, 5}), targets.reshape({-1}));
    loss.backward();
    o.clip_and_step(0.5);
    return loss.item<double>();
  };
  double first = 0, last = 0;
  for (int s = 0; s < 60; ++s) {
    last = step(*p.a, *p.fused, t.lr);
    if (s == 0) first = last;
    step(*p.b, *p.reference, t.lr);
    step(*noise, *o_noise, t.lr * (1 + 1e-7));
  }
  const double fused = model_distance(*p.a, *p.b), rounding = model_distance(*noise, *p.b);
  if (print_errors())
    std::printf("training: fused vs torch %.2e, torch vs torch at lr(1+1e-7) %.2e\n", fused, rounding);
  EXPECT_LE(fused, 3 * rounding + 1e-6);
  EXPECT_LT(last, 0.5 * first);  // it trained
}

TEST(FusedAdamW, GroupsCarryTheirRateAndDecay) {
  const TrainConfig t = optimiser_config();
  auto model = make_seeded_model(tiny_rwkv7(), 4);
  auto o = make_optimizer(*model, t, OptimizerImpl::Fused);
  o->set_learning_rate(1e-3);
  const auto groups = model->parameter_groups();
  const auto& opt_groups = o->state().param_groups();
  ASSERT_EQ(opt_groups.size(), groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(opt_groups[i].options());
    EXPECT_DOUBLE_EQ(options.lr(), 1e-3 * groups[i].lr_scale) << groups[i].name;
    EXPECT_DOUBLE_EQ(options.weight_decay(), groups[i].weight_decay ? t.weight_decay : 0.0)
        << groups[i].name;
  }
  // One step on zero gradients: decay alone moves the decayed weights, nothing else moves.
  auto before = model->named_parameters();
  std::map<std::string, torch::Tensor> copy;
  for (const auto& p : before) copy[p.key()] = p.value().detach().clone();
  for (auto& p : model->parameters()) p.mutable_grad() = torch::zeros_like(p);
  o->clip_and_step(1.0);
  for (const auto& group : groups)
    for (const auto& p : group.params)
      for (const auto& named : model->named_parameters())
        if (named.value().is_same(p)) {
          const auto expected = group.weight_decay ? copy[named.key()] * (1 - 1e-3 * t.weight_decay)
                                                   : copy[named.key()];
          EXPECT_LE((p.detach() - expected).abs().max().item<double>(), 1e-7) << named.key();
        }
}

TEST(FusedAdamW, NonFiniteGradientLeavesTheWeightsAlone) {
  auto model = make_seeded_model(tiny_rwkv7(), 5);
  auto o = make_optimizer(*model, optimiser_config(), OptimizerImpl::Fused);
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) {
    before.push_back(p.detach().clone());
    p.mutable_grad() = torch::ones_like(p);
  }
  model->parameters()[3].mutable_grad()[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(o->clip_and_step(1.0)));
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(torch::equal(before[i], model->parameters()[i].detach())) << i;
}

TEST(FusedAdamW, ThreadsDoNotChangeResults) {
  const TrainConfig t = optimiser_config();
  std::vector<std::vector<torch::Tensor>> results;
  const int threads = torch::get_num_threads();
  for (int n : {1, 2}) {
    torch::set_num_threads(n);
    auto model = make_seeded_model(tiny_rwkv7(), 6);
    auto o = make_optimizer(*model, t, OptimizerImpl::Fused);
    for (int step = 0; step < 20; ++step) {
      set_gradients(*model, step);
      o->clip_and_step(1.0);
    }
    std::vector<torch::Tensor> params;
    for (const auto& p : model->parameters()) params.push_back(p.detach().clone());
    results.push_back(params);
  }
  torch::set_num_threads(threads);
  for (size_t i = 0; i < results[0].size(); ++i)
    EXPECT_TRUE(torch::equal(results[0][i], results[1][i])) << i;
}

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("goose_optimizer_test_" + name + "_" + std::to_string(::getpid()) + ".pt"))
      .string();
}

// K steps, save, load into fresh objects, M more steps == K + M steps uninterrupted, bit for
// bit; and the file loads into the other implementation (the state format is torch's AdamW's).
TEST(FusedAdamW, CheckpointRoundTripIsBitIdentical) {
  OneThread one_thread;
  const TrainConfig t = optimiser_config();
  for (const auto impl : {OptimizerImpl::Fused, OptimizerImpl::Torch}) {
    const auto other = impl == OptimizerImpl::Fused ? OptimizerImpl::Torch : OptimizerImpl::Fused;
    auto whole = make_seeded_model(tiny_rwkv7(), 7);
    auto o_whole = make_optimizer(*whole, t, impl);
    for (int step = 0; step < 30; ++step) {
      set_gradients(*whole, step);
      o_whole->clip_and_step(1.0);
    }
    auto first = make_seeded_model(tiny_rwkv7(), 7);
    auto o_first = make_optimizer(*first, t, impl);
    for (int step = 0; step < 12; ++step) {
      set_gradients(*first, step);
      o_first->clip_and_step(1.0);
    }
    const std::string path = temp_file("roundtrip");
    save_checkpoint(path, *first, &o_first->state(), TrainState{});
    auto second = make_seeded_model(tiny_rwkv7(), 99);  // weights come from the file
    auto o_second = make_optimizer(*second, t, impl);
    load_checkpoint(path, *second, &o_second->state());
    for (int step = 12; step < 30; ++step) {
      set_gradients(*second, step);
      o_second->clip_and_step(1.0);
    }
    auto pw = whole->parameters(), ps = second->parameters();
    for (size_t i = 0; i < pw.size(); ++i) EXPECT_TRUE(torch::equal(pw[i], ps[i])) << i;

    // The other implementation resumes from the same file and stays within rounding.
    auto third = make_seeded_model(tiny_rwkv7(), 98);
    auto o_third = make_optimizer(*third, t, other);
    load_checkpoint(path, *third, &o_third->state());
    for (int step = 12; step < 30; ++step) {
      set_gradients(*third, step);
      o_third->clip_and_step(1.0);
    }
    expect_parameters_close(*third, *whole, kSameGradientsTol, "resumed by the other implementation");
    // Without the state (a fresh optimiser) the continuation differs: the state was used.
    auto fourth = make_seeded_model(tiny_rwkv7(), 97);
    auto o_fourth = make_optimizer(*fourth, t, impl);
    load_checkpoint(path, *fourth, nullptr);
    for (int step = 12; step < 30; ++step) {
      set_gradients(*fourth, step);
      o_fourth->clip_and_step(1.0);
    }
    EXPECT_GT(rms_ratio(fourth->parameters()[0].detach(), whole->parameters()[0].detach()), 1e-4);
    std::filesystem::remove(path);
  }
}

}  // namespace
}  // namespace goose::core
