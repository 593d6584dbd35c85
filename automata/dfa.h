// Complete deterministic finite automata over named symbols: the common currency of
// gooselab's automata code. Exports Dfa, minimize(), JSON and DOT conversion.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace goose::automata {

// A complete DFA. Symbols are indices into `alphabet` (regex languages use one-character
// names; group tasks name elements, e.g. "(1,2)"). Transition table is row-major:
// delta[state * alphabet.size() + symbol]. User-input errors throw std::invalid_argument.
struct Dfa {
  std::vector<std::string> alphabet;
  int num_states = 0;
  int start = 0;
  std::vector<uint8_t> accepting;        // [num_states], 0 or 1
  std::vector<int32_t> delta;            // [num_states * alphabet.size()]
  std::vector<std::string> state_names;  // empty, or [num_states] (e.g. group elements)

  int num_symbols() const { return static_cast<int>(alphabet.size()); }
  int next(int state, int symbol) const {
    return delta[static_cast<size_t>(state) * alphabet.size() + symbol];
  }
  int symbol_index(const std::string& name) const;  // -1 when absent
  int run(const std::vector<int>& word) const;      // state reached from start
  bool accepts(const std::vector<int>& word) const;
  // Throws std::invalid_argument naming the first problem (sizes, range, duplicates).
  void validate() const;
};

// The minimal complete DFA of the same language: unreachable states removed, equivalent
// states merged, states renumbered in breadth-first order from the start (canonical,
// so equal languages over the same alphabet give identical Dfa values). State names are
// kept when every merged class has exactly one named state, dropped otherwise.
Dfa minimize(const Dfa& dfa);

// JSON: {"alphabet":[...], "states":N, "start":s, "accepting":[...],
//        "transitions":[[t(s,0), t(s,1), ...] per state], "state_names":[...] (optional)}
// "accepting" lists the indices of the accepting states; unknown keys are errors.
Dfa dfa_from_json(const std::string& text);       // full validation, one-line errors
Dfa read_dfa_file(const std::string& path);        // error names the path
std::string dfa_to_json(const Dfa& dfa);
std::string dfa_to_dot(const Dfa& dfa);            // Graphviz, accepting states doublecircle

}  // namespace goose::automata
