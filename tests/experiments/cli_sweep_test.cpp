// `gooselab sweep` end to end through the real binary: plan writes nothing, run + collect
// give one tidy row per run and length, a search skips the cells already solved, failures are
// recorded and the sweep goes on, and a sweep SIGKILLed at random moments and started again
// ends with exactly the results of an uninterrupted one.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/cli.h"

namespace goose::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string fixture(const std::string& name) {
  const char* source = std::getenv("GOOSE_SOURCE_DIR");
  if (source == nullptr) throw std::runtime_error("GOOSE_SOURCE_DIR not set (run through ctest)");
  return std::string(source) + "/tests/fixtures/studies/" + name;
}

// results.json without what depends on timing or the build, sorted.
json comparable_results(const std::string& dir) {
  json rows = json::parse(slurp(dir + "/results.json"));
  for (auto& row : rows)
    for (const char* key : {"wall_seconds", "tokens_per_second", "code_version"}) row.erase(key);
  std::vector<json> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return sorted;
}

TEST(SweepCli, PlanPrintsTheRunsAndWritesNothing) {
  TempDir dir("sweep_plan");
  const CliOutput plan = run_gooselab("sweep plan " + fixture("tiny.toml") + " --size quick");
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_NE(plan.out.find("study tiny (size quick): 4 runs"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("dssm-signed"), std::string::npos);
  EXPECT_FALSE(fs::exists("runs/sweeps/tiny-quick"));
  const CliOutput search = run_gooselab("sweep plan " + fixture("tiny-search.toml"));
  ASSERT_EQ(search.code, 0) << search.err;
  EXPECT_NE(search.out.find("12 runs at most, searched over layers in 3 waves (4, 4, 4 runs)"), std::string::npos)
      << search.out;
}

TEST(SweepCli, RunCollectStatusAndSkipFinished) {
  TempDir dir("sweep_run");
  const std::string out = dir / "s";
  const CliOutput run = run_gooselab("sweep run " + fixture("tiny.toml") + " --jobs 2 --progress lines --out " + out);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("4 runs: 4 done, 0 running, 0 failed, 0 interrupted, 0 pending"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("sweep tiny: 4 done, 0 running, 0 failed, 0 left"), std::string::npos) << run.err;
  // One row per run x evaluation length: the training range, then lengths 8 and 12.
  const json rows = json::parse(slurp(out + "/results.json"));
  ASSERT_EQ(rows.size(), 4u * 3u);
  std::set<std::string> runs;
  for (const auto& row : rows) {
    runs.insert(row["run_id"].get<std::string>());
    EXPECT_EQ(row["status"], "done");
    EXPECT_EQ(row["study"], "tiny");
    for (const char* key : {"seq_acc", "token_acc", "scaled_acc", "last_seq_acc"}) {
      const double v = row[key].get<double>();
      EXPECT_TRUE(v >= (std::string(key).find("scaled") != std::string::npos ? -1.0 : 0.0) && v <= 1.0) << key << " " << v;
    }
    EXPECT_TRUE(fs::exists(out + "/runs/" + row["run_id"].get<std::string>() + "/result.json"));
  }
  EXPECT_EQ(runs.size(), 4u);
  EXPECT_EQ(rows[1]["eval"], "test");
  EXPECT_EQ(rows[1]["eval_min_len"], 8);
  // The CSV: a header with every configuration field and the same number of rows.
  const std::string csv = slurp(out + "/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 13);
  EXPECT_EQ(csv.rfind("study,size,run_id,status,variant,wave,task,", 0), 0u);
  EXPECT_NE(csv.find(",\"8,12\","), std::string::npos);  // a list field, quoted
  // Started again: nothing is trained (the checkpoints are untouched) and the rows are equal.
  const json before = comparable_results(out);
  const auto stamp = fs::last_write_time(out + "/runs/" + *runs.begin() + "/last.pt");
  const CliOutput again = run_gooselab("sweep run " + fixture("tiny.toml") + " --jobs 1 --progress off --out " + out);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(fs::last_write_time(out + "/runs/" + *runs.begin() + "/last.pt"), stamp);
  EXPECT_EQ(comparable_results(out), before);
  const CliOutput status = run_gooselab("sweep status " + out);
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("4 done"), std::string::npos) << status.out;
  // Another size of the same study: other run ids beside the first ones.
  const CliOutput longer = run_gooselab("sweep run " + fixture("tiny.toml") + " --size longer --progress off --out " + out);
  ASSERT_EQ(longer.code, 0) << longer.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(out + "/runs"), fs::directory_iterator()), 8);
}

// inspect = true: each run's inspect.json, and its summary in the rows (λ* for RWKV-7 only; a
// state norm for every recurrent model).
TEST(SweepCli, InspectColumnsReachTheResults) {
  TempDir dir("sweep_inspect");
  const std::string out = dir / "s";
  const CliOutput run = run_gooselab("sweep run " + fixture("tiny-inspect.toml") + " --jobs 2 --out " + out);
  ASSERT_EQ(run.code, 0) << run.err;
  const CliOutput collect = run_gooselab("sweep collect " + out);  // again, from the files alone
  ASSERT_EQ(collect.code, 0) << collect.err;
  const json rows = json::parse(slurp(out + "/results.json"));
  ASSERT_EQ(rows.size(), 2u * 3u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row["variant"].get<std::string>());
    EXPECT_TRUE(fs::exists(out + "/runs/" + row["run_id"].get<std::string>() + "/inspect.json"));
    EXPECT_TRUE(row["state_norm_train"].is_number());
    EXPECT_TRUE(row["state_norm_ratio"].is_number() || row["state_norm_ratio"] == "inf");
    if (row["variant"] == "rwkv7-a2") {
      const double below = row["lambda_frac_below_m09"].get<double>();
      EXPECT_TRUE(below >= 0.0 && below <= 1.0) << below;
      EXPECT_LE(row["lambda_min"].get<double>(), 1.0);
    } else {
      EXPECT_TRUE(row["lambda_min"].is_null());
    }
  }
  const std::string csv = slurp(out + "/results.csv");
  EXPECT_NE(csv.find("lambda_frac_below_m1"), std::string::npos);
}

TEST(SweepCli, SearchSkipsSolvedCellsAndFailuresAreRecorded) {
  TempDir dir("sweep_search");
  const std::string out = dir / "s";
  const CliOutput run = run_gooselab("sweep run " + fixture("tiny-search.toml") + " --jobs 2 --progress off --out " + out);
  ASSERT_EQ(run.code, 0) << run.err;
  const json plan = json::parse(slurp(out + "/sweep.json"));
  int trained = 0, skipped = 0;
  for (const auto& r : plan["runs"]) {
    const bool exists = fs::exists(out + "/runs/" + r["run_id"].get<std::string>());
    const std::string task = r["config"]["task"]["task"];
    if (task.rfind("regex:", 0) == 0 && r["wave"].get<int>() > 0) {
      EXPECT_FALSE(exists) << "a solved cell was trained again at wave " << r["wave"];
      ++skipped;
    } else {
      EXPECT_TRUE(exists) << task << " wave " << r["wave"];
      ++trained;
    }
  }
  EXPECT_EQ(skipped, 4);  // the trivial language: solved with 1 layer, so 2 and 3 never run
  EXPECT_EQ(trained, 8);
  EXPECT_NE(run.out.find("4 skipped"), std::string::npos) << run.out;

  const std::string failing = dir / "f";
  const CliOutput diverged = run_gooselab("sweep run " + fixture("diverging.toml") + " --jobs 2 --progress off --out " + failing);
  ASSERT_EQ(diverged.code, 0) << diverged.err;
  EXPECT_NE(diverged.out.find("1 done, 0 running, 1 failed"), std::string::npos) << diverged.out;
  EXPECT_NE(diverged.out.find("loss"), std::string::npos) << diverged.out;  // the reason, in the status
  const json rows = json::parse(slurp(failing + "/results.json"));
  int failed_rows = 0;
  for (const auto& row : rows) failed_rows += row["status"] == "failed";
  EXPECT_EQ(failed_rows, 1);
}

TEST(SweepCli, KilledAtRandomMomentsAndRestartedEndsLikeAnUninterruptedSweep) {
  TempDir dir("sweep_kill");
  const std::string whole = dir / "whole";
  const CliOutput reference = run_gooselab("sweep run " + fixture("killable.toml") + " --jobs 2 --progress off --out " + whole);
  ASSERT_EQ(reference.code, 0) << reference.err;
  const json expected = comparable_results(whole);
  ASSERT_EQ(expected.size(), 4u * 2u);
  for (int trial = 0; trial < 3; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const std::string out = dir / ("killed" + std::to_string(trial));
    std::mt19937 rng(1234 + trial);
    std::uniform_int_distribution<int> delay_ms(30, 900);
    int kills = 0, code = -1;
    for (int attempt = 0; attempt < 40 && code != 0; ++attempt) {
      const pid_t pid = spawn_gooselab({"sweep", "run", fixture("killable.toml"), "--jobs", "2", "--progress", "off", "--out", out});
      if (attempt < 4) {  // kill the first few attempts at a random moment
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        if (::kill(pid, SIGKILL) == 0) ++kills;
      }
      code = wait_child(pid);
    }
    ASSERT_EQ(code, 0);
    EXPECT_GE(kills, 1);
    EXPECT_EQ(comparable_results(out), expected);
    for (const auto& entry : fs::recursive_directory_iterator(out))
      EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

TEST(SweepCli, BadInputIsOneLineError) {
  TempDir dir("sweep_bad");
  const std::string bad_study = dir / "bad.toml";
  { std::ofstream(bad_study) << "[fixed]\ntask = \"parity\"\nlayers = \"x\"\n"; }
  const std::pair<std::string, std::string> cases[] = {
      {"sweep", "plan|run|status"},
      {"sweep frobnicate", "unknown sweep subcommand"},
      {"sweep plan", "missing study"},
      {"sweep plan no-such-study", "not found"},
      {"sweep plan " + bad_study, "bad.toml:3: fixed.layers"},
      {"sweep run " + fixture("tiny.toml") + " --jobs 0 --out " + (dir / "x"), "--jobs"},
      {"sweep plan " + fixture("tiny.toml") + " --size huge", "no size 'huge'"},
      {"sweep status " + (dir / "nothing"), "not a sweep directory"},
      {"sweep collect " + (dir / "nothing"), "not a sweep directory"},
      {"sweep plan " + fixture("tiny.toml") + " --bogus", "bogus"},
  };
  for (const auto& [args, needle] : cases) {
    SCOPED_TRACE(args);
    const CliOutput output = run_gooselab(args);
    EXPECT_EQ(output.code, 2);
    if (args == "sweep") continue;  // the usage, on stdout
    EXPECT_EQ(output.err.rfind("error: ", 0), 0u) << output.err;
    EXPECT_EQ(std::count(output.err.begin(), output.err.end(), '\n'), 1) << output.err;
    EXPECT_NE(output.err.find(needle), std::string::npos) << output.err;
  }
  EXPECT_FALSE(fs::exists(dir / "x"));
}

}  // namespace
}  // namespace goose::testing
