// The regex dialect: literals, concatenation, |, *, +, ?, {m}, {m,}, {m,n}, ( ), classes
// [abc] [a-c] [^a], . (any alphabet symbol), escapes \x. Symbols are single ASCII characters.
// Exports parse_regex (AST), regex_to_nfa, regex_to_dfa (minimal complete DFA).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "automata/dfa.h"
#include "automata/nfa.h"

namespace goose::automata {

struct RegexNode {
  enum class Kind { Empty, Set, Concat, Alt, Star, Plus, Optional, Repeat };
  Kind kind = Kind::Empty;
  std::vector<char> set;  // Kind::Set: the symbols matched (already resolved against alphabet)
  std::vector<std::unique_ptr<RegexNode>> children;
  int min = 0, max = -1;  // Kind::Repeat; max -1 = unbounded
};

struct Regex {
  std::vector<char> alphabet;  // sorted; the symbols used, or the one given
  std::unique_ptr<RegexNode> root;
};

// alphabet: "" = the symbols the pattern uses; otherwise exactly these characters (a symbol
// outside it is an error). Errors: std::invalid_argument "regex: <what> at column <c>".
Regex parse_regex(const std::string& pattern, const std::string& alphabet = "");
Nfa regex_to_nfa(const Regex& regex);
Dfa regex_to_dfa(const std::string& pattern, const std::string& alphabet = "");

}  // namespace goose::automata
