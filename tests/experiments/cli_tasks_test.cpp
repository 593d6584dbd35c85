// The real `gooselab tasks` binary (GOOSELAB_BIN, set by ctest): output, exit codes, JSON
// keys, determinism of sampling, and one "error:" line with exit 2 and an empty stdout for
// every kind of bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class CliTasks : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("GOOSELAB_BIN");
    if (!bin || !*bin) GTEST_SKIP() << "GOOSELAB_BIN is not set (run through ctest)";
    bin_ = bin;
    err_path_ = ::testing::TempDir() + "cli_tasks_stderr_" + std::to_string(getpid());
  }
  void TearDown() override { std::remove(err_path_.c_str()); }

  Result run(const std::vector<std::string>& args) {
    std::string cmd = quote(bin_);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " 2>" + quote(err_path_);
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_all(err_path_);
    return r;
  }

  // Exit 2, nothing on stdout, exactly one "error: " line on stderr containing `what`.
  void expect_error(const std::vector<std::string>& args, const std::string& what) {
    const Result r = run(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined;
    EXPECT_EQ(r.out, "") << joined;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << joined << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << ": " << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << joined << ": " << r.err;
  }

  std::string bin_;
  std::string err_path_;
};

TEST_F(CliTasks, List) {
  const Result r = run({"tasks", "list"});
  EXPECT_EQ(r.code, 0);
  for (const char* spec : {"parity", "even-pairs", "cycle-nav", "mod-arith", "tomita:1", "tomita:7",
                           "group:S5", "group:A5", "group:A4xZ5", "group:Z60", "regex:EXPR", "dfa:PATH"})
    EXPECT_NE(r.out.find(spec), std::string::npos) << spec;
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTasks, Help) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"tasks", "--help"}, {"tasks", "dfa", "-h"}}) {
    const Result r = run(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("usage: gooselab tasks"), std::string::npos) << r.out;
  }
  const Result sample = run({"tasks", "sample", "--help"});
  EXPECT_NE(sample.out.find("example:"), std::string::npos);
  EXPECT_NE(sample.out.find("(=16)"), std::string::npos);  // defaults are shown
}

TEST_F(CliTasks, ShowJson) {
  struct Case {
    std::string spec, cls;
    bool commutative;
    int order;
  };
  for (const Case& c : {Case{"group:A5", "non-solvable", false, 60}, Case{"group:A4xZ5", "solvable", false, 60}}) {
    const Result r = run({"tasks", "show", c.spec, "--json"});
    ASSERT_EQ(r.code, 0) << c.spec << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    for (const char* key : {"states", "alphabet_size", "monoid_size", "class", "commutative"})
      EXPECT_TRUE(j.contains(key)) << c.spec << " " << key;
    EXPECT_EQ(j["class"], c.cls) << c.spec;
    EXPECT_EQ(j["commutative"], c.commutative) << c.spec;
    if (c.order) {
      EXPECT_EQ(j["order"], c.order);
      EXPECT_EQ(j["monoid_size"], c.order);
    } else {
      EXPECT_FALSE(j.contains("order"));
    }
  }
  const nlohmann::json z60 = nlohmann::json::parse(run({"tasks", "show", "group:Z60", "--json"}).out);
  EXPECT_EQ(z60["commutative"], true);
  EXPECT_EQ(z60["order"], 60);
  const nlohmann::json parity = nlohmann::json::parse(run({"tasks", "show", "parity", "--json"}).out);
  EXPECT_EQ(parity["states"], 2);
  EXPECT_EQ(parity["class"], "solvable");
  EXPECT_EQ(parity["commutative"], true);
  EXPECT_EQ(parity["alphabet_size"], 2);
  EXPECT_EQ(parity["monoid_size"], 2);
}

TEST_F(CliTasks, ShowText) {
  const Result r = run({"tasks", "show", "tomita:5"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("states       4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("solvable"), std::string::npos);
  EXPECT_NE(r.out.find("accepted"), std::string::npos);
}

TEST_F(CliTasks, SampleIsDeterministic) {
  const std::vector<std::string> args = {"tasks", "sample", "tomita:3", "--length", "12", "--count", "6",
                                         "--seed", "7", "--objective", "accept-final", "--format", "jsonl"};
  const Result a = run(args);
  const Result b = run(args);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  std::istringstream lines(a.out);
  std::string line;
  int count = 0, positives = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j["symbols"].size(), 12u);
    EXPECT_EQ(j["tokens"].size(), 13u);
    EXPECT_EQ(j["tokens"][0], 1);
    EXPECT_EQ(j["targets"][0], -100);
    positives += j["kind"] == "positive";
    ++count;
  }
  EXPECT_EQ(count, 6);
  EXPECT_EQ(positives, 3);
  std::vector<std::string> other = args;
  other[8] = "8";
  EXPECT_NE(run(other).out, a.out);
  const Result text = run({"tasks", "sample", "group:S5@transpositions", "--length", "4", "--count", "2"});
  EXPECT_EQ(text.code, 0);
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 3);  // header + 2 samples
}

TEST_F(CliTasks, Dfa) {
  const Result json = run({"tasks", "dfa", "tomita:2"});
  ASSERT_EQ(json.code, 0) << json.err;
  const nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["states"], 3);
  const Result dot = run({"tasks", "dfa", "tomita:2", "--format", "dot"});
  EXPECT_EQ(dot.code, 0);
  EXPECT_NE(dot.out.find("digraph"), std::string::npos);
  // The JSON reads back as a dfa: task with the same language.
  const std::string path = ::testing::TempDir() + "cli_tasks_tomita2_" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << json.out;
  const Result back = run({"tasks", "show", "dfa:" + path, "--json"});
  std::remove(path.c_str());
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(nlohmann::json::parse(back.out)["states"], 3);
}

// One invocation per kind of bad input (each start of the binary costs LibTorch's load time).
TEST_F(CliTasks, BadInput) {
  expect_error({"tasks", "show", "nonsense"}, "unknown task 'nonsense' (try: gooselab tasks list)");
  expect_error({"tasks", "show", "regex:(ab"}, "regex");
  expect_error({"tasks", "show", "group:Q8"}, "Q8");
  expect_error({"tasks", "show", "group:(1,2,2)"}, "");
  expect_error({"tasks", "show", "dfa:/nonexistent/x.json"}, "/nonexistent/x.json");  // bad DFA file
  expect_error({"tasks", "sample", "parity", "--length", "0"}, "--length");
  expect_error({"tasks", "sample", "parity", "--objective", "final"}, "objective");
  expect_error({"tasks", "sample", "regex:(ab)*", "--length", "3", "--objective", "accept"},
               "has no positive string of length 3");
  expect_error({"tasks", "sample", "parity", "--bogus"}, "bogus");
  expect_error({"tasks", "show"}, "missing SPEC");
  // A 7-state DFA whose transition monoid is the full transformation monoid (7^7 elements).
  const std::string big = ::testing::TempDir() + "cli_tasks_big_" + std::to_string(getpid()) + ".json";
  std::ofstream(big) << R"({"alphabet":["c","s","m"],"states":7,"start":0,"accepting":[0],)"
                     << R"("transitions":[[1,1,1],[2,0,1],[3,2,2],[4,3,3],[5,4,4],[6,5,5],[0,6,6]]})";
  expect_error({"tasks", "show", "dfa:" + big}, "monoid");
  std::remove(big.c_str());
}

}  // namespace
