// End-to-end tests of `gooselab construct` and `eval --chunk` on what it writes: the real
// binary (GOOSELAB_BIN), an ordinary run directory that read_run_config and eval load, exact
// accuracy through eval (the mod-arith cascade included), the released rate's failure, and
// one-line errors that write nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/run.h"
#include "tests/support/cli.h"

namespace goose::experiments {
namespace {

namespace fs = std::filesystem;
using goose::testing::run_gooselab;
using goose::testing::slurp;
using goose::testing::TempDir;

nlohmann::json eval_json(const std::string& dir, const std::string& lengths, int count, const std::string& extra = "") {
  const auto out = run_gooselab("eval --run '" + dir + "' --lengths " + lengths + " --count " +
                                std::to_string(count) + " --json " + extra);
  EXPECT_EQ(out.code, 0) << out.err;
  return nlohmann::json::parse(out.out);
}

TEST(CliConstruct, WritesAnOrdinaryRunDirectoryThatEvalLoads) {
  TempDir tmp("construct");
  const std::string dir = tmp / "s5";
  const auto made = run_gooselab("construct group:S5@transpositions --out '" + dir + "'");
  ASSERT_EQ(made.code, 0) << made.err;
  for (const char* file : {"config.json", "best.pt", "last.pt", "construction.json"})
    EXPECT_TRUE(fs::exists(dir + "/" + file)) << file;
  EXPECT_FALSE(fs::exists(dir + "/result.json"));
  const StoredRun stored = read_run_config(dir);
  EXPECT_EQ(stored.config.model.arch, "rwkv7");
  EXPECT_EQ(stored.config.model.rwkv_rate, "relaxed");
  EXPECT_EQ(stored.config.model.layers, 1);
  EXPECT_EQ(stored.config.task.objective, "state");
  const auto description = nlohmann::json::parse(slurp(dir + "/construction.json"));
  EXPECT_EQ(description["kind"], "swap");
  EXPECT_EQ(description["task"], "group:S5@transpositions");
  EXPECT_FALSE(description["trained"].get<bool>());

  // Chunks of 37 positions and one whole forward pass: the same exact answers.
  const auto chunked = eval_json(dir, "64,700", 40, "--chunk 37");
  const auto whole = eval_json(dir, "64,700", 40, "--chunk 100000");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(chunked["lengths"][i]["seq_acc"], 1.0);
    EXPECT_EQ(whole["lengths"][i]["seq_acc"], 1.0);
  }
  EXPECT_EQ(chunked["chunk"], 37);
}

TEST(CliConstruct, RegularConstructionAndReleasedRate) {
  TempDir tmp("construct");
  const std::string relaxed = tmp / "relaxed", released = tmp / "released";
  ASSERT_EQ(run_gooselab("construct tomita:4 --out '" + relaxed + "'").code, 0);
  const auto made = run_gooselab("construct tomita:4 --rate released --out '" + released + "'");
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.out.find("regular construction"), std::string::npos) << made.out;
  EXPECT_EQ(eval_json(relaxed, "300", 50)["lengths"][0]["seq_acc"], 1.0);
  EXPECT_LT(eval_json(released, "300", 50)["lengths"][0]["seq_acc"].get<double>(), 0.5);
  // The same weights: the checkpoints differ only in the configuration's rate.
  EXPECT_EQ(read_run_config(released).config.model.rwkv_rate, "released");
}

TEST(CliConstruct, ModArithTakesTheCascade) {
  TempDir tmp("construct");
  const std::string relaxed = tmp / "relaxed", released = tmp / "released";
  const auto made = run_gooselab("construct mod-arith --out '" + relaxed + "'");
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.out.find("cascade construction"), std::string::npos) << made.out;
  EXPECT_EQ(nlohmann::json::parse(slurp(relaxed + "/construction.json"))["kind"], "cascade");
  // Odd lengths: a string of even length ends with an operator, which has no label.
  const auto eval = eval_json(relaxed, "11,1001", 50);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(eval["lengths"][i]["seq_acc"], 1.0);
  ASSERT_EQ(run_gooselab("construct mod-arith --rate released --out '" + released + "'").code, 0);
  EXPECT_LT(eval_json(released, "101", 50)["lengths"][0]["seq_acc"].get<double>(), 0.5);
}

TEST(CliConstruct, ErrorsAreOneLineAndWriteNothing) {
  TempDir tmp("construct");
  const std::string dir = tmp / "nothing";
  const struct {
    std::string args, needle;
  } cases[] = {
      {"construct group:S5 --out '" + dir + "'", "neither a transposition nor the identity"},
      {"construct mod-arith --kind regular --out '" + dir + "'", "detectors"},
      {"construct tomita:3 --kind cascade --out '" + dir + "'", "built for mod-arith only"},
      {"construct tomita:3 --kind swap --out '" + dir + "'", "does not act on the DFA's states as one swap"},
      {"construct tomita:3 --dim 20 --out '" + dir + "'", "needs a width of at least"},
      {"construct tomita:3 --kind pipeline --out '" + dir + "'", "--kind must be auto, swap, regular or cascade"},
      {"construct nonsense --out '" + dir + "'", "unknown task"},
      {"construct parity", "--out DIR is required"},
      {"construct --out '" + dir + "'", "SPEC is required"},
  };
  for (const auto& c : cases) {
    const auto out = run_gooselab(c.args);
    EXPECT_EQ(out.code, 2) << c.args;
    EXPECT_EQ(out.err.rfind("error: ", 0), 0u) << out.err;
    EXPECT_EQ(std::count(out.err.begin(), out.err.end(), '\n'), 1) << out.err;
    EXPECT_NE(out.err.find(c.needle), std::string::npos) << out.err;
    EXPECT_FALSE(fs::exists(dir)) << c.args;
  }
  // A non-empty directory is refused without --force.
  ASSERT_EQ(run_gooselab("construct parity --out '" + dir + "'").code, 0);
  const auto again = run_gooselab("construct parity --out '" + dir + "'");
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(run_gooselab("construct parity --force --out '" + dir + "'").code, 0);
}

}  // namespace
}  // namespace goose::experiments
