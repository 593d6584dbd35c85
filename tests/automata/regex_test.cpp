// Tests for automata/regex and automata/nfa: exhaustive agreement of NFA simulation, the
// subset DFA, the minimal DFA and an independent backtracking matcher on hand-written and
// seeded random patterns; minimal sizes of known languages; parse errors with columns.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "automata/nfa.h"
#include "automata/regex.h"
#include "tests/support/backtrack_matcher.h"

namespace goose::automata {
namespace {

constexpr int kMaxLength = 8;

// Every word over `k` symbols of length 0..max_len, as symbol indices.
std::vector<std::vector<int>> all_words(int k, int max_len) {
  std::vector<std::vector<int>> words = {{}};
  for (size_t i = 0; i < words.size(); ++i) {
    if (static_cast<int>(words[i].size()) == max_len) continue;
    for (int a = 0; a < k; ++a) {
      auto w = words[i];
      w.push_back(a);
      words.push_back(std::move(w));
    }
  }
  return words;
}

// Checks all four engines on every word up to kMaxLength; returns the number accepted.
int check_agreement(const std::string& pattern, const std::string& alphabet) {
  SCOPED_TRACE("pattern \"" + pattern + "\" alphabet \"" + alphabet + "\"");
  const Regex regex = parse_regex(pattern, alphabet);
  const Nfa nfa = regex_to_nfa(regex);
  const Dfa subset = determinize(nfa);
  const Dfa minimal = minimize(subset);
  const Dfa direct = regex_to_dfa(pattern, alphabet);
  EXPECT_EQ(direct.delta, minimal.delta);
  EXPECT_EQ(direct.accepting, minimal.accepting);
  const testing::BacktrackMatcher oracle(pattern, alphabet);
  const std::string letters(regex.alphabet.begin(), regex.alphabet.end());
  EXPECT_EQ(oracle.alphabet(), alphabet.empty() ? letters : alphabet);
  EXPECT_LE(minimal.num_states, subset.num_states);
  int accepted = 0;
  for (const auto& word : all_words(static_cast<int>(letters.size()), kMaxLength)) {
    std::string text;
    for (int a : word) text += letters[a];
    const bool expected = oracle.matches(text);
    accepted += expected;
    const bool by_nfa = nfa.accepts(word), by_subset = subset.accepts(word),
               by_min = minimal.accepts(word);
    if (by_nfa != expected || by_subset != expected || by_min != expected) {
      ADD_FAILURE() << "word \"" << text << "\": backtrack " << expected << " nfa " << by_nfa
                    << " subset " << by_subset << " minimal " << by_min;
      return accepted;
    }
  }
  return accepted;
}

TEST(Regex, HandWrittenPatternsAgreeExhaustively) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a", "ab"},           {"ab", "ab"},          {"a|b", "ab"},
      {"a*", "ab"},          {"(ab)*", "ab"},       {"(a|b)*abb", "ab"},
      {"a+b+", "ab"},        {"a?b?c?", "abc"},     {"(a|b)*a(a|b){2}", "ab"},
      {"a{3}", "ab"},        {"a{2,}", "ab"},       {"a{1,3}b", "ab"},
      {"(ab|ba){0,2}", "ab"}, {"[ab]*c", "abc"},    {"[^a]*", "abc"},
      {"[a-b]+c?", "abc"},   {".*a.*", "ab"},       {".{2}", "abc"},
      {"(b*ab*a)*b*", "ab"}, {"a|", "ab"},          {"()", "ab"},
      {"(|a)b", "ab"},       {"(a*)*", "ab"},       {"(a*|b*)*c", "abc"},
      {"((a?)*b?)+", "ab"},  {"(a|())*b", "ab"},    {"(a{0,2}){2,3}", "ab"},
      {"(()*)*", "ab"},      {"(a|b|c)*(abc|cba)", "abc"}, {"\\.a", ".a"},
      {"a\\*", "a*"},        {"[\\]a]+", "]a"},     {"(a(b(c)*)*)*", "abc"},
      {"a*b*c*", "abc"},     {"(aa|bb|cc)*", "abc"}, {"((ab)*c)*", "abc"},
      {"(a|b)*", ""},        {"cab?", ""},          {"[a-c]*b", ""},
      {"(a+|b+)+", "ab"},    {"a{0}b", "ab"},       {"(a{0,}){1,}", "ab"},
      {"b|a*|(ab)+", "abc"}, {"[-a]+", "-a"},       {"(.)(.)\\1?", "ab1"},
  };
  for (const auto& [pattern, alphabet] : cases) check_agreement(pattern, alphabet);
}

TEST(Regex, AcceptedCountsAreKnown) {
  // Counted by hand over all words of length 0..8, so the engines cannot agree vacuously.
  EXPECT_EQ(check_agreement("(a|b)*a(a|b){2}", "ab"), 4 + 8 + 16 + 32 + 64 + 128);
  EXPECT_EQ(check_agreement("(ab)*", "ab"), 5);
  EXPECT_EQ(check_agreement("a{3}", "ab"), 1);
  EXPECT_EQ(check_agreement("()", "ab"), 1);
  EXPECT_EQ(check_agreement("a|", "ab"), 2);
  EXPECT_EQ(check_agreement(".*", "abc"), (6561 * 3 - 1) / 2);
  EXPECT_EQ(check_agreement("[^a]{2}", "abc"), 4);
  EXPECT_EQ(check_agreement("(a*)*", "ab"), 9);
  EXPECT_EQ(check_agreement("a{2,3}|b+", "ab"), 2 + 8);
}

// A random pattern over `letters`: literals, classes, '.', groups, alternation (with empty
// branches), and every repetition form with small bounds.
std::string random_pattern(std::mt19937& rng, const std::string& letters, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  if (depth <= 0 || pick(10) < 3) {
    switch (pick(9)) {
      case 0:
        return ".";
      case 1:
        return std::string("[") + letters[pick(static_cast<int>(letters.size()))] + letters[0] + "]";
      case 2:
        return std::string("[^") + letters[pick(static_cast<int>(letters.size()))] + "]";
      case 3:
        return "()";
      default:
        return std::string(1, letters[pick(static_cast<int>(letters.size()))]);
    }
  }
  const std::string sub = random_pattern(rng, letters, depth - 1);
  switch (pick(10)) {
    case 0:
    case 1:
      return sub + random_pattern(rng, letters, depth - 1);
    case 2:
      return sub + random_pattern(rng, letters, depth - 1) + random_pattern(rng, letters, depth - 1);
    case 3:
      return "(" + sub + "|" + random_pattern(rng, letters, depth - 1) + ")";
    case 4:
      return "(" + sub + (pick(2) ? "|)" : "||" + random_pattern(rng, letters, depth - 1) + ")");
    case 5:
      return "(" + sub + ")*";
    case 6:
      return "(" + sub + ")+";
    case 7:
      return "(" + sub + ")?";
    case 8: {
      const int m = pick(3);
      switch (pick(3)) {
        case 0:
          return "(" + sub + "){" + std::to_string(m) + "}";
        case 1:
          return "(" + sub + "){" + std::to_string(m) + ",}";
        default:
          return "(" + sub + "){" + std::to_string(m) + "," + std::to_string(m + pick(3)) + "}";
      }
    }
    default:
      return "(" + sub + ")";
  }
}

TEST(Regex, RandomPatternsAgreeExhaustively) {
  std::mt19937 rng(20250314);
  int nontrivial = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string letters = i % 3 == 0 ? "abc" : "ab";
    const std::string pattern = random_pattern(rng, letters, 4);
    const int accepted = check_agreement(pattern, letters);
    nontrivial += accepted > 1;
    if (HasFailure()) return;
  }
  EXPECT_GT(nontrivial, 100);  // the generator must not produce only trivial languages
}

int states(const std::string& pattern, const std::string& alphabet) {
  return regex_to_dfa(pattern, alphabet).num_states;
}

TEST(Regex, MinimalSizesOfKnownLanguages) {
  EXPECT_EQ(states("(a|b)*a(a|b){2}", "ab"), 8);  // 3rd from last is a: 2^3
  EXPECT_EQ(states("(a|b)*a(a|b){3}", "ab"), 16);
  EXPECT_EQ(states("(b*ab*a)*b*", "ab"), 2);      // even number of a's
  EXPECT_EQ(states("(b*ab*ab*a)*b*", "ab"), 3);   // a's divisible by 3
  EXPECT_EQ(states("a*", "ab"), 2);               // loop + dead state
  EXPECT_EQ(states("a*", "a"), 1);
  EXPECT_EQ(states("a", "a"), 3);                 // start, accept, dead
  EXPECT_EQ(states("", "ab"), 2);
  EXPECT_EQ(states("(ab)*", "ab"), 3);
  EXPECT_EQ(states("a{3}", "a"), 5);
  EXPECT_EQ(states("a{2,}", "a"), 3);
  EXPECT_EQ(states("a{2,4}", "a"), 6);
  EXPECT_EQ(states(".*", "ab"), 1);
  EXPECT_EQ(states("(a|b)*abb", "ab"), 4);
  EXPECT_EQ(states("a*b*", "ab"), 3);
  EXPECT_EQ(states("[^c]*c", "abc"), 3);  // start, accept, dead
  EXPECT_EQ(states("(a|b)*", ""), 1);
}

TEST(Regex, EqualLanguagesGiveIdenticalDfas) {
  const std::vector<std::vector<std::string>> groups = {
      {"(a|b)*", "(a*b*)*", ".*", "(a|b|ab)*", "[ab]*"},
      {"a(ba)*", "(ab)*a"},
      {"a+", "aa*", "a*a", "a{1,}"},
      {"(a|b)*abb", "(a*b*)*abb(b?){0}"},
      {"a?", "a|", "(|a)", "a{0,1}"},
  };
  for (const auto& group : groups) {
    const Dfa first = regex_to_dfa(group[0], "ab");
    for (const auto& p : group) {
      const Dfa d = regex_to_dfa(p, "ab");
      EXPECT_EQ(d.delta, first.delta) << p << " vs " << group[0];
      EXPECT_EQ(d.accepting, first.accepting) << p << " vs " << group[0];
      EXPECT_EQ(d.alphabet, first.alphabet);
    }
  }
  EXPECT_NE(regex_to_dfa("a*", "ab").delta, regex_to_dfa("b*", "ab").delta);
}

TEST(Regex, MinimizeIsIdempotent) {
  for (const char* p : {"(a|b)*a(a|b){2}", "(ab|ba)*", "a*b*c*", "(a(b|c))*c"}) {
    const Dfa d = regex_to_dfa(p, "abc");
    const Dfa again = minimize(d);
    EXPECT_EQ(again.delta, d.delta) << p;
    EXPECT_EQ(again.accepting, d.accepting) << p;
    EXPECT_EQ(again.num_states, d.num_states) << p;
  }
}

TEST(Regex, AlphabetAndTree) {
  const Regex r = parse_regex("c(ab)*");
  EXPECT_EQ(r.alphabet, (std::vector<char>{'a', 'b', 'c'}));
  ASSERT_TRUE(r.root);
  EXPECT_EQ(r.root->kind, RegexNode::Kind::Concat);
  ASSERT_EQ(r.root->children.size(), 2u);
  EXPECT_EQ(r.root->children[1]->kind, RegexNode::Kind::Star);
  const Regex rep = parse_regex("a{2,5}", "ab");
  EXPECT_EQ(rep.root->kind, RegexNode::Kind::Repeat);
  EXPECT_EQ(rep.root->min, 2);
  EXPECT_EQ(rep.root->max, 5);
  EXPECT_EQ(parse_regex("a{2,}", "a").root->max, -1);
  EXPECT_EQ(parse_regex("[^b]", "abc").root->set, (std::vector<char>{'a', 'c'}));
  EXPECT_EQ(parse_regex(".", "ba").root->set, (std::vector<char>{'a', 'b'}));
  EXPECT_EQ(parse_regex("[a-z]", "ab").root->set, (std::vector<char>{'a', 'b'}));
  EXPECT_EQ(parse_regex("[a-c]").alphabet, (std::vector<char>{'a', 'b', 'c'}));
  EXPECT_EQ(parse_regex("()", "ab").root->kind, RegexNode::Kind::Empty);
  const Dfa d = regex_to_dfa("ab", "ba");
  EXPECT_EQ(d.alphabet, (std::vector<std::string>{"a", "b"}));
  // Thompson NFA: one accepting state, epsilon moves.
  const Nfa n = regex_to_nfa(parse_regex("a|b"));
  EXPECT_TRUE(n.accepts({0}));
  EXPECT_TRUE(n.accepts({1}));
  EXPECT_FALSE(n.accepts({0, 1}));
  EXPECT_THROW(n.accepts({2}), std::invalid_argument);
}

void expect_regex_error(const std::string& pattern, const std::string& alphabet,
                        const std::string& what, int column) {
  try {
    regex_to_dfa(pattern, alphabet);
    ADD_FAILURE() << "no error for \"" << pattern << "\"";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("regex: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << "\"" << pattern << "\" gave: " << msg;
    EXPECT_NE(msg.find("at column " + std::to_string(column)), std::string::npos)
        << "\"" << pattern << "\" gave: " << msg;
  }
}

TEST(Regex, ErrorsNameWhatAndColumn) {
  expect_regex_error("(ab", "", "unbalanced parenthesis", 1);
  expect_regex_error("a(b(c)", "", "unbalanced parenthesis", 2);
  expect_regex_error("ab)", "", "unbalanced parenthesis", 3);
  expect_regex_error("*a", "", "dangling '*'", 1);
  expect_regex_error("a|+b", "", "dangling '+'", 3);
  expect_regex_error("(?)", "", "dangling '?'", 2);
  expect_regex_error("{2}", "", "dangling '{'", 1);
  expect_regex_error("a{3,1}", "", "bad repeat bounds {3,1}", 2);
  expect_regex_error("a{2", "", "malformed repeat", 2);
  expect_regex_error("a{,2}", "", "malformed repeat", 2);
  expect_regex_error("a{x}", "", "malformed repeat", 2);
  expect_regex_error("a{5000}", "", "exceeds 1000", 3);
  expect_regex_error("[]", "", "empty class", 1);
  expect_regex_error("a[^ab]", "ab", "excludes every symbol", 2);
  expect_regex_error("[^a]", "", "excludes every symbol", 1);
  expect_regex_error("[a", "", "unterminated class", 1);
  expect_regex_error("x[z-a]", "", "bad range", 3);
  expect_regex_error("abc", "ab", "symbol 'c' is not in the alphabet", 3);
  expect_regex_error("a[bc]", "ab", "symbol 'c' is not in the alphabet", 4);
  expect_regex_error("ab\\", "", "trailing backslash", 3);
  expect_regex_error("a]", "", "unexpected ']'", 2);
  expect_regex_error(".", "", "empty alphabet", 1);
  expect_regex_error("(a{1000}){1000}", "", "pattern too large", 10);
  expect_regex_error(std::string(600, '(') + "a" + std::string(600, ')'), "", "nested too deeply",
                     501);
  expect_regex_error("ab\xfa", "", "not an ASCII character", 3);
  expect_regex_error("[a-\xfa]", "", "not an ASCII character", 2);
  EXPECT_THROW(parse_regex("a", "aa"), std::invalid_argument);
  EXPECT_THROW(parse_regex("a", "a\xfa"), std::invalid_argument);
}

TEST(Nfa, MalformedNfaIsAnError) {
  Nfa bad;
  bad.alphabet = {"a"};
  bad.edges = {{{0, 5}}, {}};
  bad.start = 0;
  bad.accept = 1;
  EXPECT_FALSE(bad.accepts({}));
  EXPECT_THROW(bad.accepts({0}), std::invalid_argument);
  EXPECT_THROW(determinize(bad), std::invalid_argument);
  bad.accept = 9;
  EXPECT_THROW(bad.accepts({}), std::invalid_argument);
}

TEST(Regex, SubsetConstructionIsCapped) {
  // 2^20 subset states: refused with a clear error, not an out-of-memory crash.
  EXPECT_THROW(regex_to_dfa("(a|b)*a(a|b){19}", "ab"), std::invalid_argument);
  const Nfa nfa = regex_to_nfa(parse_regex("(a|b)*a(a|b){4}", "ab"));
  EXPECT_THROW(determinize(nfa, 16), std::invalid_argument);
  EXPECT_EQ(minimize(determinize(nfa, 1000)).num_states, 32);
}

}  // namespace
}  // namespace goose::automata
