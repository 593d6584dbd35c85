// Tests for automata/group: cycle notation, known orders and structure of named, product
// and generated groups, table axioms, and the word-problem DFA against direct products.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

#include "automata/group.h"

namespace goose::automata {
namespace {

long long factorial(int n) { return n <= 1 ? 1 : n * factorial(n - 1); }

void expect_invalid(const std::string& spec, const std::string& fragment) {
  try {
    parse_group(spec);
    ADD_FAILURE() << "no error for \"" << spec << "\"";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "spec \"" << spec << "\" gave: " << e.what();
  }
}

// Table axioms and consistency with the permutation representation.
void check_group_axioms(const FiniteGroup& g) {
  const int n = g.order();
  ASSERT_EQ(g.table.size(), static_cast<size_t>(n) * n);
  ASSERT_EQ(g.elements.size(), static_cast<size_t>(n));
  std::set<std::string> names(g.element_names.begin(), g.element_names.end());
  EXPECT_EQ(names.size(), static_cast<size_t>(n)) << g.name << ": element names not unique";
  std::set<Permutation> perms(g.elements.begin(), g.elements.end());
  EXPECT_EQ(perms.size(), static_cast<size_t>(n)) << g.name << ": representation not faithful";
  for (int a = 0; a < n; ++a) {
    EXPECT_EQ(g.multiply(0, a), a);
    EXPECT_EQ(g.multiply(a, 0), a);
    EXPECT_EQ(g.multiply(a, g.inverse(a)), 0);
    EXPECT_EQ(g.multiply(g.inverse(a), a), 0);
    EXPECT_EQ(g.index_of(g.element_names[a]), a);
    for (int b = 0; b < n; ++b) {
      const int ab = g.multiply(a, b);
      ASSERT_EQ(g.elements[ab], compose(g.elements[a], g.elements[b]))
          << g.name << ": " << g.element_names[a] << " * " << g.element_names[b];
    }
  }
  // Each row is a permutation of the elements (Latin square).
  for (int a = 0; a < n; ++a) {
    std::set<int> row(g.table.begin() + static_cast<size_t>(a) * n,
                      g.table.begin() + static_cast<size_t>(a + 1) * n);
    EXPECT_EQ(row.size(), static_cast<size_t>(n));
  }
}

TEST(Permutation, ParseAndPrintCycles) {
  EXPECT_EQ(parse_cycles("(1,2)(3,4,5)"), (Permutation{1, 0, 3, 4, 2}));
  EXPECT_EQ(parse_cycles("()", 3), (Permutation{0, 1, 2}));
  EXPECT_EQ(parse_cycles("(2,3)", 5), (Permutation{0, 2, 1, 3, 4}));
  EXPECT_EQ(parse_cycles(" ( 1 , 3 ) "), (Permutation{2, 1, 0}));
  EXPECT_EQ(to_cycles(Permutation{1, 0, 3, 4, 2}), "(1,2)(3,4,5)");
  EXPECT_EQ(to_cycles(Permutation{0, 1, 2}), "()");
  EXPECT_EQ(to_cycles(parse_cycles("(3,5,4)(1,2)")), "(1,2)(3,5,4)");
  EXPECT_EQ(to_cycles(parse_cycles("(5,3,4)")), "(3,4,5)");
}

TEST(Permutation, ParseErrors) {
  for (const char* bad : {"(1,1)", "(0,1)", "(1,2", "1,2", "(1,2)x", "", "(a)", "(1,)", "(1,2)(2,3)",
                          "(1,99999999)"})
    EXPECT_THROW(parse_cycles(bad), std::invalid_argument) << bad;
}

TEST(Permutation, ComposeFollowsGap) {
  // GAP: (1,2)*(2,3) = (1,3,2): apply (1,2) first.
  EXPECT_EQ(to_cycles(compose(parse_cycles("(1,2)"), parse_cycles("(2,3)"))), "(1,3,2)");
  EXPECT_EQ(to_cycles(compose(parse_cycles("(2,3)"), parse_cycles("(1,2)"))), "(1,2,3)");
  // Different degrees: the shorter one fixes the extra points.
  EXPECT_EQ(to_cycles(compose(parse_cycles("(1,2)"), parse_cycles("(3,4)"))), "(1,2)(3,4)");
}

TEST(Group, SymmetricAndAlternatingOrders) {
  for (int n = 1; n <= 6; ++n) {
    const FiniteGroup s = parse_group("S" + std::to_string(n));
    EXPECT_EQ(s.order(), factorial(n)) << "S" << n;
    const FiniteGroup a = parse_group("A" + std::to_string(n));
    EXPECT_EQ(a.order(), n >= 2 ? factorial(n) / 2 : 1) << "A" << n;
    EXPECT_EQ(s.element_names[0], "()");
  }
}

TEST(Group, CyclicAndDihedral) {
  const FiniteGroup z = parse_group("Z60");
  EXPECT_EQ(z.order(), 60);
  EXPECT_TRUE(z.is_abelian());
  EXPECT_EQ(z.element_names[0], "0");
  EXPECT_EQ(z.multiply(z.index_of("7"), z.index_of("58")), z.index_of("5"));
  EXPECT_EQ(z.inverse(z.index_of("13")), z.index_of("47"));
  EXPECT_EQ(parse_group("Z1").order(), 1);
  for (int n = 1; n <= 12; ++n)
    EXPECT_EQ(parse_group("D" + std::to_string(n)).order(), 2 * n) << "D" << n;
  EXPECT_TRUE(parse_group("D2").is_abelian());   // Klein four-group
  EXPECT_FALSE(parse_group("D3").is_abelian());  // S3
  const FiniteGroup d6 = parse_group("D6");
  EXPECT_FALSE(d6.is_abelian());
  EXPECT_EQ(d6.element_names[0], "r0");
  // s r s = r^-1 in a dihedral group.
  const int r = d6.index_of("r1"), s = d6.index_of("s0");
  ASSERT_GE(r, 0);
  ASSERT_GE(s, 0);
  EXPECT_EQ(d6.multiply(d6.multiply(s, r), s), d6.inverse(r));
}

TEST(Group, ProductsAndGenerated) {
  const FiniteGroup p = parse_group("A4xZ5");
  EXPECT_EQ(p.order(), 60);
  EXPECT_FALSE(p.is_abelian());
  EXPECT_TRUE(p.is_solvable());
  EXPECT_EQ(p.element_names[0], "<(),0>");
  EXPECT_GE(p.index_of("<(1,2,3),4>"), 0);
  EXPECT_EQ(parse_group("S3xS3xZ2").order(), 72);

  const FiniteGroup s5 = parse_group("(1,2),(1,2,3,4,5)");
  EXPECT_EQ(s5.order(), 120);
  EXPECT_FALSE(s5.is_solvable());
  const FiniteGroup a5 = parse_group("(1,2,3),(3,4,5)");
  EXPECT_EQ(a5.order(), 60);
  EXPECT_FALSE(a5.is_solvable());
  EXPECT_EQ(parse_group("(1,2)(3,4),(1,3)(2,4)").order(), 4);
  EXPECT_EQ(parse_group("()").order(), 1);
}

TEST(Group, SolvabilityAndCommutativity) {
  EXPECT_TRUE(parse_group("S4").is_solvable());
  EXPECT_TRUE(parse_group("S3").is_solvable());
  EXPECT_TRUE(parse_group("A4").is_solvable());
  EXPECT_FALSE(parse_group("A5").is_solvable());
  EXPECT_FALSE(parse_group("S5").is_solvable());
  EXPECT_FALSE(parse_group("A6").is_solvable());
  EXPECT_TRUE(parse_group("D6").is_solvable());
  EXPECT_TRUE(parse_group("Z60").is_solvable());
  EXPECT_TRUE(parse_group("Z60").is_abelian());
  EXPECT_FALSE(parse_group("A5xZ2").is_solvable());
  EXPECT_TRUE(parse_group("S1").is_solvable());
  EXPECT_TRUE(parse_group("S2").is_abelian());
  EXPECT_FALSE(parse_group("S3").is_abelian());
}

TEST(Group, DerivedLengthsOfKnownGroups) {
  // Known derived series: S4 > A4 > V4 > 1, A4 > V4 > 1, S3 > Z3 > 1, D4 > Z2 > 1.
  const std::vector<std::pair<std::string, int>> known = {
      {"S1", 0}, {"Z1", 0}, {"Z2", 1}, {"Z60", 1}, {"D2", 1}, {"S3", 2}, {"D4", 2}, {"D6", 2},
      {"A4", 2}, {"A4xZ5", 2}, {"S4", 3}, {"S4xZ2", 3}, {"S3xS4", 3}, {"A5", -1}, {"S5", -1},
      {"A5xZ2", -1}, {"(4,6)(5,7),(1,2,4)(3,6,5)", -1}};
  for (const auto& [spec, length] : known) {
    const FiniteGroup g = parse_group(spec);
    EXPECT_EQ(g.derived_length(), length) << spec;
    EXPECT_EQ(g.is_solvable(), length >= 0) << spec;
  }
  EXPECT_EQ(parse_group("(4,6)(5,7),(1,2,4)(3,6,5)").order(), 168);
}

TEST(Group, KindsRankTheGroups) {
  const std::vector<std::pair<std::string, GroupKind>> known = {
      {"Z1", GroupKind::Trivial},
      {"Z2", GroupKind::ElementaryAbelian2},
      {"D2", GroupKind::ElementaryAbelian2},  // Klein four-group
      {"Z2xZ2xZ2", GroupKind::ElementaryAbelian2},
      {"Z3", GroupKind::Abelian},
      {"Z4", GroupKind::Abelian},
      {"Z2xZ4", GroupKind::Abelian},
      {"Z60", GroupKind::Abelian},
      {"S3", GroupKind::Solvable},
      {"A4xZ5", GroupKind::Solvable},
      {"S4", GroupKind::Solvable},
      {"A5", GroupKind::NonSolvable},
      {"S5", GroupKind::NonSolvable}};
  for (const auto& [spec, kind] : known) EXPECT_EQ(to_string(parse_group(spec).kind()), to_string(kind)) << spec;
  EXPECT_EQ(to_string(GroupKind::Trivial), "trivial");
  EXPECT_EQ(to_string(GroupKind::ElementaryAbelian2), "elementary-abelian-2");
  EXPECT_EQ(to_string(GroupKind::Abelian), "abelian");
  EXPECT_EQ(to_string(GroupKind::Solvable), "solvable");
  EXPECT_EQ(to_string(GroupKind::NonSolvable), "non-solvable");
  EXPECT_LT(GroupKind::ElementaryAbelian2, GroupKind::Abelian);  // the ranking is the enum order
  EXPECT_LT(GroupKind::Solvable, GroupKind::NonSolvable);
}

TEST(Group, AbelianFromGeneratorsAgreesWithTheTable) {
  for (const char* spec : {"S3", "D2", "D4", "Z12", "A4xZ5", "Z2xZ3", "S3xZ2", "(1,2)(3,4),(1,3)(2,4)", "S1"}) {
    const FiniteGroup g = parse_group(spec);
    bool all_pairs = true;
    for (int a = 0; a < g.order(); ++a)
      for (int b = 0; b < g.order(); ++b) all_pairs = all_pairs && g.multiply(a, b) == g.multiply(b, a);
    EXPECT_EQ(g.is_abelian(), all_pairs) << spec;
  }
}

TEST(Group, ElementOrders) {
  const FiniteGroup s5 = parse_group("S5");
  for (int e = 0; e < s5.order(); ++e) {
    // Order of a permutation: the lcm of its cycle lengths, read from cycle notation.
    Permutation p = s5.elements[e], power = p;
    int k = 1;
    while (power != parse_cycles("()", 5)) power = compose(power, p), ++k;
    EXPECT_EQ(s5.element_order(e), k) << s5.element_names[e];
  }
  EXPECT_EQ(s5.element_order(s5.index_of("(1,2,3,4,5)")), 5);
  EXPECT_EQ(s5.element_order(s5.index_of("(1,2)(3,4,5)")), 6);
  EXPECT_EQ(s5.element_order(0), 1);
  const FiniteGroup z60 = parse_group("Z60");
  EXPECT_EQ(z60.element_order(z60.index_of("1")), 60);
  EXPECT_EQ(z60.element_order(z60.index_of("25")), 12);
}

TEST(Group, Subgroups) {
  const FiniteGroup s5 = parse_group("S5");
  const int t12 = s5.index_of("(1,2)"), t23 = s5.index_of("(2,3)");
  // Generated elements: identity first, closed, of the right order.
  const std::vector<int> s3 = s5.generated_elements({t12, t23});
  EXPECT_EQ(s3.size(), 6u);
  EXPECT_EQ(s3[0], s5.identity());
  std::vector<int> local;
  const FiniteGroup h = s5.subgroup({t12, t23}, &local);
  EXPECT_EQ(h.order(), 6);
  check_group_axioms(h);
  EXPECT_EQ(h.derived_length(), 2);  // S3
  ASSERT_EQ(local.size(), 120u);
  EXPECT_EQ(std::count_if(local.begin(), local.end(), [](int x) { return x >= 0; }), 6);
  EXPECT_EQ(h.elements[local[t12]], s5.elements[t12]);
  EXPECT_EQ(h.generators, (std::vector<int>{local[t12], local[t23]}));
  for (int a : s3)
    for (int b : s3) EXPECT_EQ(h.elements[h.multiply(local[a], local[b])], s5.elements[s5.multiply(a, b)]);
  // The whole group keeps its numbering and the local map is the identity.
  const FiniteGroup same = s5.subgroup(s5.transpositions(), &local);
  EXPECT_EQ(same.order(), 120);
  EXPECT_EQ(same.element_names, s5.element_names);
  for (int e = 0; e < 120; ++e) EXPECT_EQ(local[e], e);
  // Moving out: the whole group comes back as it was; a proper subgroup as above.
  FiniteGroup copy = s5;
  const FiniteGroup moved = std::move(copy).subgroup(s5.transpositions(), &local);
  EXPECT_EQ(moved.element_names, s5.element_names);
  EXPECT_EQ(moved.table, s5.table);
  for (int e = 0; e < 120; ++e) EXPECT_EQ(local[e], e);
  FiniteGroup again = s5;
  EXPECT_EQ(std::move(again).subgroup({t12, t23}).element_names, h.element_names);
  EXPECT_EQ(s5.subgroup({}).order(), 1);
  EXPECT_THROW(s5.subgroup({120}), std::invalid_argument);
  FiniteGroup bad = s5;
  EXPECT_THROW(std::move(bad).subgroup({-1}), std::invalid_argument);
}

TEST(Group, TableAxioms) {
  for (const char* spec : {"S4", "A4xZ5", "D6", "Z12", "(1,2,3),(3,4,5)", "S3xZ2", "D1", "S1"})
    check_group_axioms(parse_group(spec));
}

TEST(Group, Associativity) {
  for (const char* spec : {"S4", "A4xZ5", "D5"}) {
    const FiniteGroup g = parse_group(spec);
    const int n = g.order();
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b)
        for (int c = 0; c < n; ++c)
          ASSERT_EQ(g.multiply(g.multiply(a, b), c), g.multiply(a, g.multiply(b, c))) << spec;
  }
}

TEST(Group, Transpositions) {
  EXPECT_EQ(parse_group("S4").transpositions().size(), 6u);
  EXPECT_EQ(parse_group("S5").transpositions().size(), 10u);
  EXPECT_EQ(parse_group("A5").transpositions().size(), 0u);
  const FiniteGroup s5 = parse_group("S5");
  for (int t : s5.transpositions()) EXPECT_EQ(s5.multiply(t, t), 0);
}

TEST(Group, WordProblemDfaMatchesDirectProducts) {
  const FiniteGroup g = parse_group("S5");
  const Dfa dfa = g.as_dfa();
  EXPECT_EQ(dfa.num_states, 120);
  EXPECT_EQ(dfa.num_symbols(), 120);
  EXPECT_NO_THROW(dfa.validate());
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int> word(1 + rng() % 30);
    Permutation product = parse_cycles("()", 5);
    int state = dfa.start;
    for (int& x : word) {
      x = static_cast<int>(rng() % 120);
      product = compose(product, parse_cycles(g.element_names[x], 5));
      state = dfa.next(state, x);
      ASSERT_EQ(dfa.state_names[state], to_cycles(product));
    }
    EXPECT_EQ(dfa.run(word), state);
    EXPECT_EQ(dfa.accepts(word), to_cycles(product) == "()");
  }
  // Restricted inputs: symbols are the chosen elements, in order.
  const auto ts = g.transpositions();
  const Dfa tdfa = g.as_dfa(ts);
  ASSERT_EQ(tdfa.num_symbols(), 10);
  EXPECT_EQ(tdfa.alphabet[0], g.element_names[ts[0]]);
  EXPECT_EQ(tdfa.next(0, 3), ts[3]);
  EXPECT_THROW(g.as_dfa({0, 200}), std::invalid_argument);
  EXPECT_THROW(g.as_dfa({1, 1}), std::invalid_argument);
}

TEST(Group, Errors) {
  expect_invalid("S0", "at least 1");
  expect_invalid("Q5", "unknown group");
  expect_invalid("S9", "kMaxGroupOrder");
  expect_invalid("A9", "kMaxGroupOrder");
  expect_invalid("Z40321", "kMaxGroupOrder");
  expect_invalid("S5xS5xS5", "kMaxGroupOrder");
  expect_invalid("(1,2),(1,2,3,4,5,6,7,8,9)", "kMaxGroupOrder");
  expect_invalid("A4x", "empty factor");
  expect_invalid("(1,2", "unbalanced");
  expect_invalid("(1,2),,(2,3)", "empty generator");
  expect_invalid("", "empty");
  expect_invalid("S", "unknown group");
  expect_invalid("S99999999999", "unknown group");
  EXPECT_THROW(parse_group("(1,1)"), std::invalid_argument);
}

}  // namespace
}  // namespace goose::automata
