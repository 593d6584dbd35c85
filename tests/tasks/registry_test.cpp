// The task registry: one entry per family, every built-in constructs into a minimal complete
// DFA whose facts compute, make_task dispatches through the table (argument rules, errors),
// and the README's task table is the registry's (regenerate with gooselab tasks list --markdown).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "automata/dfa.h"
#include "automata/group.h"
#include "automata/monoid.h"
#include "tasks/registry.h"
#include "tasks/task.h"
#include "tasks/task_facts.h"

namespace goose::tasks {
namespace {

std::string message(const std::string& spec) {
  try {
    make_task(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Registry, OneEntryPerFamilyWithBuiltins) {
  std::set<std::string> names;
  for (const TaskEntry& entry : task_registry()) {
    EXPECT_TRUE(names.insert(entry.name).second) << "duplicate family " << entry.name;
    EXPECT_EQ(entry.pattern.rfind(entry.name, 0), 0u) << entry.pattern;  // the pattern starts with the name
    EXPECT_FALSE(entry.summary.empty()) << entry.name;
    EXPECT_EQ(entry.summary.find('\n'), std::string::npos) << entry.name;
    EXPECT_TRUE(entry.build) << entry.name;
    EXPECT_EQ(find_task_entry(entry.name), &entry);
    for (const std::string& spec : entry.builtins)
      EXPECT_EQ(spec.substr(0, spec.find(':')), entry.name) << spec << " listed under " << entry.name;
  }
  for (const char* family : {"parity", "even-pairs", "cycle-nav", "mod-arith", "tomita", "dyck", "regex", "dfa", "group"})
    EXPECT_TRUE(names.count(family)) << family;
  EXPECT_EQ(find_task_entry("nonsense"), nullptr);
  const std::vector<std::string> builtins = builtin_specs();
  EXPECT_EQ(std::set<std::string>(builtins.begin(), builtins.end()).size(), builtins.size());
  for (const char* spec : {"parity", "tomita:7", "group:S5@transpositions", "group:A4xZ5", "group:Z60", "mod-arith"})
    EXPECT_NE(std::find(builtins.begin(), builtins.end(), spec), builtins.end()) << spec;
}

// Every family (dfa: through a file written here) constructs; every built-in gives a valid,
// minimal, complete DFA with a description, round-trips its spec, and has computable facts.
TEST(Registry, EveryBuiltinConstructsMinimalAndAnalysable) {
  const std::string path = ::testing::TempDir() + "registry_dfa_" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << automata::dfa_to_json(make_task("tomita:3").dfa);
  std::vector<std::string> specs = builtin_specs();
  specs.push_back("dfa:" + path);
  std::set<std::string> families;
  for (const std::string& spec : specs) {
    SCOPED_TRACE(spec);
    const Task task = make_task(spec);
    families.insert(spec.substr(0, spec.find(':')));
    EXPECT_EQ(task.spec, spec);
    EXPECT_FALSE(task.description.empty());
    EXPECT_GT(task.num_symbols(), 0);
    ASSERT_NO_THROW(task.dfa.validate());
    const automata::Dfa min = automata::minimize(task.dfa);
    EXPECT_EQ(min.num_states, task.dfa.num_states) << "not minimal";
    EXPECT_EQ(min.accepting.size(), task.dfa.accepting.size());
    if (!task.outputs.empty()) {
      EXPECT_EQ(task.outputs.size(), static_cast<size_t>(task.dfa.num_states));
      for (int32_t out : task.outputs) EXPECT_LT(out, task.num_outputs());
    }
    const TaskFacts facts = analyse_task(task);
    EXPECT_EQ(facts.states, task.dfa.num_states);
    EXPECT_GE(facts.monoid_size, 1u);
    EXPECT_EQ(task.group.has_value(), facts.group_order.has_value());
  }
  std::remove(path.c_str());
  for (const TaskEntry& entry : task_registry()) EXPECT_TRUE(families.count(entry.name)) << entry.name << " never built";
}

TEST(Registry, ArgumentsFollowTheEntry) {
  EXPECT_EQ(message("nonsense"), "unknown task 'nonsense' (try: gooselab tasks list)");
  EXPECT_EQ(message("parity:3"), "unknown task 'parity:3' (try: gooselab tasks list)");  // takes none
  EXPECT_EQ(message(""), "unknown task '' (try: gooselab tasks list)");
  EXPECT_EQ(message("tomita"), "task 'tomita' needs an argument: tomita:N (try: gooselab tasks list)");
  EXPECT_EQ(message("group"), "task 'group' needs an argument: group:NAME[@INPUTS] (try: gooselab tasks list)");
  EXPECT_EQ(make_task("cycle-nav").dfa.num_states, 5);  // optional argument, default 5
  EXPECT_EQ(make_task("cycle-nav:7").dfa.num_states, 7);
}

TEST(Registry, SpecErrorsNameTheProblem) {
  EXPECT_EQ(message("tomita:x"), "task 'tomita:x': Tomita number 'x' is not an integer");
  EXPECT_EQ(message("tomita: 3"), "task 'tomita: 3': Tomita number ' 3' is not an integer");  // strict
  EXPECT_EQ(message("tomita:3x"), "task 'tomita:3x': Tomita number '3x' is not an integer");
  EXPECT_EQ(message("tomita:99999999999"), "task 'tomita:99999999999': Tomita number '99999999999' is out of range");
  EXPECT_EQ(message("tomita:8"), "task 'tomita:8': Tomita grammars are numbered 1 to 7");
  EXPECT_EQ(message("cycle-nav:"), "task 'cycle-nav:': cycle length '' is not an integer");
  EXPECT_EQ(message("cycle-nav:1"), "task 'cycle-nav:1': cycle length must be in [2, 100000]");
  EXPECT_EQ(message("dyck:5:2"), "task 'dyck:5:2': dyck needs 1 to 4 bracket types");
  EXPECT_EQ(message("dyck:2"), "task 'dyck:2': expected dyck:K:D (K bracket types, depth D)");
  EXPECT_EQ(message("dyck:2:0"), "task 'dyck:2:0': dyck depth must be at least 1");
  EXPECT_EQ(message("dyck:2:y"), "task 'dyck:2:y': depth 'y' is not an integer");
  EXPECT_NE(message("dyck:4:9").find("states"), std::string::npos);
  EXPECT_NE(message("regex:(ab").find("regex"), std::string::npos);
  EXPECT_NE(message("regex:abc@ab"), "no error");
  EXPECT_EQ(message("regex:ab@"), "task 'regex:ab@': empty alphabet after '@'");
  EXPECT_NE(message("dfa:/nonexistent/file.json").find("/nonexistent/file.json"), std::string::npos);
  EXPECT_NE(message("dfa:").find("missing file path"), std::string::npos);
  EXPECT_NE(message("group:Q7").find("unknown group"), std::string::npos);
  EXPECT_NE(message("group:(1,1)"), "no error");
  EXPECT_NE(message("group:S5@(1,6)").find("not an element"), std::string::npos);
  EXPECT_NE(message("group:D4@s9").find("'s9' is not an element of D4"), std::string::npos);
  EXPECT_NE(message("group:Z60@transpositions").find("no transpositions"), std::string::npos);
  EXPECT_NE(message("group:S7").find("too large"), std::string::npos);
  EXPECT_NE(message("group:S5@").find("after '@'"), std::string::npos);
  for (const char* spec : {"tomita:x", "dyck:5:2", "regex:(ab", "group:Q7", "dfa:/nonexistent/file.json", "nonsense"})
    EXPECT_EQ(message(spec).find('\n'), std::string::npos) << spec;  // one line
}

TEST(Registry, GroupInputsByCyclesOrByName) {
  const Task named = make_task("group:D4@s0,s1");
  EXPECT_EQ(named.dfa.alphabet, (std::vector<std::string>{"s0", "s1"}));
  EXPECT_EQ(named.group->order(), 8);  // two reflections generate D4
  const Task z = make_task("group:Z60@7");
  EXPECT_EQ(z.group->order(), 60);  // 7 generates Z60
  const Task z12 = make_task("group:Z60@5");
  EXPECT_EQ(z12.group->order(), 12);  // 5 generates a subgroup of order 12
  const Task product = make_task("group:A4xZ5@<(1,2,3),0>,<(),1>");
  EXPECT_EQ(product.num_symbols(), 2);
  EXPECT_EQ(product.group->order(), 15);  // Z3 x Z5
  const Task s3 = make_task("group:S5@(1,2),(2,3)");
  EXPECT_EQ(s3.group->order(), 6);  // S3 inside S5: the task uses that subgroup and says so
  EXPECT_EQ(s3.dfa.num_states, 6);
  EXPECT_NE(s3.description.find("subgroup of order 6"), std::string::npos);
  const Task transpositions = make_task("group:S5@transpositions");
  ASSERT_EQ(transpositions.num_symbols(), 10);
  EXPECT_EQ(transpositions.dfa.num_states, 120);  // the labels range over all of S5
  for (const std::string& name : transpositions.dfa.alphabet) {
    const automata::Permutation& p = transpositions.group->elements[transpositions.group->index_of(name)];
    int moved = 0;
    for (size_t i = 0; i < p.size(); ++i) moved += p[i] != static_cast<int>(i);
    EXPECT_EQ(moved, 2) << name;  // moving exactly two points: a transposition
  }
  EXPECT_EQ(std::set<std::string>(transpositions.dfa.alphabet.begin(), transpositions.dfa.alphabet.end()).size(), 10u);
  const Task gens = make_task("group:(1,2),(1,2,3,4,5)@generators");
  EXPECT_EQ(gens.group->order(), 120);
  EXPECT_EQ(gens.num_symbols(), 2);
  EXPECT_EQ(make_task("group:(1,2),(1,2,3,4,5)").num_symbols(), 120);
}

// The README's "Tasks" section holds the registry's table between two markers.
TEST(Registry, ReadmeTableIsTheRegistry) {
  const char* root = std::getenv("GOOSE_SOURCE_DIR");
  ASSERT_TRUE(root && *root) << "GOOSE_SOURCE_DIR is not set (ctest sets it to the source tree)";
  std::ifstream in(std::string(root) + "/README.md");
  ASSERT_TRUE(in) << "cannot read " << root << "/README.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string begin = "<!-- tasks-table:begin -->\n", end = "<!-- tasks-table:end -->";
  const size_t b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos) << "README.md lacks " << begin;
  ASSERT_NE(e, std::string::npos) << "README.md lacks " << end;
  ASSERT_LT(b, e);
  EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), task_table_markdown())
      << "README.md's task table differs from the registry: paste the output of "
         "'gooselab tasks list --markdown' between the markers";
}

TEST(Registry, MarkdownTableHasARowPerEntry) {
  const std::string table = task_table_markdown();
  std::istringstream lines(table);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    ASSERT_EQ(line.front(), '|') << line;
    ASSERT_EQ(line.back(), '|') << line;
    ++rows;
  }
  EXPECT_EQ(rows, 2 + static_cast<int>(task_registry().size()));
  EXPECT_NE(table.find("`regex:(ab)*`"), std::string::npos);
  EXPECT_NE(table.find("`regex:(a\\|b)*a(a\\|b)(a\\|b)@ab`"), std::string::npos);  // '|' escaped
}

TEST(TaskSpecs, Objectives) {
  EXPECT_EQ(parse_objective("state"), Objective::State);
  EXPECT_EQ(parse_objective("accept"), Objective::Accept);
  EXPECT_EQ(parse_objective("accept-final"), Objective::AcceptFinal);
  EXPECT_EQ(to_string(Objective::AcceptFinal), "accept-final");
  EXPECT_EQ(to_string(Objective::State), "state");
  EXPECT_THROW(parse_objective("final"), std::invalid_argument);
}

}  // namespace
}  // namespace goose::tasks
