// TaskFacts: algebraic classes of the built-in languages, and the expressivity facts the
// theory ranks models by (group kind, derived length, input periods), for groups (from the
// group) and for languages (from the transition monoid), with the group shortcut checked
// against the monoid analysis.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "automata/monoid.h"
#include "tasks/task.h"
#include "tasks/task_facts.h"

namespace goose::tasks {
namespace {

using automata::AlgebraicClass;

struct ClassCase {
  std::string spec;
  AlgebraicClass cls;
  bool commutative;
};

TEST(TaskFacts, BuiltinClasses) {
  const std::vector<ClassCase> cases = {
      {"parity", AlgebraicClass::Solvable, true},       {"even-pairs", AlgebraicClass::Aperiodic, false},
      {"cycle-nav", AlgebraicClass::Solvable, true},    {"tomita:1", AlgebraicClass::Aperiodic, true},
      {"tomita:2", AlgebraicClass::Aperiodic, false},   {"tomita:3", AlgebraicClass::Solvable, false},
      {"tomita:4", AlgebraicClass::Aperiodic, false},   {"tomita:5", AlgebraicClass::Solvable, true},
      {"tomita:6", AlgebraicClass::Solvable, true},     {"tomita:7", AlgebraicClass::Aperiodic, false},
      {"group:A5", AlgebraicClass::NonSolvable, false}, {"group:S5", AlgebraicClass::NonSolvable, false},
      {"group:A4xZ5", AlgebraicClass::Solvable, false}, {"group:Z60", AlgebraicClass::Solvable, true},
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

struct AlgebraCase {
  std::string spec;
  std::string group_kind;
  int derived_length;
  bool period_le2;
  bool involution_or_idempotent;
};

// REFERENCE.md §3's ranking on the tasks the experiments use.
TEST(TaskFacts, ExpressivityFacts) {
  const std::vector<AlgebraCase> cases = {
      {"group:Z60", "abelian", 1, false, false},
      {"group:A4xZ5", "solvable", 2, false, false},
      {"group:S4", "solvable", 3, false, false},
      {"group:S3", "solvable", 2, false, false},
      {"group:A5", "non-solvable", -1, false, false},
      {"parity", "elementary-abelian-2", 1, true, true},  // Z2, the sign flip
      {"group:Z2", "elementary-abelian-2", 1, true, true},
      {"group:S5@transpositions", "non-solvable", -1, true, true},  // involutions: one-layer condition holds
      {"group:S5", "non-solvable", -1, false, false},                // all inputs: 3-cycles, 5-cycles
      {"regex:(a|b)*a(a|b)(a|b)@ab", "trivial", 0, true, false},    // aperiodic
      {"tomita:4", "trivial", 0, true, false},                      // '0' has index 3, period 1
      {"tomita:1", "trivial", 0, true, true},                       // both letters idempotent
      {"group:Z3", "abelian", 1, false, false},                      // period 3
      {"cycle-nav", "abelian", 1, false, false},                     // + and - have period 5
      {"group:D4@s0,s1", "solvable", 2, true, true},                 // reflections: involutions, D4 non-abelian
      {"group:(4,6)(5,7),(1,2,4)(3,6,5)@generators", "non-solvable", -1, false, false},  // order 168
      {"mod-arith", "abelian", 1, true, false},  // a digit twice is dead: index 2, period 1
      {"dyck:2:3", "trivial", 0, true, false},
      {"even-pairs", "trivial", 0, true, true},
  };
  for (const auto& c : cases) {
    const TaskFacts facts = analyse_task(make_task(c.spec));
    EXPECT_EQ(facts.group_kind, c.group_kind) << c.spec;
    EXPECT_EQ(facts.derived_length, c.derived_length) << c.spec;
    EXPECT_EQ(facts.inputs_period_le2, c.period_le2) << c.spec;
    EXPECT_EQ(facts.inputs_involution_or_idempotent, c.involution_or_idempotent) << c.spec;
  }
  EXPECT_EQ(analyse_task(make_task("group:(4,6)(5,7),(1,2,4)(3,6,5)@generators")).group_order.value_or(-1), 168);
}

TEST(TaskFacts, GroupFactsAgreeWithMonoidAnalysis) {
  // analyse_task takes group facts from the group; the transition monoid must agree.
  for (const char* spec : {"group:S4", "group:D6", "group:Z6", "group:A4xZ5@generators", "group:S5@transpositions",
                           "group:D4@s0,s1", "group:Z2xZ2", "group:S3", "group:Z60@5"}) {
    const Task task = make_task(spec);
    const TaskFacts facts = analyse_task(task);
    const automata::MonoidInfo info = automata::analyse_monoid(task.dfa);
    EXPECT_EQ(info.size, facts.monoid_size) << spec;
    EXPECT_EQ(automata::to_string(info.algebraic_class), automata::to_string(facts.algebraic_class)) << spec;
    EXPECT_EQ(info.commutative, facts.commutative) << spec;
    EXPECT_EQ(automata::to_string(info.group_kind), facts.group_kind) << spec;
    EXPECT_EQ(info.derived_length, facts.derived_length) << spec;
    EXPECT_TRUE(info.is_group) << spec;
  }
}

}  // namespace
}  // namespace goose::tasks
