// The command line's contract, through the real binary. Bad input — a value outside the range,
// a wrong choice or not a number for EVERY field of the field table (core::config_fields()),
// bad train / eval / sweep options, corrupt or missing checkpoints, unknown commands — gives
// exactly one "error:" line naming the problem, exit code 2, and writes nothing (a run directory
// already there stays byte for byte as it was). And the schema of every JSON a run writes or prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
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
using json = nlohmann::json;
using Args = std::vector<std::string>;

// A finished tiny run (LSTM on parity, two evaluations, two test lengths, two threads),
// trained once for the whole suite; cases work on copies of it.
class CliContract : public ::testing::Test {
 protected:
  // An exception here would make GoogleTest skip the suite; it is kept and fails every test.
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("contract");
    run_ = *dir_ / "run";
    try {
      train_suite_run();
    } catch (const std::exception& e) {
      train_error_ = e.what();
    }
  }
  static void train_suite_run() {
    const ChildOutput train = run_gooselab_args(
        {"train", "--task", "parity", "--variant", "lstm", "--layers", "1", "--dim", "16", "--train-len", "2..6",
         "--eval-lengths", "8,12", "--steps", "20", "--batch-size", "8", "--warmup", "2", "--eval-every", "10",
         "--eval-count", "16", "--final-eval-count", "24", "--eval-batch", "16", "--threads", "2",
         "--progress", "off", "--out", run_});
    train_error_ = train.code == 0 ? "" : "the suite's run failed: " + train.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override { ASSERT_EQ(train_error_, ""); }

  // A fresh copy of the finished run, optionally with one file replaced ("" removes it).
  static std::string copy_of_run(const std::string& name, const std::map<std::string, std::string>& replace = {}) {
    const std::string copy = *dir_ / name;
    fs::remove_all(copy);
    fs::copy(run_, copy);
    for (const auto& [file, content] : replace) {
      if (content.empty()) fs::remove(copy + "/" + file);
      else std::ofstream(copy + "/" + file, std::ios::binary | std::ios::trunc) << content;
    }
    return copy;
  }

  static std::unique_ptr<TempDir> dir_;
  static std::string run_, train_error_;
};
std::unique_ptr<TempDir> CliContract::dir_;
std::string CliContract::run_, CliContract::train_error_;

// Every file of a directory, name -> content and modification time.
std::map<std::string, std::pair<std::string, fs::file_time_type>> snapshot(const std::string& dir) {
  std::map<std::string, std::pair<std::string, fs::file_time_type>> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), dir).string()] = {slurp(entry.path().string()), fs::last_write_time(entry.path())};
  return files;
}

struct Case {
  Args args;
  std::string needle;   // the error line must name this
  std::string watched;  // a directory that must be left as it was ("" = none)
  bool absent = false;  // ... or must not come to exist
};

std::string joined(const Args& args) {
  std::string out = "gooselab";
  for (const auto& a : args) out += " '" + a + "'";
  return out;
}

// Runs every case (two at a time) and checks the contract of each. GOOSE_PRINT_ERRORS=1 prints
// every command and its error line, for reading them.
void expect_contract(const std::vector<Case>& cases) {
  std::vector<std::map<std::string, std::pair<std::string, fs::file_time_type>>> before;
  std::vector<Args> commands;
  for (const auto& c : cases) {
    before.push_back(snapshot(c.watched));
    commands.push_back(c.args);
  }
  const std::vector<ChildOutput> outputs = run_gooselab_all(commands, 2);
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const ChildOutput& o = outputs[i];
    SCOPED_TRACE(joined(c.args));
    if (std::getenv("GOOSE_PRINT_ERRORS")) std::printf("%s\n  -> %s", joined(c.args).c_str(), o.err.c_str());
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err.rfind("error: ", 0), 0u) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_TRUE(!o.err.empty() && o.err.back() == '\n') << o.err;
    EXPECT_NE(o.err.find(c.needle), std::string::npos) << "the error does not name '" << c.needle << "': " << o.err;
    if (c.absent) EXPECT_FALSE(fs::exists(c.watched)) << c.watched << " was created";
    else if (!c.watched.empty()) EXPECT_TRUE(snapshot(c.watched) == before[i]) << c.watched << " was changed";
  }
}

// A good `train` command line; cases replace one option's value or add options.
const std::vector<std::pair<std::string, std::string>> kGoodTrain = {
    {"--task", "parity"},   {"--arch", "lstm"},      {"--layers", "1"},       {"--dim", "16"},
    {"--train-len", "2..6"}, {"--eval-lengths", "8"}, {"--steps", "5"},        {"--batch-size", "4"},
    {"--eval-every", "5"},  {"--eval-count", "4"},   {"--final-eval-count", "4"}, {"--threads", "1"},
    {"--progress", "off"}};

Args train_with(const std::vector<std::pair<std::string, std::string>>& changes) {
  Args args = {"train"};
  for (const auto& [option, value] : kGoodTrain) {
    bool changed = false;
    for (const auto& [o, v] : changes) changed |= o == option;
    if (!changed) args.insert(args.end(), {option, value});
  }
  for (const auto& [option, value] : changes) {
    args.push_back(option);
    if (!value.empty()) args.push_back(value);  // "" = a switch
  }
  return args;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// What is wrong with a field, from its entry in the field table: each finite bound crossed
// (by one for integers, onto an open bound, or by one past a closed bound for reals), a value
// that is not a number, a choice it does not have, a malformed length range or list.
std::vector<std::string> bad_values(const core::ConfigField& f) {
  using T = core::FieldType;
  std::vector<std::string> values;
  switch (f.type) {
    case T::Integer:
    case T::Real:
      if (std::isfinite(f.min)) values.push_back(number(f.min_open ? f.min : f.min - 1));
      if (std::isfinite(f.max)) values.push_back(number(f.max_open ? f.max : f.max + 1));
      values.push_back("x");
      break;
    case T::Seed: values = {"-1", "x"}; break;
    case T::Choice: values = {"no-such-" + f.name}; break;
    case T::Text: values = {"no-such-task"}; break;
    case T::LengthRange: values = {"9..3", "0", "x"}; break;
    case T::LengthList: values = {"0", "8,x"}; break;
  }
  return values;
}

TEST_F(CliContract, EveryFieldOutOfRangeWrongChoiceOrNotANumber) {
  std::vector<Case> cases;
  for (const auto& field : core::config_fields()) {
    for (const auto& value : bad_values(field)) {
      Case c;
      c.args = train_with({{"--" + field.option_name(), value}});
      c.needle = field.type == core::FieldType::Text ? value : field.name;
      // Half the cases into a new directory (which must not appear), half with --force over a
      // finished run (which must stay as it was).
      if (cases.size() % 2 == 0) {
        c.watched = *dir_ / ("new" + std::to_string(cases.size()));
        c.absent = true;
        c.args.insert(c.args.end(), {"--out", c.watched});
      } else {
        c.watched = copy_of_run("forced" + std::to_string(cases.size()));
        c.args.insert(c.args.end(), {"--force", "--out", c.watched});
      }
      cases.push_back(c);
    }
  }
  ASSERT_GE(cases.size(), 2 * core::config_fields().size() - 10);  // every field, mostly two values or more
  expect_contract(cases);
}

TEST_F(CliContract, TrainOptionsAndRulesBetweenFields) {
  const std::string garbage = *dir_ / "garbage.json";
  std::ofstream(garbage) << "{not json";
  std::vector<Case> cases;
  auto add = [&](std::vector<std::pair<std::string, std::string>> changes, const std::string& needle) {
    Case c;
    c.watched = *dir_ / ("train" + std::to_string(cases.size()));
    c.absent = true;
    changes.emplace_back("--out", c.watched);
    c.args = train_with(changes);
    c.needle = needle;
    cases.push_back(c);
  };
  add({{"--threads", "0"}}, "--threads");
  add({{"--threads", "-2"}}, "--threads");
  add({{"--threads", "x"}}, "--threads");
  add({{"--progress", "sometimes"}}, "--progress");
  add({{"--resume", ""}, {"--force", ""}}, "--resume and --force");
  add({{"--bogus", "1"}}, "bogus");
  add({{"--layers", "2.5"}}, "layers");  // not an integer
  add({{"--lr", "nan"}}, "lr");
  add({{"--lr", "inf"}}, "lr");
  add({{"--seed", "99999999999999999999"}}, "seed");
  add({{"--arch", "rwkv7"}, {"--head-size", "12"}}, "head_size 12");  // dim 16 is not a multiple of 12
  add({{"--arch", "transformer"}, {"--dim", "15"}, {"--head-size", "3"}}, "rope");
  add({{"--train-size", "2"}}, "train_size");  // fewer sequences than a batch
  // Learned positions: 8 cannot hold BOS and the 8 symbols of the eval length.
  add({{"--arch", "transformer"}, {"--head-size", "8"}, {"--pos-encoding", "learned"}, {"--max-len", "8"}}, "max_len");
  // The accept objective needs positive and negative strings of every length it draws.
  add({{"--task", "regex:(ab)*"}, {"--objective", "accept"}, {"--train-len", "3"}}, "length 3");
  add({{"--task", "regex:(ab)*"}, {"--objective", "accept"}, {"--train-len", "2..4"}, {"--eval-lengths", "5"}},
      "length 5");
  add({{"--variant", "rwkv7"}}, "contradicts");  // the good line says --arch lstm
  add({{"--config", *dir_ / "missing.json"}}, "missing.json");
  add({{"--config", garbage}}, "not valid JSON");
  add({{"extra-argument", ""}}, "positional");
  {
    Case c;  // no --out at all
    c.args = train_with({});
    c.needle = "--out";
    cases.push_back(c);
  }
  expect_contract(cases);
}

TEST_F(CliContract, TrainResumeAndExistingDirectories) {
  const std::string finished = copy_of_run("finished");
  std::string truncated_pt = slurp(run_ + "/last.pt");
  truncated_pt.resize(truncated_pt.size() / 2);
  const std::string truncated = copy_of_run("truncated", {{"last.pt", truncated_pt}});
  const std::string garbage = copy_of_run("garbage", {{"last.pt", "this is not a checkpoint"}});
  const std::string empty = *dir_ / "empty";
  fs::create_directories(empty);
  const std::string resume_nothing = *dir_ / "nothing";
  const std::vector<Case> cases = {
      {{"train", "--resume", "--out", truncated, "--progress", "off"}, "last.pt", truncated},
      {{"train", "--resume", "--out", garbage, "--progress", "off"}, "last.pt", garbage},
      {{"train", "--resume", "--out", finished, "--steps", "99"}, "--steps", finished},
      {{"train", "--resume", "--out", finished, "--variant", "rwkv7"}, "--variant rwkv7", finished},
      {{"train", "--resume", "--force", "--out", finished}, "--resume and --force", finished},
      {{"train", "--resume", "--out", empty}, "holds no run", empty},
      {{"train", "--resume", "--out", resume_nothing}, "holds no run", resume_nothing, true},
      {train_with({{"--out", finished}}), "not empty", finished},
  };
  expect_contract(cases);
}

TEST_F(CliContract, EvalOptionsCheckpointsAndTasks) {
  const std::string run = copy_of_run("eval");
  std::string truncated_pt = slurp(run_ + "/best.pt");
  truncated_pt.resize(truncated_pt.size() / 3);
  const std::string truncated = copy_of_run("eval-truncated", {{"best.pt", truncated_pt}});
  const std::string garbage = copy_of_run("eval-garbage", {{"last.pt", "garbage"}});
  const std::string only_garbage = copy_of_run("eval-only-garbage", {{"best.pt", ""}, {"last.pt", "garbage"}});
  const std::string none = copy_of_run("eval-none", {{"best.pt", ""}, {"last.pt", ""}});
  auto eval = [](const std::string& dir, std::vector<std::pair<std::string, std::string>> changes) {
    std::vector<std::pair<std::string, std::string>> good = {
        {"--run", dir}, {"--lengths", "8"}, {"--count", "4"}, {"--threads", "1"}};
    Args args = {"eval"};
    for (const auto& [option, value] : good) {
      bool changed = false;
      for (const auto& [o, v] : changes) changed |= o == option;
      if (!changed) args.insert(args.end(), {option, value});
    }
    for (const auto& [option, value] : changes)
      if (value != "(drop)") args.insert(args.end(), {option, value});
    return args;
  };
  const std::vector<Case> cases = {
      {eval(run, {{"--count", "0"}}), "--count", run},
      {eval(run, {{"--count", "-5"}}), "--count", run},
      {eval(run, {{"--count", "x"}}), "--count", run},
      {eval(run, {{"--lengths", "x"}}), "--lengths", run},
      {eval(run, {{"--lengths", "0"}}), "--lengths", run},
      {eval(run, {{"--lengths", "8,,9"}}), "--lengths", run},
      {eval(run, {{"--lengths", ""}}), "--lengths", run},
      {eval(run, {{"--batch", "0"}}), "--batch", run},
      {eval(run, {{"--threads", "0"}}), "--threads", run},
      {eval(run, {{"--checkpoint", "middle"}}), "--checkpoint", run},
      {eval(run, {{"--seed", "-1"}}), "seed", run},
      {eval(run, {{"--seed", "x"}}), "seed", run},
      {eval(run, {{"--bogus", "1"}}), "bogus", run},
      // Another task's vocabulary or classes than the model was trained for.
      {eval(run, {{"--task", "group:S5"}}), "122 tokens and 120 classes", run},
      {eval(run, {{"--task", "even-pairs"}}), "5 classes", run},
      {eval(run, {{"--task", "no-such-task"}}), "no-such-task", run},
      {eval(run, {{"--run", "(drop)"}}), "--run", run},
      {eval(run, {{"--lengths", "(drop)"}}), "--lengths", run},
      {eval(run, {{"--run", *dir_ / "no-such-run"}}), "not a run directory", *dir_ / "no-such-run", true},
      {eval(truncated, {}), "best.pt", truncated},
      {eval(garbage, {{"--checkpoint", "last"}}), "last.pt", garbage},
      {eval(only_garbage, {}), "last.pt", only_garbage},  // best.pt missing: falls back to last.pt
      {eval(none, {}), "no checkpoint", none},
  };
  expect_contract(cases);
}

TEST_F(CliContract, SweepAndUnknownCommands) {
  const char* source = std::getenv("GOOSE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "GOOSE_SOURCE_DIR not set (run through ctest)";
  const std::string tiny = std::string(source) + "/tests/fixtures/studies/tiny.toml";
  const std::string bad_study = *dir_ / "bad.toml";
  std::ofstream(bad_study) << "[fixed]\ntask = \"parity\"\nlayers = 0\n";
  const std::string run = copy_of_run("sweep-run");
  auto out = [&](const std::string& name) { return *dir_ / ("sweep-" + name); };
  const std::vector<Case> cases = {
      {{"sweep", "run", bad_study, "--out", out("bad")}, "layers", out("bad"), true},
      {{"sweep", "run", tiny, "--size", "huge", "--out", out("size")}, "huge", out("size"), true},
      {{"sweep", "run", tiny, "--jobs", "x", "--out", out("jobs")}, "--jobs", out("jobs"), true},
      {{"sweep", "run", tiny, "--progress", "sometimes", "--out", out("progress")}, "--progress", out("progress"), true},
      {{"sweep", "slurm", tiny, "--cpus-per-task", "0", "--out", out("slurm")}, "--cpus-per-task", out("slurm"), true},
      {{"sweep", "slurm", tiny, "--gpus", "-1", "--out", out("gpus")}, "--gpus", out("gpus"), true},
      {{"sweep", "status", run}, "not a sweep directory", run},
      {{"sweep", "collect", run}, "not a sweep directory", run},
      {{"frobnicate"}, "unknown command 'frobnicate'", ""},
      {{"--bogus"}, "unknown command '--bogus'", ""},
      {{"Train", "--out", out("case")}, "unknown command 'Train'", out("case"), true},
  };
  expect_contract(cases);
}

// ---- schemas ------------------------------------------------------------------------------

std::vector<json> metrics_of(const std::string& dir) {
  std::vector<json> lines;
  std::istringstream in(slurp(dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

TEST_F(CliContract, RunFilesFollowTheirSchema) {
  const json config = json::parse(slurp(run_ + "/config.json"));
  expect_config_json(config, /*threads=*/2);
  EXPECT_EQ(config["task"]["task"], "parity");
  EXPECT_EQ(config["model"]["dim"], 16);
  EXPECT_EQ(config["train"]["eval_lengths"], json({8, 12}));
  const auto lines = metrics_of(run_);
  expect_metrics_lines(lines, config);
  expect_result_json(json::parse(slurp(run_ + "/result.json")), config, lines);
}

TEST_F(CliContract, EvalJsonFollowsItsSchema) {
  const json config = json::parse(slurp(run_ + "/config.json"));
  const json result = json::parse(slurp(run_ + "/result.json"));
  const std::vector<Args> commands = {
      {"eval", "--run", run_, "--lengths", "12,5,30", "--count", "20", "--json", "--seed", "3"},
      {"eval", "--run", run_, "--lengths", "12,5,30", "--count", "20", "--json", "--seed", "3"},
      {"eval", "--run", run_, "--lengths", "7", "--count", "9", "--json", "--checkpoint", "last"}};
  const auto outputs = run_gooselab_all(commands, 2);
  for (const auto& o : outputs) ASSERT_EQ(o.code, 0) << o.err;
  const json best = json::parse(outputs[0].out);
  expect_eval_json(best, config, {12, 5, 30}, 20, result["selected"]["step"], "best.pt");
  EXPECT_EQ(best["seed"], 3);
  EXPECT_EQ(outputs[1].out, outputs[0].out);  // seeded: the same data, the same numbers
  expect_eval_json(json::parse(outputs[2].out), config, {7}, 9, 20, "last.pt");
}

}  // namespace
}  // namespace goose::testing
