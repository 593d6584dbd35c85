// End-to-end tests of `gooselab train` and `eval`: the real binary (GOOSELAB_BIN, set by
// ctest; the tests fail without it) on tiny budgets, its files and JSON
// (tests/support/run_schema.h), resume and its one-line errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "tests/support/cli.h"
#include "tests/support/run_schema.h"

namespace goose::testing {
namespace {

namespace fs = std::filesystem;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    gooselab_binary();  // throws, failing the test, when GOOSELAB_BIN is missing
    dir_ = (fs::temp_directory_path() / ("goose_cli_test_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string dir_;
};

const std::string kTiny =
    "--task parity --variant lstm --layers 1 --dim 16 --train-len 2..6 --eval-lengths 8,12 "
    "--steps 30 --batch-size 16 --warmup 5 --eval-every 15 --eval-count 32 --final-eval-count 64 "
    "--threads 1 --progress off";

std::vector<nlohmann::json> metrics_of(const std::string& dir) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(slurp(dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// result.json but for what measures time.
nlohmann::json timeless_result(const std::string& dir) {
  nlohmann::json result = nlohmann::json::parse(slurp(dir + "/result.json"));
  result.erase("wall_seconds");
  result.erase("tokens_per_second");
  return result;
}

TEST_F(Cli, TrainThenEval) {
  const std::string out = dir_ + "/run";
  const CliOutput train = run_gooselab("train " + kTiny + " --out " + out);
  ASSERT_EQ(train.code, 0) << train.err;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(out)) files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"best.pt", "config.json", "last.pt", "metrics.jsonl", "result.json"}));
  const auto config = nlohmann::json::parse(slurp(out + "/config.json"));
  expect_config_json(config, /*threads=*/1);
  // The options given, as resolved.
  EXPECT_EQ(config["model"]["arch"], "lstm");
  EXPECT_EQ(config["variant"], "lstm");
  EXPECT_EQ(config["model"]["layers"], 1);
  EXPECT_EQ(config["train"]["steps"], 30);
  EXPECT_EQ(config["train"]["eval_lengths"], nlohmann::json({8, 12}));
  EXPECT_EQ(config["train"]["train_len"], "2..6");
  EXPECT_EQ(config["task"]["task"], "parity");
  const auto lines = metrics_of(out);
  expect_metrics_lines(lines, config);
  const auto result = nlohmann::json::parse(slurp(out + "/result.json"));
  expect_result_json(result, config, lines);

  const CliOutput eval = run_gooselab("eval --run " + out + " --lengths 8,20 --count 50 --json --threads 1");
  ASSERT_EQ(eval.code, 0) << eval.err;
  expect_eval_json(nlohmann::json::parse(eval.out), config, {8, 20}, 50, result["selected"]["step"], "best.pt");
  const CliOutput table = run_gooselab("eval --run " + out + " --lengths 8 --count 20 --threads 1");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("seq acc"), std::string::npos);
  // bf16 autocast of the matrix products: recorded, and on the same data close to fp32 (the
  // recurrence runs in fp32 either way).
  const CliOutput bf16 = run_gooselab("eval --run " + out + " --lengths 8,20 --count 50 --json --threads 1 --precision bf16");
  ASSERT_EQ(bf16.code, 0) << bf16.err;
  const auto low = nlohmann::json::parse(bf16.out), full = nlohmann::json::parse(eval.out);
  EXPECT_EQ(full["precision"], "fp32");
  EXPECT_EQ(low["precision"], "bf16");
  for (int k = 0; k < 2; ++k)
    EXPECT_NEAR(low["lengths"][k]["token_acc"].get<double>(), full["lengths"][k]["token_acc"].get<double>(), 0.05);
  const CliOutput fp16 = run_gooselab("eval --run " + out + " --lengths 8 --precision fp16");
  EXPECT_EQ(fp16.code, 2);
  EXPECT_NE(fp16.err.find("--precision must be fp32 or bf16"), std::string::npos) << fp16.err;

  // A second train into the finished run is refused and leaves it alone.
  const auto before = fs::last_write_time(out + "/result.json");
  const CliOutput again = run_gooselab("train " + kTiny + " --out " + out);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  EXPECT_EQ(fs::last_write_time(out + "/result.json"), before);
  // --resume of the finished run trains nothing: checkpoints and metrics untouched, the same report.
  const auto want = timeless_result(out);
  const std::string last = slurp(out + "/last.pt"), best = slurp(out + "/best.pt"), metrics = slurp(out + "/metrics.jsonl");
  const CliOutput resumed = run_gooselab("train --out " + out + " --resume --threads 1 --progress off");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(timeless_result(out), want);
  EXPECT_TRUE(slurp(out + "/last.pt") == last && slurp(out + "/best.pt") == best);
  EXPECT_EQ(slurp(out + "/metrics.jsonl"), metrics);
  const CliOutput changed = run_gooselab("train --out " + out + " --resume --steps 99 --progress off");
  EXPECT_EQ(changed.code, 2);
  EXPECT_NE(changed.err.find("--steps"), std::string::npos) << changed.err;
}

// Every option at its default but the budget: eval (no eval lengths were given) and --resume
// read the configuration back from config.json.
TEST_F(Cli, EvalAndResumeOfARunWithDefaults) {
  const std::string out = dir_ + "/defaults";
  CliOutput train = run_gooselab("train --task parity --steps 20 --dim 32 --eval-every 10 --eval-count 8 "
                                 "--final-eval-count 8 --progress off --out " + out);
  ASSERT_EQ(train.code, 0) << train.err;
  const auto config = nlohmann::json::parse(slurp(out + "/config.json"));
  expect_config_json(config, /*threads=*/1);
  const core::RunConfig defaults;
  for (const auto& field : core::config_fields()) {  // what was not given is the table's default
    if (field.name == "task" || field.name == "steps" || field.name == "dim" || field.name == "eval_every" ||
        field.name == "eval_count" || field.name == "final_eval_count")
      continue;
    EXPECT_EQ(config[field.section][field.name], field.get(defaults)) << field.name;
  }
  EXPECT_EQ(config["train"]["eval_lengths"], nlohmann::json::array());
  const auto result = nlohmann::json::parse(slurp(out + "/result.json"));
  expect_result_json(result, config, metrics_of(out));
  const CliOutput eval = run_gooselab("eval --run " + out + " --lengths 16,64 --count 10 --json");
  ASSERT_EQ(eval.code, 0) << eval.err;
  expect_eval_json(nlohmann::json::parse(eval.out), config, {16, 64}, 10, result["selected"]["step"], "best.pt");
  const auto want = timeless_result(out);
  const CliOutput resumed = run_gooselab("train --resume --out " + out + " --progress off");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(timeless_result(out), want);
}

// A run directory written by gooselab before config format 2 (tests/fixtures/legacy_run:
// RWKV-7 with the old --relaxed --no-decay-clamp, trained without --eval-len) loads in eval,
// converted, and is refused by --resume with a clear message.
TEST_F(Cli, LegacyRunDirectoryLoadsInEval) {
  const char* source = std::getenv("GOOSE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "GOOSE_SOURCE_DIR not set (run through ctest)";
  const std::string legacy = dir_ + "/legacy";
  fs::copy(std::string(source) + "/tests/fixtures/legacy_run", legacy);
  const CliOutput eval = run_gooselab("eval --run " + legacy + " --lengths 8,16 --count 20 --json");
  ASSERT_EQ(eval.code, 0) << eval.err;
  const auto json = nlohmann::json::parse(eval.out);
  EXPECT_EQ(json["variant"], "rwkv7-a2-unclamped");
  EXPECT_EQ(json["step"], 10);
  const CliOutput resume = run_gooselab("train --resume --out " + legacy + " --progress off");
  EXPECT_EQ(resume.code, 2);
  EXPECT_NE(resume.err.find("older gooselab"), std::string::npos) << resume.err;
}

TEST_F(Cli, ConfigFileAndCommandLineOverride) {
  {
    std::ofstream config(dir_ + "/options.json");
    config << R"({"task": "parity", "variant": "lstm", "layers": 1, "dim": 16, "train_len": "2..5",
                  "eval_lengths": [7, 9], "steps": 50, "batch_size": 8, "eval_every": 10,
                  "eval_count": 16, "final_eval_count": 16})";
  }
  const CliOutput ok = run_gooselab("train --config " + dir_ + "/options.json --steps 10 --threads 1 --progress off --out " + dir_ + "/run");
  ASSERT_EQ(ok.code, 0) << ok.err;
  const auto config = nlohmann::json::parse(slurp(dir_ + "/run/config.json"));
  EXPECT_EQ(config["train"]["steps"], 10);       // command line wins
  EXPECT_EQ(config["train"]["batch_size"], 8);   // from the file
  EXPECT_EQ(config["model"]["arch"], "lstm");    // the file's variant
  EXPECT_EQ(config["train"]["eval_lengths"], nlohmann::json({7, 9}));
  // Another run's config.json is a --config file too: the same run id.
  const CliOutput copy = run_gooselab("train --config " + dir_ + "/run/config.json --threads 1 --progress off --out " + dir_ + "/copy");
  ASSERT_EQ(copy.code, 0) << copy.err;
  EXPECT_EQ(nlohmann::json::parse(slurp(dir_ + "/copy/config.json"))["run_id"], config["run_id"]);
  {
    std::ofstream config(dir_ + "/bad.json");
    config << R"({"task": "parity", "bogus": 3})";
  }
  const CliOutput bad = run_gooselab("train --config " + dir_ + "/bad.json --out " + dir_ + "/run2");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bogus"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir_ + "/run2"));
}

TEST_F(Cli, BadInputIsOneLineErrorAndWritesNothing) {
  const std::string out = dir_ + "/existing";
  fs::create_directories(out);
  { std::ofstream(out + "/keep.txt") << "x"; }
  // Each case replaces one option of a good command line (or adds a bad one).
  struct Case {
    std::string option, value, needle;
  };
  const Case cases[] = {
      {"--bogus", "1", "bogus"},
      {"--task", "no-such-task", "no-such-task"},
      {"--eval-lengths", "40,x", "40,x"},
      {"--eval-lengths", "40,-3", "40,-3"},
      {"--train-len", "9..3", "9..3"},
      {"--arch", "gru", "gru"},
      {"--variant", "rwkv9", "rwkv9"},
      {"--objective", "maybe", "maybe"},
      {"--steps", "abc", "steps"},
      {"--lr", "-1", "lr"},
      {"--dssm-eigen", "imaginary", "imaginary"},
  };
  const std::vector<std::pair<std::string, std::string>> good = {
      {"--task", "parity"}, {"--arch", "lstm"}, {"--eval-lengths", "8"}, {"--train-len", "2..6"},
      {"--objective", "state"}, {"--steps", "5"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.option + " " + c.value);
    std::string args = "train --layers 1 --dim 16 --batch-size 4 --threads 1 --progress off --force";
    bool replaced = false;
    for (const auto& [option, value] : good) {
      const bool mine = option == c.option;
      replaced |= mine;
      args += " " + option + " " + (mine ? c.value : value);
    }
    if (!replaced) args += " " + c.option + " " + c.value;
    const CliOutput output = run_gooselab(args + " --out " + out);
    EXPECT_EQ(output.code, 2);
    EXPECT_EQ(output.err.rfind("error: ", 0), 0u) << output.err;
    EXPECT_EQ(std::count(output.err.begin(), output.err.end(), '\n'), 1) << output.err;
    EXPECT_NE(output.err.find(c.needle), std::string::npos) << output.err;
    EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
  }
  const CliOutput eval = run_gooselab("eval --run " + out + " --lengths 8");
  EXPECT_EQ(eval.code, 2);
  EXPECT_NE(eval.err.find("not a run directory"), std::string::npos) << eval.err;
  const CliOutput compare = run_gooselab("compare --quick --jobs 0 --out " + dir_ + "/cmp");
  EXPECT_EQ(compare.code, 2);
  EXPECT_FALSE(fs::exists(dir_ + "/cmp"));
  for (const char* command : {"train", "eval", "compare"}) {
    const CliOutput help = run_gooselab(std::string(command) + " --help");
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("example:"), std::string::npos) << command;
  }
}

}  // namespace
}  // namespace goose::testing
