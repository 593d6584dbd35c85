// `gooselab train` SIGKILLed at every write of a run (the GOOSE_FAULT crash points of
// core/fault.h: before each rename, after a checkpoint, between a metrics line and its
// checkpoint, inside a metrics line, after result.json), for RWKV-7 (rwkv7-a2, CPU kernel) and the
// LSTM, then resumed: the run must end bit-identical to an uninterrupted one.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/checkpoint.h"
#include "core/files.h"
#include "experiments/run.h"
#include "tests/support/cli.h"

namespace goose::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct ModelCase {
  std::string name;
  std::vector<std::string> args;
};
void PrintTo(const ModelCase& model, std::ostream* out) { *out << model.name; }

// 24 steps, an evaluation and a checkpoint every 8: checkpoints at steps 0, 8, 16 and 24.
std::vector<std::string> train_args(const ModelCase& model, const std::string& out) {
  std::vector<std::string> args = {"train", "--task", "parity", "--train-len", "2..6", "--eval-lengths", "8",
                                   "--dim", "16", "--steps", "24", "--batch-size", "8", "--warmup", "2",
                                   "--lr", "3e-3", "--eval-every", "8", "--eval-count", "16",
                                   "--final-eval-count", "16", "--eval-batch", "16", "--seed", "5",
                                   "--threads", "1", "--progress", "off", "--out", out};
  args.insert(args.end(), model.args.begin(), model.args.end());
  return args;
}

json without(json j, const std::vector<std::string>& keys) {
  for (const auto& key : keys) j.erase(key);
  return j;
}

std::vector<json> metrics_lines(const std::string& dir) {
  std::vector<json> lines;
  std::istringstream in(slurp(dir + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);)
    lines.push_back(without(json::parse(line), {"wall_seconds", "tokens_per_second"}));
  return lines;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string archive_difference(torch::serialize::InputArchive& a, torch::serialize::InputArchive& b,
                               const std::string& where);

int64_t read_size(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor size;
  archive.read(key, size);
  return size.item<int64_t>();
}

// LibTorch's optimizer archive names each parameter's state by the address of its tensor in the
// process that saved it: compare the state of the i-th parameter of group g in both, and the
// groups' options.
std::string optimizer_difference(torch::serialize::InputArchive& a, torch::serialize::InputArchive& b,
                                 const std::string& where) {
  torch::serialize::InputArchive groups_a, groups_b, state_a, state_b;
  a.read("param_groups", groups_a);
  b.read("param_groups", groups_b);
  a.read("state", state_a);
  b.read("state", state_b);
  if (state_a.keys().size() != state_b.keys().size()) return where + "/state: different sizes";
  const int64_t groups = read_size(groups_a, "param_groups/size");
  if (groups != read_size(groups_b, "param_groups/size")) return where + ": different numbers of groups";
  for (int64_t g = 0; g < groups; ++g) {
    const std::string group = "param_groups/" + std::to_string(g);
    torch::serialize::InputArchive ga, gb, options_a, options_b;
    groups_a.read(group, ga);
    groups_b.read(group, gb);
    ga.read("options", options_a);
    gb.read("options", options_b);
    std::string diff = archive_difference(options_a, options_b, where + "/" + group + "/options");
    if (!diff.empty()) return diff;
    const int64_t params = read_size(ga, "params/size");
    if (params != read_size(gb, "params/size")) return where + "/" + group + ": different numbers of parameters";
    for (int64_t i = 0; i < params; ++i) {
      c10::IValue key_a, key_b;
      ga.read("params/" + std::to_string(i), key_a);
      gb.read("params/" + std::to_string(i), key_b);
      torch::serialize::InputArchive pa, pb;
      const bool has_a = state_a.try_read(key_a.toStringRef(), pa), has_b = state_b.try_read(key_b.toStringRef(), pb);
      if (has_a != has_b) return where + "/" + group + "/" + std::to_string(i) + ": state in one archive only";
      if (has_a && !(diff = archive_difference(pa, pb, where + "/" + group + "/" + std::to_string(i))).empty())
        return diff;
    }
  }
  return "";
}

// The first difference between two LibTorch archives (every tensor, nested archive and value,
// recursively), skipping the timing fields; "" when equal.
std::string archive_difference(torch::serialize::InputArchive& a, torch::serialize::InputArchive& b,
                               const std::string& where) {
  auto keys_a = a.keys(), keys_b = b.keys();
  std::sort(keys_a.begin(), keys_a.end());
  std::sort(keys_b.begin(), keys_b.end());
  if (keys_a != keys_b) return where + ": different keys";
  for (const auto& key : keys_a) {
    if (key == "wall_seconds" || key == "train_seconds") continue;
    const std::string at = where + "/" + key;
    torch::Tensor ta, tb;
    if (a.try_read(key, ta)) {
      if (!b.try_read(key, tb)) return at + ": a tensor in one archive only";
      if (ta.scalar_type() != tb.scalar_type() || !ta.sizes().equals(tb.sizes()) || !torch::equal(ta, tb))
        return at + ": tensors differ";
      continue;
    }
    torch::serialize::InputArchive sa, sb;
    if (a.try_read(key, sa)) {
      if (!b.try_read(key, sb)) return at + ": an archive in one file only";
      const std::string inner = key == "optimizer" ? optimizer_difference(sa, sb, at) : archive_difference(sa, sb, at);
      if (!inner.empty()) return inner;
      continue;
    }
    c10::IValue va, vb;
    if (!a.try_read(key, va) || !b.try_read(key, vb)) return at + ": unreadable";
    std::ostringstream text_a, text_b;
    text_a << va;
    text_b << vb;
    if (text_a.str() != text_b.str()) return at + ": " + text_a.str() + " != " + text_b.str();
  }
  return "";
}

// The checkpoint loads into the run's real model class (the file is complete and fits the model).
void expect_loadable(const std::string& dir, const std::string& file) {
  const auto stored = experiments::read_run_config(dir);
  auto run = experiments::prepare_run(stored.config);
  EXPECT_NO_THROW(core::load_checkpoint(dir + "/" + file, *run.model, nullptr)) << file;
}

// Everything a run leaves, compared with the uninterrupted run but for what measures time.
void expect_same_run(const std::string& want, const std::string& got) {
  EXPECT_EQ(entries(got), entries(want));  // no temporaries, nothing missing
  json config_want = core::read_json(want + "/config.json"), config_got = core::read_json(got + "/config.json");
  config_want["session"].erase("started");
  config_got["session"].erase("started");
  EXPECT_EQ(config_got, config_want);
  EXPECT_EQ(without(core::read_json(got + "/result.json"), {"wall_seconds", "tokens_per_second"}),
            without(core::read_json(want + "/result.json"), {"wall_seconds", "tokens_per_second"}));
  EXPECT_EQ(metrics_lines(got), metrics_lines(want));
  for (const char* file : {"last.pt", "best.pt"}) {
    torch::serialize::InputArchive a, b;
    a.load_from(want + "/" + file);
    b.load_from(got + "/" + file);
    EXPECT_EQ(archive_difference(a, b, file), "");  // model, optimizer, loop state, RNG
  }
}

// What a kill may leave: whole files only (config.json and result.json parse, last.pt loads),
// result.json only once written, and metrics lines whole but for a torn last one.
void expect_consistent_after_kill(const std::string& dir, const std::string& point) {
  if (fs::exists(dir + "/config.json")) EXPECT_NO_THROW(core::read_json(dir + "/config.json"));
  EXPECT_EQ(fs::exists(dir + "/result.json"), point == "result-written");
  if (fs::exists(dir + "/last.pt")) expect_loadable(dir, "last.pt");
  if (fs::exists(dir + "/best.pt")) expect_loadable(dir, "best.pt");
  if (!fs::exists(dir + "/metrics.jsonl")) return;
  const std::string text = slurp(dir + "/metrics.jsonl");
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_TRUE(json::accept(lines[i])) << lines[i];
  if (point == "metrics-half-line") {  // the fault must have torn the line it names
    ASSERT_FALSE(lines.empty());
    EXPECT_FALSE(json::accept(lines.back()));
    EXPECT_NE(text.back(), '\n');
  } else if (!lines.empty()) {
    EXPECT_TRUE(json::accept(lines.back()));
  }
}

struct Fault {
  std::string point;
  int64_t hit;
  std::string spec() const { return point + "@" + std::to_string(hit); }
};

// Kills the run at `fault`, optionally kills its first resume at `resume_fault`, resumes it to
// the end and compares it with the uninterrupted run in `want`.
void kill_and_resume(const ModelCase& model, const std::string& want, const std::string& out, const Fault& fault,
                     const std::string& resume_fault = "") {
  SCOPED_TRACE(model.name + ", GOOSE_FAULT=" + fault.spec() +
               (resume_fault.empty() ? "" : ", then the resume at " + resume_fault));
  const ChildOutput killed = run_gooselab_args(train_args(model, out), {"GOOSE_FAULT=" + fault.spec()});
  ASSERT_EQ(killed.signal, SIGKILL) << "exit " << killed.code << ": " << killed.err;
  expect_consistent_after_kill(out, fault.point);
  // The user's command: `train --resume --out D`. Killed before config.json was in place, the
  // directory holds no run yet, so the resume must be given the run's options.
  std::vector<std::string> resume = {"train", "--resume", "--out", out, "--progress", "off"};
  if (!fs::exists(out + "/config.json")) {
    resume = train_args(model, out);
    resume.push_back("--resume");
  }
  if (!resume_fault.empty()) {
    const ChildOutput again = run_gooselab_args(resume, {"GOOSE_FAULT=" + resume_fault});
    ASSERT_EQ(again.signal, SIGKILL) << "exit " << again.code << ": " << again.err;
  }
  const ChildOutput resumed = run_gooselab_args(resume);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expect_same_run(want, out);
}

class KilledAtEveryWrite : public ::testing::TestWithParam<ModelCase> {};

TEST_P(KilledAtEveryWrite, ResumesToTheUninterruptedResult) {
  const ModelCase& model = GetParam();
  TempDir dir("faults_" + model.name);
  const std::string want = dir / "whole";
  const ChildOutput whole = run_gooselab_args(train_args(model, want));
  ASSERT_EQ(whole.code, 0) << whole.err;

  // The writes of the uninterrupted run: config.json; last.pt at step 0; per evaluation a metrics
  // line, last.pt, and best.pt when validation is at least the best so far; result.json.
  const auto lines = metrics_lines(want);
  ASSERT_EQ(lines.size(), 3u);
  int64_t best_saves = 0;
  double best = -1;
  for (const auto& line : lines) {
    const double val = line["validation"]["seq_acc"].get<double>();
    if (val >= best) {  // ties go to the later checkpoint, which is saved again
      best = val;
      ++best_saves;
    }
  }
  const int64_t evaluations = int64_t(lines.size());
  const int64_t checkpoints = 1 + evaluations + best_saves;
  const int64_t renames = 1 + checkpoints + 1;

  std::vector<Fault> faults;
  for (int64_t k = 1; k <= renames; ++k) faults.push_back({"before-rename", k});
  for (const int64_t k : {int64_t(1), (checkpoints + 1) / 2, checkpoints}) faults.push_back({"checkpoint-written", k});
  for (const int64_t k : {int64_t(1), evaluations}) {
    faults.push_back({"metrics-line-written", k});  // between the line and its checkpoint
    faults.push_back({"metrics-half-line", k});
  }
  faults.push_back({"result-written", 1});
  std::vector<std::function<void()>> jobs;
  for (size_t i = 0; i < faults.size(); ++i)
    jobs.push_back([&, i] {
      const std::string out = dir / ("killed" + std::to_string(i));
      kill_and_resume(model, want, out, faults[i]);
      fs::remove_all(out);
    });
  // A kill of the resume itself, at its first write (the rewrite of metrics.jsonl to the checkpoint).
  jobs.push_back([&] { kill_and_resume(model, want, dir / "twice", {"metrics-line-written", 2}, "before-rename@1"); });
  // One arrival more than counted never fires: the kills above met every rename of the run.
  jobs.push_back([&] {
    const std::string beyond = dir / "beyond";
    const ChildOutput unharmed =
        run_gooselab_args(train_args(model, beyond), {"GOOSE_FAULT=before-rename@" + std::to_string(renames + 1)});
    ASSERT_EQ(unharmed.code, 0) << unharmed.err;
    expect_same_run(want, beyond);
  });
  // Two at a time (independent directories): the table's wall time on CI's two cores. An
  // exception (a torn file that does not parse) fails the test instead of ending the program.
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w)
    workers.emplace_back([&] {
      for (size_t i = next++; i < jobs.size(); i = next++) {
        try {
          jobs[i]();
        } catch (const std::exception& e) {
          ADD_FAILURE() << "job " << i << ": " << e.what();
        }
      }
    });
  for (auto& worker : workers) worker.join();
}

INSTANTIATE_TEST_SUITE_P(Models, KilledAtEveryWrite,
                         ::testing::Values(ModelCase{"rwkv7a2", {"--variant", "rwkv7-a2", "--kernel", "cpu",
                                                                 "--layers", "2", "--head-size", "8"}},
                                           ModelCase{"lstm", {"--variant", "lstm", "--layers", "1"}}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace goose::testing
