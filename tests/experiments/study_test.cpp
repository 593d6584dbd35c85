// Study files, plans and run identity: every parser error names the file, the line and the
// field; a plan has the grid's size and the search's waves; equal configurations share a
// run id and any field changed gives another.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/config.h"
#include "core/variants.h"
#include "experiments/study.h"

namespace goose::experiments {
namespace {

namespace fs = std::filesystem;

class StudyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("goose_study_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text) {
    const std::string path = (dir_ / ("study" + std::to_string(count_++) + ".toml")).string();
    std::ofstream(path) << text;
    return path;
  }
  // The error message of load_study + make_plan, or "" when there is none.
  std::string error_of(const std::string& text) {
    try {
      make_plan(load_study(write(text)), "");
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
  int count_ = 0;
};

const char* kGood = R"(
name = "good"
seeds = [1, 2, 3]
[fixed]
task = "parity"
dim = 16
head_size = 8
[axes]
variant = ["rwkv7", "lstm"]
layers = [1, 2]
train_len = ["3..8", 16]
)";

TEST_F(StudyFile, GridSizeIsTheProductOfAxesAndSeeds) {
  const Plan plan = make_plan(load_study(write(kGood)), "");
  EXPECT_EQ(plan.runs.size(), 2u * 2u * 2u * 3u);
  EXPECT_EQ(plan.waves, 1);
  EXPECT_EQ(plan.axes, (std::vector<std::string>{"variant", "layers", "train_len"}));  // file order
  std::set<std::string> ids, cells;
  for (const auto& run : plan.runs) {
    ids.insert(run.run_id);
    cells.insert(run.cell.dump());
    EXPECT_EQ(run.config.model.dim, 16);
    EXPECT_EQ(run.config.task.task, "parity");
  }
  EXPECT_EQ(ids.size(), plan.runs.size());
  EXPECT_EQ(cells.size(), 8u);
  // The axis values land in the configuration: "16" became a one-length range.
  bool seen_16 = false;
  for (const auto& run : plan.runs)
    if (run.cell["train_len"] == "16") {
      seen_16 = true;
      EXPECT_EQ(run.config.train.train_min_len, 16);
      EXPECT_EQ(run.config.train.train_max_len, 16);
    }
  EXPECT_TRUE(seen_16);
}

TEST_F(StudyFile, SizesOverrideFixedAxesSeedsAndSearch) {
  const std::string path = write(R"(
seeds = [1, 2, 3]
[fixed]
task = "parity"
steps = 100
[axes]
variant = ["lstm"]
[search]
axis = "layers"
values = [1, 2, 3, 4]
[sizes.quick]
seeds = [7]
fixed = { steps = 10 }
search = { values = [1, 2] }
[sizes.paper]
axes = { variant = ["lstm", "transformer"] }
)");
  const Study study = load_study(path);
  EXPECT_EQ(study.size_names, (std::vector<std::string>{"quick", "paper"}));  // file order
  const Plan quick = make_plan(study, "");  // the first size
  EXPECT_EQ(quick.size, "quick");
  EXPECT_EQ(quick.waves, 2);
  EXPECT_EQ(quick.runs.size(), 2u);
  EXPECT_EQ(quick.runs[0].config.train.steps, 10);
  EXPECT_EQ(quick.runs[0].seed, 7u);
  EXPECT_EQ(quick.runs[1].config.model.layers, 2);
  EXPECT_EQ(quick.runs[1].wave, 1);
  const Plan paper = make_plan(study, "paper");
  EXPECT_EQ(paper.waves, 4);
  EXPECT_EQ(paper.runs.size(), 2u * 4u * 3u);
  EXPECT_EQ(paper.runs[0].config.train.steps, 100);
  try {
    make_plan(study, "huge");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no size 'huge' (sizes: quick, paper)"), std::string::npos) << e.what();
  }
}

TEST_F(StudyFile, RangesExpand) {
  const Plan plan = make_plan(load_study(write(R"(
[fixed]
task = "parity"
[axes]
layers = { from = 2, to = 8, step = 3 }
)")), "");
  ASSERT_EQ(plan.runs.size(), 3u);
  EXPECT_EQ(plan.runs[2].config.model.layers, 8);
}

TEST_F(StudyFile, ErrorsNameFileLineAndField) {
  struct Case {
    std::string text, needle;
    int line;
  };
  const Case cases[] = {
      {"[fixed]\ntask = \"parity\"\nbogus = 3\n", "unknown field 'bogus'", 3},
      {"[fixed]\ntask = \"parity\"\nlayres = 3\n", "did you mean 'layers'", 3},
      {"[fixed]\ntask = \"parity\"\nlayers = \"two\"\n", "layers: expected an integer", 3},
      {"[fixed]\ntask = \"parity\"\nlr = -1.0\n", "lr: got -1", 3},
      {"[fixed]\ntask = \"parity\"\n[axes]\nlayers = []\n", "empty axis", 4},
      {"[fixed]\ntask = \"no-such-task\"\n", "unknown task 'no-such-task'", 0},
      {"[fixed]\ntask = \"parity\"\n[axes]\nvariant = [\"rwkv7\", \"rwkv9\"]\n", "unknown variant 'rwkv9'", 4},
      {"[fixed]\ntask = \"parity\"\n[search]\naxis = \"pos_encoding\"\nvalues = [\"rope\"]\n", "not an integer field", 4},
      {"[fixed]\ntask = \"parity\"\n[search]\naxis = \"lr\"\nvalues = [1]\n", "a search needs a numeric axis", 4},
      {"[fixed]\ntask = \"parity\"\nseed = 3\n", "use the study's 'seeds' list", 3},
      {"seeds = []\n[fixed]\ntask = \"parity\"\n", "non-empty list of seeds", 1},
      {"[fixed]\ntask = \"parity\"\n[success]\nmetric = \"f1\"\n", "success.metric", 4},
      {"[fixed]\ntask = \"parity\"\n[axes]\nlayers = [1]\n[fixed2]\n", "unknown key", 5},
      {"[fixed]\ntask = \"parity\"\nlayers = [1\n", "syntax", 3},
      {"[fixed]\ntask = \"parity\"\nlayers = 1\n[axes]\nlayers = [1, 2]\n", "also set in [fixed]", 5},
      {"[fixed]\ntask = \"parity\"\ndim = 10\nhead_size = 4\n", "dim: 10 is not a multiple of head_size 4", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string message = error_of(c.text);
    ASSERT_FALSE(message.empty());
    EXPECT_NE(message.find(c.needle), std::string::npos) << message;
    EXPECT_NE(message.find(dir_.string()), std::string::npos) << message;  // the file
    if (c.line > 0) EXPECT_NE(message.find(".toml:" + std::to_string(c.line) + ":"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }
  try {
    load_study((dir_ / "missing.toml").string());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
  }
}

TEST_F(StudyFile, PlanRoundTripsThroughJson) {
  const Plan plan = make_plan(load_study(write(kGood)), "");
  const Plan back = plan_from_json(plan_to_json(plan), "test");
  ASSERT_EQ(back.runs.size(), plan.runs.size());
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    EXPECT_EQ(back.runs[i].run_id, plan.runs[i].run_id);
    EXPECT_EQ(core::run_id(back.runs[i].config), plan.runs[i].run_id);
    EXPECT_EQ(back.runs[i].cell, plan.runs[i].cell);
  }
}

TEST(RunIdentity, SameConfigurationSameIdAnyFieldChangedAnother) {
  core::RunConfig base;
  base.task.task = "parity";
  const std::string id = core::run_id(base);
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(core::run_id(core::RunConfig(base)), id);
  // Through JSON and back (a config.json, a sweep plan): the same id.
  EXPECT_EQ(core::run_id(core::run_config_from_json(core::to_json(base), "test")), id);
  // Every identity field changed alone changes the id; the session-only ones do not.
  for (const auto& field : core::config_fields()) {
    core::RunConfig changed = base;
    nlohmann::json value = field.get(base);
    switch (field.type) {
      case core::FieldType::Integer: value = value.get<int64_t>() + 1; break;
      case core::FieldType::Seed: value = value.get<uint64_t>() + 1; break;
      case core::FieldType::Real: value = field.max_open || field.max <= 1 ? value.get<double>() / 2 + 1e-3 : value.get<double>() + 0.5; break;
      case core::FieldType::Text: value = value.get<std::string>() + "x"; break;
      case core::FieldType::Choice: value = field.choices[0] == value ? field.choices[1] : field.choices[0]; break;
      case core::FieldType::LengthRange: value = "5..9"; break;
      case core::FieldType::LengthList: value = nlohmann::json::array({77}); break;
    }
    field.set(changed, core::check_field_value(field, value));
    if (field.identity) EXPECT_NE(core::run_id(changed), id) << field.name;
    else EXPECT_EQ(core::run_id(changed), id) << field.name;
  }
}

TEST(Variants, EachIsDefinedOnceAndRecognised) {
  std::set<std::string> names;
  for (const auto& variant : core::model_variants()) {
    EXPECT_TRUE(names.insert(variant.name).second) << variant.name;
    core::RunConfig config;
    core::apply_variant(config, variant.name);
    EXPECT_EQ(core::variant_of(config.model), variant.name);
  }
  // The ablation rows differ from the released model in exactly one knob each.
  auto knobs = [](const std::string& name) {
    core::RunConfig c;
    core::apply_variant(c, name);
    return std::make_pair(c.model.rwkv_rate, c.model.rwkv_decay);
  };
  EXPECT_EQ(knobs("rwkv7"), std::make_pair(std::string("released"), std::string("clamped")));
  EXPECT_EQ(knobs("rwkv7-a2"), std::make_pair(std::string("relaxed"), std::string("clamped")));
  EXPECT_EQ(knobs("rwkv7-a2-stable"), std::make_pair(std::string("stable"), std::string("clamped")));
  EXPECT_EQ(knobs("rwkv7-unclamped"), std::make_pair(std::string("released"), std::string("unclamped")));
}

}  // namespace
}  // namespace goose::experiments
