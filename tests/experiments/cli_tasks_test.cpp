// The real `gooselab tasks` binary (GOOSELAB_BIN, set by ctest; a missing binary fails, it
// does not skip): the command line's contract for list|show|sample|dfa. Every bad input gives
// exactly one "error:" line naming the problem, exit code 2, an empty stdout and no file
// written (each run starts in an empty directory); every JSON output's schema (keys, types,
// ranges); determinism; readable text at scale; the README's table is `list --markdown`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
  std::vector<std::string> files_left;  // anything the command wrote in its working directory
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
    ASSERT_TRUE(bin && *bin) << "GOOSELAB_BIN is not set: run through ctest, or set it to build/experiments/gooselab";
    ASSERT_TRUE(fs::is_regular_file(bin)) << "GOOSELAB_BIN=" << bin << " is not a file (build the gooselab target)";
    bin_ = bin;
    scratch_ = fs::path(::testing::TempDir()) / ("cli_tasks_" + std::to_string(getpid()));
    fs::create_directories(scratch_);
  }
  void TearDown() override { fs::remove_all(scratch_); }

  // Runs the binary in a fresh, empty working directory and reports what it left there.
  // Thread-safe: run_all() starts several at once (each start loads LibTorch, ~0.5 s).
  Result run(const std::vector<std::string>& args) {
    const int id = runs_++;
    const fs::path cwd = scratch_ / ("run" + std::to_string(id));
    fs::create_directories(cwd);
    const std::string err_path = (scratch_ / ("stderr" + std::to_string(id))).string();
    std::string cmd = "cd " + quote(cwd.string()) + " && " + quote(bin_);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " 2>" + quote(err_path);
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_all(err_path);
    fs::remove(err_path);
    for (const auto& entry : fs::directory_iterator(cwd)) r.files_left.push_back(entry.path().filename().string());
    fs::remove_all(cwd);
    return r;
  }

  // A file in the scratch directory (outside the commands' working directories).
  std::string scratch_file(const std::string& name, const std::string& content) {
    const std::string path = (scratch_ / name).string();
    std::ofstream(path) << content;
    return path;
  }

  std::vector<Result> run_all(const std::vector<std::vector<std::string>>& commands) {
    std::vector<Result> results(commands.size());
    constexpr size_t kAtOnce = 4;
    for (size_t begin = 0; begin < commands.size(); begin += kAtOnce) {
      std::vector<std::future<Result>> batch;
      for (size_t i = begin; i < std::min(commands.size(), begin + kAtOnce); ++i)
        batch.push_back(std::async(std::launch::async, [this, &commands, i] { return run(commands[i]); }));
      for (size_t i = 0; i < batch.size(); ++i) results[begin + i] = batch[i].get();
    }
    return results;
  }

  std::string bin_;
  fs::path scratch_;
  std::atomic<int> runs_{0};
};

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += a + " ";
  return s;
}

TEST_F(CliTasks, BadInputGivesOneErrorLineExitTwoAndNoOutput) {
  const std::string big_monoid = scratch_file(
      "big.json", R"({"alphabet":["c","s","m"],"states":7,"start":0,"accepting":[0],)"
                  R"("transitions":[[1,1,1],[2,0,1],[3,2,2],[4,3,3],[5,4,4],[6,5,5],[0,6,6]]})");
  const std::string bad_json = scratch_file("bad.json", "{\"alphabet\": [\"a\"], \"states\": ");
  const std::string no_symbols = scratch_file(
      "empty.json", R"({"alphabet":[],"states":1,"start":0,"accepting":[0],"transitions":[[]]})");
  struct Case {
    std::vector<std::string> args;
    std::string names;  // a fragment of the error line that names the problem
  };
  const std::vector<Case> cases = {
      {{"tasks"}, "missing subcommand"},
      {{"tasks", "frob"}, "unknown subcommand 'frob'"},
      {{"tasks", "list", "extra"}, "too many positional"},
      {{"tasks", "list", "--bogus"}, "unrecognised option '--bogus'"},
      {{"tasks", "show"}, "missing SPEC"},
      {{"tasks", "show", "nonsense"}, "unknown task 'nonsense' (try: gooselab tasks list)"},
      {{"tasks", "show", "parity", "extra"}, "too many positional"},
      {{"tasks", "show", "parity", "--bogus"}, "unrecognised option '--bogus'"},
      {{"tasks", "show", "regex:(ab"}, "unbalanced parenthesis"},
      {{"tasks", "show", "regex:abc@ab"}, "regex"},
      {{"tasks", "show", "dfa:/nonexistent/x.json"}, "cannot open DFA file /nonexistent/x.json"},
      {{"tasks", "show", "dfa:" + bad_json}, "not valid JSON"},
      {{"tasks", "show", "dfa:" + big_monoid}, "transition monoid exceeds"},
      {{"tasks", "show", "tomita:x"}, "Tomita number 'x' is not an integer"},
      {{"tasks", "show", "tomita"}, "needs an argument: tomita:N"},
      {{"tasks", "show", "parity:2"}, "unknown task 'parity:2'"},
      {{"tasks", "show", "group:Q8"}, "unknown group"},
      {{"tasks", "show", "group:(1,2,2)"}, "appears twice"},
      {{"tasks", "show", "group:S5@(1,6)"}, "not an element of S5"},
      {{"tasks", "sample"}, "missing SPEC"},
      {{"tasks", "sample", "nonsense"}, "unknown task 'nonsense'"},
      {{"tasks", "sample", "parity", "--length", "0"}, "--length must be in [1, 1048576] (got 0)"},
      {{"tasks", "sample", "parity", "--length", "-3"}, "--length must be in [1, 1048576] (got -3)"},
      {{"tasks", "sample", "parity", "--length", "x"}, "--length must be a whole number"},
      {{"tasks", "sample", "parity", "--length", "4.5"}, "--length must be a whole number"},
      {{"tasks", "sample", "parity", "--length", "99999999"}, "--length must be in [1, 1048576]"},
      {{"tasks", "sample", "parity", "--length"}, "the required argument for option '--length' is missing"},
      {{"tasks", "sample", "parity", "--count", "0"}, "--count must be in [1, 1048576] (got 0)"},
      {{"tasks", "sample", "parity", "--count", "-2"}, "--count must be in [1, 1048576] (got -2)"},
      {{"tasks", "sample", "parity", "--count", "many"}, "--count must be a whole number"},
      {{"tasks", "sample", "parity", "--seed", "-1"}, "--seed must be at least 0 (got -1)"},
      {{"tasks", "sample", "parity", "--seed", "s"}, "--seed must be a whole number"},
      {{"tasks", "sample", "parity", "--format", "xml"}, "--format must be text or jsonl (got 'xml')"},
      {{"tasks", "sample", "parity", "--objective", "final"}, "unknown objective 'final'"},
      {{"tasks", "sample", "parity", "--bogus"}, "unrecognised option '--bogus'"},
      {{"tasks", "sample", "regex:(ab)*", "--length", "3", "--objective", "accept"}, "has no positive string of length 3"},
      {{"tasks", "sample", "dfa:" + no_symbols}, "no input symbols"},
      {{"tasks", "dfa"}, "missing SPEC"},
      {{"tasks", "dfa", "nonsense"}, "unknown task 'nonsense'"},
      {{"tasks", "dfa", "parity", "--format", "svg"}, "--format must be json or dot (got 'svg')"},
      {{"tasks", "dfa", "parity", "--bogus"}, "unrecognised option '--bogus'"},
  };
  std::vector<std::vector<std::string>> commands;
  for (const Case& c : cases) commands.push_back(c.args);
  const std::vector<Result> results = run_all(commands);
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Result& r = results[i];
    const std::string what = joined(c.args);
    EXPECT_EQ(r.code, 2) << what;
    EXPECT_EQ(r.out, "") << what;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
    EXPECT_EQ(r.err.back(), '\n') << what;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << what << ": expected \"" << c.names << "\" in " << r.err;
    EXPECT_TRUE(r.files_left.empty()) << what << " wrote " << r.files_left.front();
  }
}

TEST_F(CliTasks, ListAndHelp) {
  const Result r = run({"tasks", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const char* text : {"parity", "even-pairs", "cycle-nav[:N]", "mod-arith", "tomita:N", "tomita:7", "dyck:K:D",
                           "group:S5@transpositions", "group:A5", "group:A4xZ5", "group:Z60", "regex:EXPR[@ALPHABET]",
                           "dfa:PATH.json", "group:NAME[@INPUTS]"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) EXPECT_LE(line.size(), 110u) << line;  // wrapped, readable
  const Result help = run({"tasks", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("usage: gooselab tasks"), std::string::npos);
  for (const char* pattern : {"parity", "cycle-nav[:N]", "tomita:N", "dyck:K:D", "regex:EXPR[@ALPHABET]", "dfa:PATH.json",
                              "group:NAME[@INPUTS]"})
    EXPECT_NE(help.out.find(pattern), std::string::npos) << pattern;  // generated from the registry
  for (const char* sub : {"list", "show", "sample", "dfa"}) {
    const Result h = run({"tasks", sub, "--help"});
    EXPECT_EQ(h.code, 0) << sub;
    EXPECT_NE(h.out.find("usage: gooselab tasks " + std::string(sub)), std::string::npos) << sub;
    EXPECT_NE(h.out.find("example:"), std::string::npos) << sub;
  }
  EXPECT_NE(run({"tasks", "sample", "--help"}).out.find("(=16)"), std::string::npos);  // defaults are shown
}

// `tasks list --markdown` is what the README holds between its markers.
TEST_F(CliTasks, MarkdownTableIsTheReadmes) {
  const char* root = std::getenv("GOOSE_SOURCE_DIR");
  ASSERT_TRUE(root && *root) << "GOOSE_SOURCE_DIR is not set (ctest sets it)";
  const std::string readme = read_all(std::string(root) + "/README.md");
  const std::string begin = "<!-- tasks-table:begin -->\n", end = "<!-- tasks-table:end -->";
  const size_t b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const Result r = run({"tasks", "list", "--markdown"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, readme.substr(b + begin.size(), e - b - begin.size()));
}

// show --json: exactly these keys, with their types, ranges and mutual consistency.
void check_show_schema(const json& j, const std::string& spec) {
  SCOPED_TRACE(spec);
  static const std::set<std::string> required = {
      "spec",   "description", "alphabet",  "alphabet_size", "states",   "monoid_size",
      "class",  "commutative", "group_kind", "derived_length", "inputs_period_le2",
      "inputs_involution_or_idempotent", "accepted", "rejected"};
  for (const auto& key : required) ASSERT_TRUE(j.contains(key)) << key;
  for (auto it = j.begin(); it != j.end(); ++it)
    EXPECT_TRUE(required.count(it.key()) || it.key() == "order" || it.key() == "group") << "unexpected key " << it.key();
  EXPECT_EQ(j["spec"], spec);
  ASSERT_TRUE(j["description"].is_string());
  EXPECT_FALSE(j["description"].get<std::string>().empty());
  ASSERT_TRUE(j["alphabet"].is_array());
  ASSERT_TRUE(j["alphabet_size"].is_number_integer());
  EXPECT_EQ(j["alphabet"].size(), j["alphabet_size"].get<size_t>());
  for (const auto& s : j["alphabet"]) EXPECT_TRUE(s.is_string() && !s.get<std::string>().empty());
  for (const char* key : {"states", "monoid_size"}) {
    ASSERT_TRUE(j[key].is_number_integer()) << key;
    EXPECT_GE(j[key].get<int64_t>(), 1) << key;
  }
  const std::set<std::string> classes = {"aperiodic", "solvable", "non-solvable"};
  const std::set<std::string> kinds = {"trivial", "elementary-abelian-2", "abelian", "solvable", "non-solvable"};
  ASSERT_TRUE(j["class"].is_string());
  EXPECT_TRUE(classes.count(j["class"].get<std::string>())) << j["class"];
  ASSERT_TRUE(j["group_kind"].is_string());
  EXPECT_TRUE(kinds.count(j["group_kind"].get<std::string>())) << j["group_kind"];
  ASSERT_TRUE(j["derived_length"].is_number_integer());
  EXPECT_GE(j["derived_length"].get<int>(), -1);
  for (const char* key : {"commutative", "inputs_period_le2", "inputs_involution_or_idempotent"})
    EXPECT_TRUE(j[key].is_boolean()) << key;
  // The algebra is consistent: aperiodic iff trivial, non-solvable iff derived length -1.
  EXPECT_EQ(j["class"] == "aperiodic", j["group_kind"] == "trivial");
  EXPECT_EQ(j["class"] == "non-solvable", j["derived_length"] == -1);
  EXPECT_EQ(j["group_kind"] == "non-solvable", j["derived_length"] == -1);
  if (j["inputs_involution_or_idempotent"] == true) EXPECT_EQ(j["inputs_period_le2"], true);
  for (const char* key : {"accepted", "rejected"}) {
    ASSERT_TRUE(j[key].is_array()) << key;
    EXPECT_LE(j[key].size(), 3u) << key;
    for (const auto& w : j[key]) EXPECT_TRUE(w.is_string()) << key;
  }
  EXPECT_EQ(j.contains("order"), j.contains("group"));
  if (j.contains("order")) {
    ASSERT_TRUE(j["order"].is_number_integer());
    EXPECT_EQ(j["order"], j["monoid_size"]);  // a group's word problem has the group as its monoid
    EXPECT_EQ(j["order"], j["states"]);
    EXPECT_TRUE(j["group"].is_string());
  }
}

TEST_F(CliTasks, ShowJsonSchemaAndValues) {
  struct Case {
    std::string spec, cls, kind;
    int derived_length;
    bool period_le2, involution_or_idempotent, commutative;
    int order;  // 0: not a group task
  };
  const std::vector<Case> cases = {
      {"group:A5", "non-solvable", "non-solvable", -1, false, false, false, 60},
      {"group:A4xZ5", "solvable", "solvable", 2, false, false, false, 60},
      {"group:Z60", "solvable", "abelian", 1, false, false, true, 60},
      {"group:S5@transpositions", "non-solvable", "non-solvable", -1, true, true, false, 120},
      {"group:(4,6)(5,7),(1,2,4)(3,6,5)@generators", "non-solvable", "non-solvable", -1, false, false, false, 168},
      {"parity", "solvable", "elementary-abelian-2", 1, true, true, true, 0},
      {"tomita:4", "aperiodic", "trivial", 0, true, false, false, 0},
      {"mod-arith", "solvable", "abelian", 1, true, false, false, 0},
  };
  for (const Case& c : cases) {
    const Result r = run({"tasks", "show", c.spec, "--json"});
    ASSERT_EQ(r.code, 0) << c.spec << ": " << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one JSON line";
    const json j = json::parse(r.out);
    check_show_schema(j, c.spec);
    EXPECT_EQ(j["class"], c.cls) << c.spec;
    EXPECT_EQ(j["group_kind"], c.kind) << c.spec;
    EXPECT_EQ(j["derived_length"], c.derived_length) << c.spec;
    EXPECT_EQ(j["inputs_period_le2"], c.period_le2) << c.spec;
    EXPECT_EQ(j["inputs_involution_or_idempotent"], c.involution_or_idempotent) << c.spec;
    EXPECT_EQ(j["commutative"], c.commutative) << c.spec;
    if (c.order) {
      EXPECT_EQ(j["order"], c.order) << c.spec;
    } else {
      EXPECT_FALSE(j.contains("order")) << c.spec;
    }
  }
  const json parity = json::parse(run({"tasks", "show", "parity", "--json"}).out);
  EXPECT_EQ(parity["states"], 2);
  EXPECT_EQ(parity["alphabet"], json::array({"0", "1"}));
  EXPECT_EQ(parity["monoid_size"], 2);
}

TEST_F(CliTasks, ShowTextStaysReadableAtScale) {
  const std::string spec = "group:(4,6)(5,7),(1,2,4)(3,6,5)";  // all 168 elements as inputs
  const Result r = run({"tasks", "show", spec});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line, alphabet;
  while (std::getline(lines, line)) {
    EXPECT_LE(line.size(), 120u) << line;
    if (line.rfind("alphabet", 0) == 0) alphabet = line;
  }
  EXPECT_NE(alphabet.find("168 symbols: () "), std::string::npos) << alphabet;
  EXPECT_NE(alphabet.find(" more"), std::string::npos) << alphabet;  // "… 164 more"
  EXPECT_NE(r.out.find("group kind   non-solvable, derived length -1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("period <= 2: no"), std::string::npos) << r.out;
  const json j = json::parse(run({"tasks", "show", spec, "--json"}).out);
  EXPECT_EQ(j["alphabet"].size(), 168u);  // the full list in --json
  const Result t5 = run({"tasks", "show", "tomita:5"});
  EXPECT_NE(t5.out.find("states       4 (minimal complete DFA, 1 accepting)"), std::string::npos) << t5.out;
  EXPECT_NE(t5.out.find("monoid       4 elements, solvable, commutative"), std::string::npos) << t5.out;
  EXPECT_NE(t5.out.find("group kind   elementary-abelian-2, derived length 1"), std::string::npos) << t5.out;
  EXPECT_NE(t5.out.find("inputs       period <= 2: yes; involution or idempotent: yes"), std::string::npos) << t5.out;
}

// sample --format jsonl: one object per line with exactly these keys, tokens and targets laid
// out as in a batch, labels named as in the alphabet and the class names.
TEST_F(CliTasks, SampleJsonlSchema) {
  struct Case {
    std::string spec, objective;
    int num_classes;
  };
  for (const Case& c : {Case{"tomita:3", "accept-final", 2}, Case{"mod-arith", "accept", 5},
                        Case{"group:S5@transpositions", "state", 120}, Case{"dyck:2:3", "state", 0}}) {
    SCOPED_TRACE(c.spec + " " + c.objective);
    const json shown = json::parse(run({"tasks", "show", c.spec, "--json"}).out);
    std::vector<std::string> alphabet = shown["alphabet"].get<std::vector<std::string>>();
    const int classes = c.num_classes ? c.num_classes : shown["states"].get<int>();
    const Result r = run({"tasks", "sample", c.spec, "--length", "9", "--count", "12", "--seed", "3", "--objective",
                          c.objective, "--format", "jsonl"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    int count = 0;
    const std::set<std::string> kinds = {"uniform", "live", "positive", "negative", "hard-negative", "class"};
    while (std::getline(lines, line)) {
      const json j = json::parse(line);
      ASSERT_TRUE(j.is_object());
      EXPECT_EQ(j.size(), 5u);
      for (const char* key : {"kind", "symbols", "labels", "tokens", "targets"}) ASSERT_TRUE(j.contains(key)) << key;
      ASSERT_TRUE(j["kind"].is_string());
      EXPECT_TRUE(kinds.count(j["kind"].get<std::string>())) << j["kind"];
      ASSERT_EQ(j["symbols"].size(), 9u);
      ASSERT_EQ(j["labels"].size(), 9u);
      ASSERT_EQ(j["tokens"].size(), 10u);
      ASSERT_EQ(j["targets"].size(), 10u);
      EXPECT_EQ(j["tokens"][0], 1);     // BOS
      EXPECT_EQ(j["targets"][0], -100);  // nothing to predict at BOS
      for (size_t t = 0; t < 9; ++t) {
        ASSERT_TRUE(j["symbols"][t].is_string());
        const auto at = std::find(alphabet.begin(), alphabet.end(), j["symbols"][t].get<std::string>());
        ASSERT_NE(at, alphabet.end()) << j["symbols"][t];
        EXPECT_EQ(j["tokens"][t + 1], 2 + (at - alphabet.begin()));  // symbol i is token 2 + i
        ASSERT_TRUE(j["labels"][t].is_string());
        ASSERT_TRUE(j["targets"][t + 1].is_number_integer());
        const int64_t target = j["targets"][t + 1].get<int64_t>();
        if (target == -100) {
          EXPECT_EQ(j["labels"][t], "-");
        } else {
          EXPECT_GE(target, 0);
          EXPECT_LT(target, classes);
        }
      }
      ++count;
    }
    EXPECT_EQ(count, 12);
  }
}

TEST_F(CliTasks, SampleIsDeterministicAndTextIsTabular) {
  const std::vector<std::string> args = {"tasks", "sample", "tomita:3", "--length", "12", "--count", "6",
                                         "--seed", "7", "--objective", "accept-final", "--format", "jsonl"};
  const Result a = run(args);
  const Result b = run(args);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  int positives = 0;
  std::istringstream lines(a.out);
  std::string line;
  while (std::getline(lines, line)) positives += json::parse(line)["kind"] == "positive";
  EXPECT_EQ(positives, 3);  // balanced: even sequences are positives
  std::vector<std::string> other = args;
  other[8] = "8";
  EXPECT_NE(run(other).out, a.out);
  const Result text = run({"tasks", "sample", "group:S5@transpositions", "--length", "4", "--count", "2"});
  ASSERT_EQ(text.code, 0);
  std::istringstream rows(text.out);
  std::getline(rows, line);
  EXPECT_EQ(line, "# group:S5@transpositions, objective state, length 4, seed 1");
  int samples = 0;
  while (std::getline(rows, line)) {
    EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 2) << line;  // kind, symbols, labels
    EXPECT_EQ(line.rfind("uniform\t", 0), 0u) << line;
    ++samples;
  }
  EXPECT_EQ(samples, 2);
}

// dfa --format json: the DFA file schema, readable back as a dfa: task with the same language.
TEST_F(CliTasks, DfaJsonSchemaAndRoundTrip) {
  for (const char* spec : {"tomita:2", "group:S3", "mod-arith"}) {
    SCOPED_TRACE(spec);
    const Result r = run({"tasks", "dfa", spec});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    for (auto it = j.begin(); it != j.end(); ++it)
      EXPECT_TRUE(std::set<std::string>({"alphabet", "states", "start", "accepting", "transitions", "state_names"})
                      .count(it.key()))
          << it.key();
    ASSERT_TRUE(j["alphabet"].is_array());
    ASSERT_TRUE(j["states"].is_number_integer());
    const int n = j["states"].get<int>();
    ASSERT_GE(n, 1);
    ASSERT_TRUE(j["start"].is_number_integer());
    EXPECT_GE(j["start"].get<int>(), 0);
    EXPECT_LT(j["start"].get<int>(), n);
    ASSERT_TRUE(j["accepting"].is_array());
    for (const auto& q : j["accepting"]) EXPECT_TRUE(q.is_number_integer() && q.get<int>() >= 0 && q.get<int>() < n);
    ASSERT_TRUE(j["transitions"].is_array());
    ASSERT_EQ(j["transitions"].size(), static_cast<size_t>(n));
    for (const auto& row : j["transitions"]) {
      ASSERT_EQ(row.size(), j["alphabet"].size());
      for (const auto& q : row) EXPECT_TRUE(q.is_number_integer() && q.get<int>() >= 0 && q.get<int>() < n);
    }
    if (j.contains("state_names")) EXPECT_EQ(j["state_names"].size(), static_cast<size_t>(n));
    const std::string path = scratch_file(std::string("dfa_") + std::to_string(runs_.load()) + ".json", r.out);
    const Result back = run({"tasks", "show", "dfa:" + path, "--json"});
    ASSERT_EQ(back.code, 0) << back.err;
    const json shown = json::parse(back.out);
    const json original = json::parse(run({"tasks", "show", spec, "--json"}).out);
    EXPECT_EQ(shown["states"], n);
    EXPECT_EQ(shown["monoid_size"], original["monoid_size"]);
    EXPECT_EQ(shown["class"], original["class"]);
  }
  const Result dot = run({"tasks", "dfa", "tomita:2", "--format", "dot"});
  EXPECT_EQ(dot.code, 0);
  EXPECT_EQ(dot.out.rfind("digraph dfa {", 0), 0u);
}

}  // namespace
