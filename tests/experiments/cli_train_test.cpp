// End-to-end tests of `gooselab train` and `eval`: the real binary
// (GOOSELAB_BIN, set by ctest) on tiny budgets, its files and JSON, and its one-line errors.
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

namespace {

namespace fs = std::filesystem;

struct Output {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string binary() {
  const char* bin = std::getenv("GOOSELAB_BIN");
  return bin ? bin : "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Output run(const std::string& arguments) {
  static int counter = 0;
  const std::string base = (fs::temp_directory_path() / ("goose_cli_" + std::to_string(::getpid()) + "_" +
                                                         std::to_string(counter++))).string();
  const std::string command = "'" + binary() + "' " + arguments + " >" + base + ".out 2>" + base + ".err";
  Output output;
  const int status = std::system(command.c_str());
  output.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  output.out = slurp(base + ".out");
  output.err = slurp(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return output;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (binary().empty()) GTEST_SKIP() << "GOOSELAB_BIN not set (run through ctest)";
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

TEST_F(Cli, TrainThenEval) {
  const std::string out = dir_ + "/run";
  const Output train = run("train " + kTiny + " --out " + out);
  ASSERT_EQ(train.code, 0) << train.err;
  for (const char* name : {"config.json", "metrics.jsonl", "result.json", "last.pt", "best.pt"})
    EXPECT_TRUE(fs::exists(out + "/" + name)) << name;
  const auto config = nlohmann::json::parse(slurp(out + "/config.json"));
  EXPECT_EQ(config["format"], 2);
  EXPECT_EQ(config["model"]["arch"], "lstm");
  EXPECT_EQ(config["variant"], "lstm");
  EXPECT_EQ(config["train"]["steps"], 30);
  EXPECT_EQ(config["train"]["eval_lengths"], nlohmann::json({8, 12}));
  EXPECT_EQ(config["train"]["train_len"], "2..6");
  EXPECT_EQ(config["task"]["task"], "parity");
  EXPECT_EQ(config["run_id"].get<std::string>().size(), 16u);
  EXPECT_EQ(config["session"]["threads"], 1);
  // A real code version (git describe of the built tree), never "unknown" in a git checkout.
  EXPECT_NE(config["session"]["code_version"], "unknown");
  const auto result = nlohmann::json::parse(slurp(out + "/result.json"));
  for (const char* key : {"steps", "stop_reason", "wall_seconds", "tokens_per_second", "num_parameters",
                          "state_floats", "selected", "last"})
    EXPECT_TRUE(result.contains(key)) << key;
  EXPECT_EQ(result["steps"], 30);
  EXPECT_EQ(result["last"]["step"], 30);
  EXPECT_EQ(result["selected"]["test"].size(), 2u);

  const Output eval = run("eval --run " + out + " --lengths 8,20 --count 50 --json --threads 1");
  ASSERT_EQ(eval.code, 0) << eval.err;
  const auto json = nlohmann::json::parse(eval.out);
  ASSERT_EQ(json["lengths"].size(), 2u);
  EXPECT_EQ(json["lengths"][1]["length"], 20);
  EXPECT_EQ(json["lengths"][1]["count"], 50);
  EXPECT_GE(json["lengths"][0]["token_acc"].get<double>(), 0.0);
  const Output table = run("eval --run " + out + " --lengths 8 --count 20 --threads 1");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("seq acc"), std::string::npos);

  // A second train into the finished run is refused and leaves it alone; --resume is fine.
  const auto before = fs::last_write_time(out + "/result.json");
  const Output again = run("train " + kTiny + " --out " + out);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  EXPECT_EQ(fs::last_write_time(out + "/result.json"), before);
  const Output resumed = run("train --out " + out + " --resume --threads 1 --progress off");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  const Output changed = run("train --out " + out + " --resume --steps 99 --progress off");
  EXPECT_EQ(changed.code, 2);
  EXPECT_NE(changed.err.find("--steps"), std::string::npos) << changed.err;
}

// Every option at its default but the budget: eval (no eval lengths were given) and --resume
// read the configuration back from config.json.
TEST_F(Cli, EvalAndResumeOfARunWithDefaults) {
  const std::string out = dir_ + "/defaults";
  Output train = run("train --task parity --steps 20 --dim 32 --eval-every 10 --eval-count 8 "
                     "--final-eval-count 8 --progress off --out " + out);
  ASSERT_EQ(train.code, 0) << train.err;
  const Output eval = run("eval --run " + out + " --lengths 16,64 --count 10 --json");
  ASSERT_EQ(eval.code, 0) << eval.err;
  EXPECT_EQ(nlohmann::json::parse(eval.out)["lengths"].size(), 2u);
  const Output resumed = run("train --resume --out " + out + " --progress off");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
}

// A run directory written by gooselab before config format 2 (tests/fixtures/legacy_run:
// RWKV-7 with the old --relaxed --no-decay-clamp, trained without --eval-len) loads in eval,
// converted, and is refused by --resume with a clear message.
TEST_F(Cli, LegacyRunDirectoryLoadsInEval) {
  const char* source = std::getenv("GOOSE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "GOOSE_SOURCE_DIR not set (run through ctest)";
  const std::string legacy = dir_ + "/legacy";
  fs::copy(std::string(source) + "/tests/fixtures/legacy_run", legacy);
  const Output eval = run("eval --run " + legacy + " --lengths 8,16 --count 20 --json");
  ASSERT_EQ(eval.code, 0) << eval.err;
  const auto json = nlohmann::json::parse(eval.out);
  EXPECT_EQ(json["variant"], "rwkv7-a2-unclamped");
  EXPECT_EQ(json["step"], 10);
  const Output resume = run("train --resume --out " + legacy + " --progress off");
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
  const Output ok = run("train --config " + dir_ + "/options.json --steps 10 --threads 1 --progress off --out " + dir_ + "/run");
  ASSERT_EQ(ok.code, 0) << ok.err;
  const auto config = nlohmann::json::parse(slurp(dir_ + "/run/config.json"));
  EXPECT_EQ(config["train"]["steps"], 10);       // command line wins
  EXPECT_EQ(config["train"]["batch_size"], 8);   // from the file
  EXPECT_EQ(config["model"]["arch"], "lstm");    // the file's variant
  EXPECT_EQ(config["train"]["eval_lengths"], nlohmann::json({7, 9}));
  // Another run's config.json is a --config file too: the same run id.
  const Output copy = run("train --config " + dir_ + "/run/config.json --threads 1 --progress off --out " + dir_ + "/copy");
  ASSERT_EQ(copy.code, 0) << copy.err;
  EXPECT_EQ(nlohmann::json::parse(slurp(dir_ + "/copy/config.json"))["run_id"], config["run_id"]);
  {
    std::ofstream config(dir_ + "/bad.json");
    config << R"({"task": "parity", "bogus": 3})";
  }
  const Output bad = run("train --config " + dir_ + "/bad.json --out " + dir_ + "/run2");
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
    const Output output = run(args + " --out " + out);
    EXPECT_EQ(output.code, 2);
    EXPECT_EQ(output.err.rfind("error: ", 0), 0u) << output.err;
    EXPECT_EQ(std::count(output.err.begin(), output.err.end(), '\n'), 1) << output.err;
    EXPECT_NE(output.err.find(c.needle), std::string::npos) << output.err;
    EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 1);
  }
  const Output eval = run("eval --run " + out + " --lengths 8");
  EXPECT_EQ(eval.code, 2);
  EXPECT_NE(eval.err.find("not a run directory"), std::string::npos) << eval.err;
  const Output compare = run("compare --quick --jobs 0 --out " + dir_ + "/cmp");
  EXPECT_EQ(compare.code, 2);
  EXPECT_FALSE(fs::exists(dir_ + "/cmp"));
  for (const char* command : {"train", "eval", "compare"}) {
    const Output help = run(std::string(command) + " --help");
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("example:"), std::string::npos) << command;
  }
}

}  // namespace
