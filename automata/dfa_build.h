// DFAs built from code and related to each other: build_dfa() from a transition function,
// state_map() from a DFA's states to those of an equivalent DFA (its minimisation), and
// live_states(). Exports build_dfa(), state_map(), live_states().
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "automata/dfa.h"

namespace goose::automata {

// The complete DFA with states 0..num_states-1, `accepting(q)` and `next(q, symbol)`.
// Validated: a transition out of range throws std::invalid_argument.
Dfa build_dfa(std::vector<std::string> alphabet, int num_states, int start,
              const std::function<bool(int)>& accepting, const std::function<int(int, int)>& next);

// For each state of `dfa`, the state of `equivalent` reached by the same words; -1 for the
// states of `dfa` unreachable from its start. `equivalent` must accept the same language over
// the same alphabet (e.g. minimize(dfa)); a different alphabet throws std::invalid_argument.
// Labels attached to the states of a hand-built DFA survive its minimisation through it.
std::vector<int> state_map(const Dfa& dfa, const Dfa& equivalent);

// Per state: 1 when some accepting state is reachable from it, 0 for a dead state.
std::vector<uint8_t> live_states(const Dfa& dfa);

}  // namespace goose::automata
