// Task construction: every named language against an independent string predicate
// (exhaustively on short strings), algebraic classes of the built-in tasks, group inputs,
// and spec errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "automata/group.h"
#include "tasks/analysis.h"
#include "tasks/task.h"

namespace goose::tasks {
namespace {

using automata::AlgebraicClass;

std::string to_text(const automata::Dfa& dfa, const std::vector<int>& word) {
  std::string s;
  for (int a : word) s += dfa.alphabet[a];
  return s;
}

// Calls f(word) for every word of length <= max_len over `symbols` symbols.
void for_all_words(int symbols, int max_len, const std::function<void(const std::vector<int>&)>& f) {
  for (int n = 0; n <= max_len; ++n) {
    std::vector<int> word(n, 0);
    while (true) {
      f(word);
      int i = n - 1;
      while (i >= 0 && word[i] == symbols - 1) word[i--] = 0;
      if (i < 0) break;
      ++word[i];
    }
  }
}

// Checks make_task(spec) against `oracle` on every string up to max_len.
void expect_language(const std::string& spec, int max_len, const std::function<bool(const std::string&)>& oracle) {
  const Task task = make_task(spec);
  int checked = 0;
  for_all_words(task.num_symbols(), max_len, [&](const std::vector<int>& w) {
    const std::string s = to_text(task.dfa, w);
    ASSERT_EQ(task.dfa.accepts(w), oracle(s)) << spec << " on '" << s << "'";
    ++checked;
  });
  EXPECT_GT(checked, 100);
}

int count(const std::string& s, char c) { return static_cast<int>(std::count(s.begin(), s.end(), c)); }

TEST(TaskLanguages, ParityEvenPairsCycleNav) {
  expect_language("parity", 10, [](const std::string& s) { return count(s, '1') % 2 == 1; });
  expect_language("even-pairs", 10, [](const std::string& s) {
    int pairs = 0;
    for (size_t i = 1; i < s.size(); ++i) pairs += s[i] != s[i - 1];
    return pairs % 2 == 0;
  });
  expect_language("cycle-nav:4", 7, [](const std::string& s) {
    return ((count(s, '+') - count(s, '-')) % 4 + 4) % 4 == 0;
  });
}

TEST(TaskLanguages, CycleNavStateIsPosition) {
  const Task task = make_task("cycle-nav");
  ASSERT_EQ(task.dfa.num_states, 5);
  const int plus = task.dfa.symbol_index("+"), minus = task.dfa.symbol_index("-"), stay = task.dfa.symbol_index("0");
  EXPECT_EQ(task.dfa.run({plus, plus, stay, plus}), 3);
  EXPECT_EQ(task.dfa.run({minus}), 4);
  EXPECT_EQ(task.dfa.run({minus, minus, plus}), 4);
}

bool tomita(int n, const std::string& s) {
  // Runs of equal symbols, as (symbol, length).
  std::vector<std::pair<char, int>> runs;
  for (char c : s) {
    if (runs.empty() || runs.back().first != c) runs.push_back({c, 0});
    ++runs.back().second;
  }
  switch (n) {
    case 1: return count(s, '0') == 0;
    case 2: {
      if (s.size() % 2) return false;
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i] != (i % 2 ? '0' : '1')) return false;
      return true;
    }
    case 3:
      for (size_t i = 0; i + 1 < runs.size(); ++i)
        if (runs[i].first == '1' && runs[i].second % 2 == 1 && runs[i + 1].second % 2 == 1) return false;
      return true;
    case 4: return s.find("000") == std::string::npos;
    case 5: return count(s, '0') % 2 == 0 && count(s, '1') % 2 == 0;
    case 6: return (count(s, '0') - count(s, '1')) % 3 == 0;
    case 7: {
      std::string shape;
      for (const auto& r : runs) shape += r.first;
      for (const char* ok : {"", "0", "1", "01", "10", "010", "101", "0101"})
        if (shape == ok) return true;
      return false;
    }
  }
  return false;
}

TEST(TaskLanguages, TomitaGrammars) {
  for (int n = 1; n <= 7; ++n)
    expect_language("tomita:" + std::to_string(n), 11, [n](const std::string& s) { return tomita(n, s); });
}

// Value of a well-formed expression (digit (op digit)*) mod 5 with * before + and -; -1 if malformed.
int evaluate(const std::string& s) {
  if (s.size() % 2 == 0) return -1;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '4';
    if (digit != (i % 2 == 0)) return -1;
  }
  int sum = 0, term = s[0] - '0', sign = 1;
  for (size_t i = 1; i < s.size(); i += 2) {
    const int x = s[i + 1] - '0';
    if (s[i] == '*') {
      term *= x;
    } else {
      sum += sign * term;
      sign = s[i] == '+' ? 1 : -1;
      term = x;
    }
  }
  sum += sign * term;
  return ((sum % 5) + 5) % 5;
}

TEST(TaskLanguages, ModArithWithPrecedence) {
  expect_language("mod-arith", 5, [](const std::string& s) { return evaluate(s) == 0; });
  // The accept-style label is the value of the prefix read so far (an operator: unlabelled).
  const Task task = make_task("mod-arith");
  EXPECT_EQ(task.num_outputs(), 5);
  for_all_words(task.num_symbols(), 5, [&](const std::vector<int>& w) {
    const std::string s = to_text(task.dfa, w);
    const int value = evaluate(s);
    const int out = task.output_of(task.dfa.run(w));
    if (value >= 0) {
      ASSERT_EQ(out, value) << s;
    } else {
      ASSERT_EQ(out, -1) << s;
    }
  });
}

TEST(TaskLanguages, DyckBoundedDepth) {
  expect_language("dyck:2:2", 8, [](const std::string& s) {
    std::string stack;
    for (char c : s) {
      if (c == '(' || c == '[') {
        stack += c;
        if (stack.size() > 2) return false;
      } else {
        const char open = c == ')' ? '(' : '[';
        if (stack.empty() || stack.back() != open) return false;
        stack.pop_back();
      }
    }
    return stack.empty();
  });
  EXPECT_EQ(make_task("dyck:3:2").dfa.num_states, 1 + 3 + 9 + 1);
}

TEST(TaskLanguages, RegexWithAlphabet) {
  const Task task = make_task("regex:(ab)*@abc");
  EXPECT_EQ(task.dfa.alphabet, (std::vector<std::string>{"a", "b", "c"}));
  expect_language("regex:(ab)*@abc", 6, [](const std::string& s) {
    if (s.size() % 2) return false;
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] != (i % 2 ? 'b' : 'a')) return false;
    return true;
  });
}

struct ClassCase {
  std::string spec;
  AlgebraicClass cls;
  bool commutative;
};

TEST(TaskFacts, BuiltinClasses) {
  const std::vector<ClassCase> cases = {
      {"parity", AlgebraicClass::Solvable, true},
      {"even-pairs", AlgebraicClass::Aperiodic, false},
      {"cycle-nav", AlgebraicClass::Solvable, true},
      {"tomita:1", AlgebraicClass::Aperiodic, true},
      {"tomita:2", AlgebraicClass::Aperiodic, false},
      {"tomita:3", AlgebraicClass::Solvable, false},
      {"tomita:4", AlgebraicClass::Aperiodic, false},
      {"tomita:5", AlgebraicClass::Solvable, true},
      {"tomita:6", AlgebraicClass::Solvable, true},
      {"tomita:7", AlgebraicClass::Aperiodic, false},
      {"group:A5", AlgebraicClass::NonSolvable, false},
      {"group:S5", AlgebraicClass::NonSolvable, false},
      {"group:A4xZ5", AlgebraicClass::Solvable, false},
      {"group:Z60", AlgebraicClass::Solvable, true},
  };
  for (const auto& c : cases) {
    const TaskFacts facts = analyse_task(make_task(c.spec));
    EXPECT_EQ(automata::to_string(facts.algebraic_class), automata::to_string(c.cls)) << c.spec;
    EXPECT_EQ(facts.commutative, c.commutative) << c.spec;
  }
  EXPECT_EQ(analyse_task(make_task("group:A5")).group_order.value_or(-1), 60);
  EXPECT_EQ(analyse_task(make_task("group:A4xZ5")).group_order.value_or(-1), 60);
  EXPECT_EQ(analyse_task(make_task("group:Z60")).group_order.value_or(-1), 60);
  EXPECT_FALSE(analyse_task(make_task("parity")).group_order.has_value());
}

TEST(TaskFacts, GroupFactsAgreeWithMonoidAnalysis) {
  // analyse_task takes group facts from the group; the transition monoid must agree.
  for (const char* spec : {"group:S4", "group:D6", "group:Z6", "group:A4xZ5@generators", "group:S5@transpositions"}) {
    const Task task = make_task(spec);
    const TaskFacts facts = analyse_task(task);
    const automata::MonoidInfo info = automata::analyse_monoid(task.dfa);
    EXPECT_EQ(info.size, facts.monoid_size) << spec;
    EXPECT_EQ(automata::to_string(info.algebraic_class), automata::to_string(facts.algebraic_class)) << spec;
    EXPECT_EQ(info.commutative, facts.commutative) << spec;
    EXPECT_TRUE(info.is_group) << spec;
  }
}

TEST(TaskFacts, EveryBuiltinConstructs) {
  for (const TaskInfo& info : builtin_tasks()) {
    const Task task = make_task(info.spec);
    EXPECT_EQ(task.spec, info.spec);
    EXPECT_FALSE(task.description.empty()) << info.spec;
    EXPECT_GT(task.dfa.num_states, 0) << info.spec;
    EXPECT_NO_THROW(task.dfa.validate()) << info.spec;
  }
}

bool is_transposition(const automata::Permutation& p) {
  int moved = 0;
  for (size_t i = 0; i < p.size(); ++i) moved += p[i] != static_cast<int>(i);
  return moved == 2;  // a permutation moving exactly two points swaps them
}

TEST(GroupTasks, TranspositionInputs) {
  const Task task = make_task("group:S5@transpositions");
  ASSERT_TRUE(task.group);
  EXPECT_EQ(task.group->order(), 120);
  EXPECT_EQ(task.dfa.num_states, 120);  // labels range over all of S5
  ASSERT_EQ(task.num_symbols(), 10);
  std::vector<std::string> names;
  for (const std::string& name : task.dfa.alphabet) {
    const int e = task.group->index_of(name);
    ASSERT_GE(e, 0) << name;
    EXPECT_TRUE(is_transposition(task.group->elements[e])) << name;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
}

TEST(GroupTasks, GeneratorsAndExplicitInputs) {
  const Task gens = make_task("group:(1,2),(1,2,3,4,5)@generators");
  EXPECT_EQ(gens.group->order(), 120);
  EXPECT_EQ(gens.num_symbols(), 2);
  const Task full = make_task("group:(1,2),(1,2,3,4,5)");
  EXPECT_EQ(full.num_symbols(), 120);
  const Task explicit_inputs = make_task("group:S5@(1,2),(2,3)");
  EXPECT_EQ(explicit_inputs.num_symbols(), 2);
  // (1,2) and (2,3) generate only S3 inside S5: the task uses that subgroup and says so.
  EXPECT_EQ(explicit_inputs.group->order(), 6);
  EXPECT_EQ(explicit_inputs.dfa.num_states, 6);
  EXPECT_NE(explicit_inputs.description.find("subgroup of order 6"), std::string::npos);
  EXPECT_EQ(explicit_inputs.group->multiply(explicit_inputs.group->identity(), 1), 1);
}

TEST(TaskSpecs, Errors) {
  auto message = [](const std::string& spec) {
    try {
      make_task(spec);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("nonsense"), "unknown task 'nonsense' (try: gooselab tasks list)");
  EXPECT_EQ(message("parity:3"), "unknown task 'parity:3' (try: gooselab tasks list)");
  EXPECT_NE(message("tomita:8").find("1 to 7"), std::string::npos);
  EXPECT_NE(message("tomita:x").find("not an integer"), std::string::npos);
  EXPECT_NE(message("cycle-nav:1").find("cycle length"), std::string::npos);
  EXPECT_NE(message("dyck:5:2").find("bracket types"), std::string::npos);
  EXPECT_NE(message("dyck:2").find("dyck:K:D"), std::string::npos);
  EXPECT_NE(message("regex:(ab"), "no error");
  EXPECT_NE(message("regex:abc@ab"), "no error");
  EXPECT_NE(message("dfa:/nonexistent/file.json"), "no error");
  EXPECT_NE(message("group:Q7"), "no error");
  EXPECT_NE(message("group:(1,1)"), "no error");
  EXPECT_NE(message("group:S5@(1,6)").find("not an element"), std::string::npos);
  EXPECT_NE(message("group:Z60@transpositions").find("no transpositions"), std::string::npos);
  EXPECT_NE(message("group:S7").find("too large"), std::string::npos);
  EXPECT_NE(message("group:S5@").find("after '@'"), std::string::npos);
}

TEST(TaskSpecs, Objectives) {
  EXPECT_EQ(parse_objective("state"), Objective::State);
  EXPECT_EQ(parse_objective("accept"), Objective::Accept);
  EXPECT_EQ(parse_objective("accept-final"), Objective::AcceptFinal);
  EXPECT_EQ(to_string(Objective::AcceptFinal), "accept-final");
  EXPECT_THROW(parse_objective("final"), std::invalid_argument);
}

}  // namespace
}  // namespace goose::tasks
