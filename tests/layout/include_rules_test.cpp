// DESIGN.md's arrows, checked on the sources: which folder may include which. The build
// enforces the same with per-library include views (CMakeLists.txt, goose_view); this test
// also reads headers the build never compiles alone and forbids "../" includes, which a view
// cannot stop.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Rule {
  std::vector<std::string> allowed;  // repository folders or single headers it may include
  bool torch = true;                 // may include LibTorch (torch/, ATen/, c10/)
};

// folder -> what it may use (DESIGN.md: automata and kernels are leaves; core uses kernels;
// tasks uses automata and core's batch types; theory uses automata, core and tasks;
// experiments uses everything).
const std::map<std::string, Rule>& rules() {
  static const std::map<std::string, Rule> table = {
      {"automata", {{"automata/"}, false}},
      {"kernels", {{"kernels/"}, true}},
      {"core", {{"core/", "kernels/"}, true}},
      {"tasks", {{"tasks/", "automata/", "core/batch.h", "core/seed.h", "core/text.h"}, true}},
      {"theory", {{"theory/", "automata/", "core/", "kernels/", "tasks/"}, true}},
      {"experiments", {{"experiments/", "theory/", "tasks/", "core/", "kernels/", "automata/"}, true}},
  };
  return table;
}

// Files of kernels/ that must stay torch-free (the references, shapes, CUDA code).
bool torch_free_kernel_file(const std::string& name) {
  static const std::regex pattern(R"((_reference\.(h|cpp)|_shape\.h|^impl\.h|_cpu\.h|_cuda\.h|\.cu|\.cuh)$)");
  return std::regex_search(name, pattern);
}

// The violations of one file's text, "line: include".
std::vector<std::string> violations(const std::string& folder, const std::string& file, const std::string& text) {
  static const std::regex include(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  const Rule& rule = rules().at(folder);
  const bool torch_ok = rule.torch && !(folder == "kernels" && torch_free_kernel_file(file));
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::smatch m;
    if (!std::regex_search(line, m, include)) continue;
    const std::string path = m[2];
    const std::string where = file + ":" + std::to_string(number) + ": " + path;
    if (path.find("../") != std::string::npos) {
      out.push_back(where + " (a relative include: root it at the repository)");
      continue;
    }
    const std::string head = path.substr(0, path.find('/'));
    if (head == "torch" || head == "ATen" || head == "c10") {
      if (!torch_ok) out.push_back(where + " (LibTorch is not allowed here)");
      continue;
    }
    if (m[1] != "\"" || !rules().count(head)) continue;  // the standard library, fmt, nlohmann, ...
    bool allowed = false;
    for (const auto& a : rule.allowed) allowed = allowed || (a.back() == '/' ? path.rfind(a, 0) == 0 : path == a);
    if (!allowed) out.push_back(where + " (" + folder + " may not use " + head + ")");
  }
  return out;
}

TEST(IncludeRules, CheckerFlagsForbiddenIncludes) {
  EXPECT_TRUE(violations("core", "x.cpp", "#include \"core/model.h\"\n#include <torch/torch.h>\n").empty());
  EXPECT_EQ(violations("core", "x.cpp", "#include \"tasks/task.h\"\n").size(), 1u);
  EXPECT_EQ(violations("automata", "x.cpp", "#include <torch/torch.h>\n").size(), 1u);
  EXPECT_EQ(violations("tasks", "x.cpp", "#include \"core/model.h\"\n").size(), 1u);
  EXPECT_TRUE(violations("tasks", "x.cpp", "#include \"core/batch.h\"\n").empty());
  EXPECT_EQ(violations("kernels", "wkv7_cuda.cu", "#include <ATen/ATen.h>\n").size(), 1u);
  EXPECT_TRUE(violations("kernels", "wkv7.cpp", "#include <torch/torch.h>\n").empty());
  EXPECT_EQ(violations("experiments", "x.cpp", "#include \"../core/model.h\"\n").size(), 1u);
}

TEST(IncludeRules, EveryFolderRespectsTheArrows) {
  const char* source = std::getenv("GOOSE_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "GOOSE_SOURCE_DIR not set (run through ctest)";
  std::vector<std::string> all;
  int files = 0;
  for (const auto& [folder, rule] : rules()) {
    const fs::path dir = fs::path(source) / folder;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      ++files;
      for (auto& v : violations(folder, entry.path().filename().string(), text.str())) all.push_back(folder + "/" + v);
    }
  }
  EXPECT_GT(files, 50);
  for (const auto& v : all) ADD_FAILURE() << v;
}

}  // namespace
