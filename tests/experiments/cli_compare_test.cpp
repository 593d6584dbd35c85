// `gooselab compare --quick` through the real binary: the main job's study run by the sweep
// engine, its table, files and figure; restarted after a kill in the middle of a run (a real
// SIGKILL at a checkpoint write), it ends with the results of an uninterrupted compare.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/cli.h"

namespace goose::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json comparable_results(const std::string& dir) {
  json rows = json::parse(slurp(dir + "/results.json"));
  for (auto& row : rows)
    for (const char* key : {"wall_seconds", "tokens_per_second", "code_version"}) row.erase(key);
  std::vector<json> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return sorted;
}

TEST(CompareCli, QuickRunsEveryVariantAndResumesAfterAKill) {
  TempDir dir("compare");
  const std::string whole = dir / "whole";
  const CliOutput first = run_gooselab("compare --quick --jobs 2 --out " + whole);
  ASSERT_EQ(first.code, 0) << first.err << first.out;
  // 8 variants x 2 settings x 2 seeds (quick), each with its training range and 2 test lengths.
  const json rows = json::parse(slurp(whole + "/results.json"));
  EXPECT_EQ(rows.size(), 8u * 2u * 2u * 3u);
  for (const char* variant : {"rwkv7", "rwkv7-a2", "rwkv7-a2-stable", "transformer", "dssm", "dssm-signed",
                              "dssm-complex", "lstm"})
    EXPECT_NE(first.out.find(std::string("\n") + variant + " "), std::string::npos) << variant << "\n" << first.out;
  EXPECT_NE(first.out.find("32 runs (32 done, 0 failed)"), std::string::npos) << first.out;
  EXPECT_TRUE(fs::exists(whole + "/summary.md"));
  if (first.out.find("note: no figure") == std::string::npos) EXPECT_TRUE(fs::exists(whole + "/compare.png"));

  // Killed (SIGKILL) right after the 7th checkpoint write, in the middle of some run, then
  // started again: the same rows as the uninterrupted compare.
  const std::string killed = dir / "killed";
  ::setenv("GOOSE_FAULT", "checkpoint-written@7", 1);
  const CliOutput interrupted = run_gooselab("compare --quick --jobs 1 --no-plot --out " + killed);
  ::unsetenv("GOOSE_FAULT");
  EXPECT_EQ(interrupted.code, 128 + 9) << "the fault point should have killed it (SIGKILL, through the shell)";
  EXPECT_FALSE(fs::exists(killed + "/results.json"));
  const CliOutput resumed = run_gooselab("compare --quick --jobs 2 --no-plot --out " + killed);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(comparable_results(killed), comparable_results(whole));

  // Restarted once more: nothing trains again (no checkpoint is rewritten) and the rows stay.
  const json before = comparable_results(killed);
  const auto stamp = fs::last_write_time(killed + "/runs/" + rows[0]["run_id"].get<std::string>() + "/last.pt");
  const CliOutput again = run_gooselab("compare --quick --jobs 1 --no-plot --out " + killed);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(fs::last_write_time(killed + "/runs/" + rows[0]["run_id"].get<std::string>() + "/last.pt"), stamp);
  EXPECT_EQ(comparable_results(killed), before);
}

TEST(CompareCli, BadInput) {
  TempDir dir("compare_bad");
  const CliOutput jobs = run_gooselab("compare --quick --jobs 0 --out " + (dir / "x"));
  EXPECT_EQ(jobs.code, 2);
  EXPECT_NE(jobs.err.find("--jobs"), std::string::npos) << jobs.err;
  EXPECT_FALSE(fs::exists(dir / "x"));
  const CliOutput help = run_gooselab("compare --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("example:"), std::string::npos);
}

}  // namespace
}  // namespace goose::testing
