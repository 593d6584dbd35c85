// Tests for automata/dfa: running, minimisation (merging, pruning, canonical numbering,
// names), JSON round trip and each validation error, and DOT output.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>

#include "automata/dfa.h"

namespace goose::automata {
namespace {

// Parity of a's over {a,b}, written redundantly: states 0,2 are "even", 1,3 "odd",
// state 4 unreachable.
Dfa redundant_parity() {
  Dfa d;
  d.alphabet = {"a", "b"};
  d.num_states = 5;
  d.start = 0;
  d.accepting = {1, 0, 1, 0, 1};
  d.delta = {1, 2,   // 0
             2, 3,   // 1
             3, 0,   // 2
             0, 1,   // 3
             4, 4};  // 4 (unreachable)
  return d;
}

void expect_json_error(const std::string& text, const std::string& fragment) {
  try {
    dfa_from_json(text);
    ADD_FAILURE() << "no error for " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "expected \"" << fragment << "\" in: " << e.what();
  }
}

TEST(Dfa, RunAndAccept) {
  const Dfa d = redundant_parity();
  EXPECT_EQ(d.symbol_index("b"), 1);
  EXPECT_EQ(d.symbol_index("c"), -1);
  EXPECT_TRUE(d.accepts({}));
  EXPECT_FALSE(d.accepts({0}));
  EXPECT_TRUE(d.accepts({0, 1, 0, 1}));
  EXPECT_FALSE(d.accepts({0, 0, 0}));
  EXPECT_THROW(d.run({0, 2}), std::invalid_argument);
}

TEST(Dfa, MinimizeMergesAndPrunes) {
  const Dfa m = minimize(redundant_parity());
  EXPECT_EQ(m.num_states, 2);
  EXPECT_EQ(m.start, 0);
  EXPECT_EQ(m.accepting, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(m.delta, (std::vector<int32_t>{1, 0, 0, 1}));
  // Idempotent and canonical.
  const Dfa m2 = minimize(m);
  EXPECT_EQ(m2.delta, m.delta);
  EXPECT_EQ(m2.accepting, m.accepting);
}

// Naive table filling: every pair of states of `d` is distinguishable (d is minimal).
bool all_states_distinguishable(const Dfa& d) {
  const int n = d.num_states, k = d.num_symbols();
  std::vector<uint8_t> diff(static_cast<size_t>(n) * n, 0);
  for (int p = 0; p < n; ++p)
    for (int q = 0; q < n; ++q) diff[p * n + q] = d.accepting[p] != d.accepting[q];
  for (bool changed = true; changed;) {
    changed = false;
    for (int p = 0; p < n; ++p)
      for (int q = 0; q < n; ++q)
        for (int a = 0; a < k && !diff[p * n + q]; ++a)
          if (diff[d.next(p, a) * n + d.next(q, a)]) diff[p * n + q] = 1, changed = true;
  }
  for (int p = 0; p < n; ++p)
    for (int q = p + 1; q < n; ++q)
      if (!diff[p * n + q]) return false;
  return true;
}

TEST(Dfa, MinimizeRandomDfasAgainstNaiveTableFilling) {
  std::mt19937 rng(777);
  for (int trial = 0; trial < 300; ++trial) {
    Dfa d;
    const int k = 1 + trial % 3;
    for (int a = 0; a < k; ++a) d.alphabet.push_back(std::string(1, static_cast<char>('a' + a)));
    d.num_states = 1 + static_cast<int>(rng() % 12);
    d.start = static_cast<int>(rng() % d.num_states);
    for (int s = 0; s < d.num_states; ++s) d.accepting.push_back(rng() % 3 == 0);
    for (int i = 0; i < d.num_states * k; ++i) d.delta.push_back(static_cast<int>(rng() % d.num_states));
    const Dfa m = minimize(d);
    ASSERT_LE(m.num_states, d.num_states);
    ASSERT_TRUE(all_states_distinguishable(m)) << "trial " << trial;
    // Same language on every word up to length 6.
    std::vector<std::pair<int, int>> frontier = {{d.start, m.start}};
    for (int len = 0; len <= 6; ++len) {
      std::vector<std::pair<int, int>> next;
      for (auto [x, y] : frontier) {
        ASSERT_EQ(d.accepting[x], m.accepting[y]) << "trial " << trial;
        for (int a = 0; a < k; ++a) next.push_back({d.next(x, a), m.next(y, a)});
      }
      frontier.swap(next);
    }
    // Every state of m is reachable (breadth-first numbering: i is reached before i+1).
    std::vector<uint8_t> seen(m.num_states, 0);
    seen[0] = 1;
    for (int s = 0; s < m.num_states; ++s) {
      ASSERT_TRUE(seen[s]);
      for (int a = 0; a < k; ++a) seen[m.next(s, a)] = 1;
    }
  }
}

TEST(Dfa, MinimizeLongChainIsFast) {
  // A 100000-state counter: quadratic refinement would take minutes.
  Dfa d;
  d.alphabet = {"a"};
  d.num_states = 100000;
  for (int s = 0; s < d.num_states; ++s) {
    d.accepting.push_back(s == d.num_states - 1);
    d.delta.push_back(std::min(s + 1, d.num_states - 1));
  }
  EXPECT_EQ(minimize(d).num_states, 100000);
}

TEST(Dfa, MinimizeIsCanonicalUnderRenumbering) {
  // "Strings over {a,b} ending in ab": 3 states, written in two different numberings.
  Dfa x;
  x.alphabet = {"a", "b"};
  x.num_states = 3;
  x.start = 0;
  x.accepting = {0, 0, 1};
  x.delta = {1, 0, 1, 2, 1, 0};
  Dfa y;
  y.alphabet = {"a", "b"};
  y.num_states = 4;
  y.start = 2;
  y.accepting = {1, 0, 0, 0};
  // 2 = start, 3 = saw a, 0 = saw ab, 1 = copy of start
  y.delta = {3, 1, 3, 1, 3, 1, 3, 0};
  const Dfa mx = minimize(x), my = minimize(y);
  EXPECT_EQ(mx.num_states, 3);
  EXPECT_EQ(mx.delta, my.delta);
  EXPECT_EQ(mx.accepting, my.accepting);
  EXPECT_EQ(mx.start, my.start);
  // Breadth-first numbering: start 0, its a-successor 1.
  EXPECT_EQ(mx.next(0, 0), 1);
}

TEST(Dfa, MinimizeAllAcceptingOrNone) {
  Dfa d;
  d.alphabet = {"a"};
  d.num_states = 3;
  d.accepting = {0, 0, 0};
  d.delta = {1, 2, 0};
  EXPECT_EQ(minimize(d).num_states, 1);
  d.accepting = {1, 1, 1};
  const Dfa m = minimize(d);
  EXPECT_EQ(m.num_states, 1);
  EXPECT_EQ(m.accepting[0], 1);
}

TEST(Dfa, MinimizeKeepsNamesOnlyWithoutMerging) {
  Dfa d;
  d.alphabet = {"x"};
  d.num_states = 3;
  d.accepting = {1, 0, 0};
  d.delta = {1, 2, 0};
  d.state_names = {"e", "g", "g2"};
  const Dfa m = minimize(d);
  EXPECT_EQ(m.state_names, d.state_names);
  Dfa p = redundant_parity();
  p.state_names = {"s0", "s1", "s2", "s3", "s4"};
  EXPECT_TRUE(minimize(p).state_names.empty());
}

TEST(Dfa, JsonRoundTrip) {
  Dfa d = redundant_parity();
  d.state_names = {"even", "odd", "even'", "odd'", "lost \"quoted\""};
  const Dfa back = dfa_from_json(dfa_to_json(d));
  EXPECT_EQ(back.alphabet, d.alphabet);
  EXPECT_EQ(back.num_states, d.num_states);
  EXPECT_EQ(back.start, d.start);
  EXPECT_EQ(back.accepting, d.accepting);
  EXPECT_EQ(back.delta, d.delta);
  EXPECT_EQ(back.state_names, d.state_names);
  EXPECT_EQ(dfa_to_json(back), dfa_to_json(d));
}

TEST(Dfa, JsonFormat) {
  const Dfa d = dfa_from_json(
      R"({"alphabet":["a","b"],"states":2,"start":1,"accepting":[0],"transitions":[[1,0],[0,1]]})");
  EXPECT_EQ(d.start, 1);
  EXPECT_EQ(d.accepting, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(d.next(0, 0), 1);
  EXPECT_TRUE(d.state_names.empty());
}

TEST(Dfa, JsonValidationErrors) {
  const std::string head = R"({"alphabet":["a","b"],"states":2,"start":0,"accepting":[1],)";
  expect_json_error(head.substr(0, head.size() - 1) + "}", "missing key \"transitions\"");
  expect_json_error(head + R"("transitions":[[0,1],[1,2]]})", "transitions[1][1] = 2 is out of range");
  expect_json_error(head + R"("transitions":[[0,1],[1]]})", "transitions[1] has 1 entries, expected 2");
  expect_json_error(head + R"("transitions":[[0,1]]})", "has 1 rows, expected 2");
  expect_json_error(head + R"("transitions":[[0,1],[1,-1]]})", "out of range");
  expect_json_error(head + R"("transitions":[[0,1],[1,"x"]]})", "must be an integer");
  expect_json_error(
      R"({"alphabet":["a","a"],"states":1,"start":0,"accepting":[],"transitions":[[0,0]]})",
      "duplicate symbol \"a\"");
  expect_json_error(
      R"({"alphabet":["a"],"states":2,"start":5,"accepting":[],"transitions":[[0],[0]]})",
      "\"start\" 5 is out of range");
  expect_json_error(
      R"({"alphabet":["a"],"states":1,"start":0,"accepting":[3],"transitions":[[0]]})",
      "accepting[0] = 3 is out of range");
  expect_json_error(
      R"({"alphabet":["a"],"states":1,"start":0,"accepting":[0,0],"transitions":[[0]]})",
      "repeats state 0");
  expect_json_error(
      R"({"alphabet":["a"],"states":0,"start":0,"accepting":[],"transitions":[]})",
      "at least 1");
  expect_json_error(
      R"({"alphabet":["a"],"states":1,"start":0,"accepting":[],"transitions":[[0]],"extra":1})",
      "unknown key \"extra\"");
  expect_json_error(
      R"({"alphabet":["a"],"states":1,"start":0,"accepting":[],"transitions":[[0]],"state_names":["x","y"]})",
      "state_names");
  expect_json_error(R"({"alphabet":["a"],)", "not valid JSON");
  expect_json_error("[1,2]", "top level must be an object");
}

TEST(Dfa, JsonRefusesNamesThatAreNotUtf8) {
  Dfa d = redundant_parity();
  d.alphabet[0] = "\xfa";
  EXPECT_THROW(dfa_to_json(d), std::invalid_argument);
}

TEST(Dfa, ValidateCatchesBadStructs) {
  Dfa d = redundant_parity();
  d.delta.pop_back();
  EXPECT_THROW(d.validate(), std::invalid_argument);
  d = redundant_parity();
  d.delta[3] = 7;
  EXPECT_THROW(d.validate(), std::invalid_argument);
  EXPECT_THROW(minimize(d), std::invalid_argument);
  d = redundant_parity();
  d.start = -1;
  EXPECT_THROW(d.validate(), std::invalid_argument);
  d = redundant_parity();
  d.alphabet = {"a", "a"};
  EXPECT_THROW(d.validate(), std::invalid_argument);
}

TEST(Dfa, ReadFile) {
  const std::string path = ::testing::TempDir() + "/goose_dfa_test.json";
  {
    std::ofstream out(path);
    out << dfa_to_json(redundant_parity());
  }
  EXPECT_EQ(read_dfa_file(path).delta, redundant_parity().delta);
  {
    std::ofstream out(path);
    out << R"({"alphabet":["a"]})";
  }
  try {
    read_dfa_file(path);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
  try {
    read_dfa_file("/nonexistent/dir/x.json");
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.json"), std::string::npos);
  }
}

TEST(Dfa, Dot) {
  Dfa d = minimize(redundant_parity());
  const std::string dot = dfa_to_dot(d);
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("0 [shape=doublecircle"), std::string::npos);
  EXPECT_NE(dot.find("1 [shape=circle"), std::string::npos);
  EXPECT_NE(dot.find("0 -> 1 [label=\"a\"]"), std::string::npos);
  EXPECT_NE(dot.find("0 -> 0 [label=\"b\"]"), std::string::npos);
}

}  // namespace
}  // namespace goose::automata
