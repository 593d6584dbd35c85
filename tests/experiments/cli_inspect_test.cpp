// `gooselab inspect` end to end (the real binary): on a constructed swap model, whose spectrum
// and state are known exactly (λ* = −1 + 2.4e-7 on swap tokens, a state norm that does not
// move), on trained runs of every architecture (each gets its own section), and the results.csv
// columns a sweep takes from inspect.json, including a state that overflowed fp32.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/inspect.h"
#include "tests/support/cli.h"

namespace goose::experiments {
namespace {

namespace fs = std::filesystem;
using goose::testing::run_gooselab;
using goose::testing::TempDir;
using json = nlohmann::json;

json inspect_json(const std::string& dir, const std::string& extra) {
  const auto out = run_gooselab("inspect --run '" + dir + "' --json --no-plot " + extra);
  EXPECT_EQ(out.code, 0) << out.err;
  return json::parse(out.out);
}

TEST(CliInspect, ConstructedSwapModelShowsMinusOneAndABoundedState) {
  TempDir tmp("inspect");
  const std::string dir = tmp / "parity";
  const auto made = run_gooselab("construct parity --kind swap --out '" + dir + "'");
  ASSERT_EQ(made.code, 0) << made.err;
  const json report = inspect_json(dir, "--lengths 8,64 --count 16 --long-length 3000");
  for (const auto& point : report["accuracy"]) EXPECT_EQ(point["seq_acc"], 1.0) << point.dump();

  // A swap token is the reflection I − 2κ̂κ̂ᵀ up to fl(1/√2)²: λ* = −1 + 2.4e-7, never below −1.
  const json& rwkv7 = report["rwkv7"];
  EXPECT_NEAR(rwkv7["min"].get<double>(), -1.0, 1e-5);
  EXPECT_GT(rwkv7["frac_below_m09"].get<double>(), 0.1);  // swap tokens (the 1s), over every head
  EXPECT_EQ(rwkv7["frac_below_m1"].get<double>(), 0.0);

  // Only BOS writes; reflections preserve the norm.
  const json& norm = report["state_norm"];
  EXPECT_TRUE(norm["overflow_t"].is_null());
  EXPECT_NEAR(norm["ratio"].get<double>(), 1.0, 1e-4);
  EXPECT_EQ(norm["t"].back(), 3001);

  const json columns = inspect_summary_columns(report);
  EXPECT_NEAR(columns["state_norm_ratio"].get<double>(), 1.0, 1e-4);
  EXPECT_NEAR(columns["lambda_min"].get<double>(), -1.0, 1e-5);
}

TEST(CliInspect, EveryArchitectureGetsItsSection) {
  TempDir tmp("inspect");
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"lstm", "lstm"}, {"dssm-complex", "dssm"}, {"transformer", "transformer"}, {"rwkv7", "rwkv7"}};
  for (const auto& [variant, section] : variants) {
    SCOPED_TRACE(variant);
    const std::string dir = tmp / variant;
    const auto trained = run_gooselab("train --task parity --variant " + variant +
                                      " --layers 1 --dim 16 --head-size 8 --steps 4 --eval-every 4"
                                      " --eval-count 8 --final-eval-count 8 --batch-size 8"
                                      " --train-len 2..6 --eval-lengths 12 --progress off --out '" + dir + "'");
    ASSERT_EQ(trained.code, 0) << trained.err;
    const json report = inspect_json(dir, "--lengths 6,12 --count 8");
    ASSERT_TRUE(report.contains(section)) << report.dump().substr(0, 300);
    EXPECT_EQ(report["accuracy"].size(), 2u);
    EXPECT_FALSE(report["summary"].empty());
    // Recurrent models have a state to follow; the Transformer has none.
    EXPECT_EQ(report.contains("state_norm"), variant != "transformer");
  }
}

TEST(InspectColumns, AnOverflowedStateIsAnInfiniteNorm) {
  // nlohmann writes NaN and Inf as null: a curve with a null overflowed, whatever "long" says
  // (inspect.json files of earlier versions recorded 0 there).
  const json overflowed = {{"state_norm",
                            {{"t", {1, 16, 200}}, {"layers", {{2.0, 8.0, nullptr}}},
                             {"train", 8.0}, {"long", 0.0}, {"ratio", 0.0}}}};
  const json columns = inspect_summary_columns(overflowed);
  EXPECT_EQ(columns["state_norm_long"], "inf");
  EXPECT_EQ(columns["state_norm_ratio"], "inf");
  EXPECT_EQ(columns["state_norm_train"], 8.0);
  EXPECT_TRUE(columns["lambda_min"].is_null());

  const json finite = {{"state_norm",
                        {{"t", {1, 16, 200}}, {"layers", {{2.0, 8.0, 16.0}}},
                         {"train", 8.0}, {"long", 16.0}, {"ratio", 2.0}, {"overflow_t", nullptr}}}};
  EXPECT_EQ(inspect_summary_columns(finite)["state_norm_ratio"], 2.0);
}

}  // namespace
}  // namespace goose::experiments
