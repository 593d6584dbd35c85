// Test-only oracle: a backtracking regex matcher with its own tiny parser, independent of
// automata/regex.cpp, for exhaustive agreement tests against the NFA/DFA pipeline.
// Exports BacktrackMatcher (full-string matching over single-character symbols).
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace goose::testing {

class BacktrackMatcher {
 public:
  // alphabet "" = the characters the pattern names (as in automata/regex.h). Throws
  // std::runtime_error on patterns it cannot parse (tests only feed it valid ones).
  BacktrackMatcher(const std::string& pattern, const std::string& alphabet = "");
  ~BacktrackMatcher();
  bool matches(const std::string& text) const;
  const std::string& alphabet() const { return alphabet_; }

  struct Node;

 private:
  std::unique_ptr<Node> root_;
  std::string alphabet_;
  bool in_alphabet_[256] = {};
};

}  // namespace goose::testing
