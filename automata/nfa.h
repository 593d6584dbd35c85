// Thompson NFAs (with epsilon moves) and the subset construction to a complete DFA.
// Exports Nfa, Nfa::accepts (direct simulation), determinize().
#pragma once
#include <string>
#include <vector>

#include "automata/dfa.h"

namespace goose::automata {

struct Nfa {
  struct Edge {
    int symbol;  // index into alphabet, or kEpsilon
    int to;
  };
  static constexpr int kEpsilon = -1;
  std::vector<std::string> alphabet;
  std::vector<std::vector<Edge>> edges;  // edges[state]
  int start = 0;
  int accept = 0;  // Thompson NFAs have one accepting state

  int num_states() const { return static_cast<int>(edges.size()); }
  bool accepts(const std::vector<int>& word) const;  // epsilon-closure simulation
};

// Complete (a dead state is added when needed). More than max_states subset states:
// std::invalid_argument, so a pattern like (a|b)*a(a|b){30} fails cleanly.
constexpr int kMaxDfaStates = 200000;
Dfa determinize(const Nfa& nfa, int max_states = kMaxDfaStates);

}  // namespace goose::automata
