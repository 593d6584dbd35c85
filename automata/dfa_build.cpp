// DFAs from transition functions, state maps between equivalent DFAs, live states
// (see dfa_build.h).
#include "automata/dfa_build.h"

#include <stdexcept>

namespace goose::automata {

Dfa build_dfa(std::vector<std::string> alphabet, int num_states, int start,
              const std::function<bool(int)>& accepting, const std::function<int(int, int)>& next) {
  Dfa dfa;
  dfa.alphabet = std::move(alphabet);
  dfa.num_states = num_states;
  dfa.start = start;
  dfa.accepting.resize(num_states > 0 ? num_states : 0);
  const size_t k = dfa.alphabet.size();
  dfa.delta.resize(dfa.accepting.size() * k);
  for (int q = 0; q < num_states; ++q) {
    dfa.accepting[q] = accepting(q) ? 1 : 0;
    for (size_t a = 0; a < k; ++a) dfa.delta[q * k + a] = next(q, static_cast<int>(a));
  }
  dfa.validate();
  return dfa;
}

std::vector<int> state_map(const Dfa& dfa, const Dfa& equivalent) {
  if (dfa.alphabet != equivalent.alphabet)
    throw std::invalid_argument("state_map: the two DFAs have different alphabets");
  std::vector<int> map(dfa.num_states, -1);
  std::vector<int> queue{dfa.start};
  map[dfa.start] = equivalent.start;
  for (size_t i = 0; i < queue.size(); ++i) {
    const int q = queue[i];
    for (int a = 0; a < dfa.num_symbols(); ++a) {
      const int r = dfa.next(q, a);
      if (map[r] < 0) {
        map[r] = equivalent.next(map[q], a);
        queue.push_back(r);
      }
    }
  }
  return map;
}

std::vector<uint8_t> live_states(const Dfa& dfa) {
  // Backward search from the accepting states over reversed transitions.
  std::vector<std::vector<int32_t>> from(dfa.num_states);
  for (int q = 0; q < dfa.num_states; ++q)
    for (int a = 0; a < dfa.num_symbols(); ++a) from[dfa.next(q, a)].push_back(q);
  std::vector<uint8_t> live(dfa.num_states, 0);
  std::vector<int32_t> queue;
  for (int q = 0; q < dfa.num_states; ++q)
    if (dfa.accepting[q]) {
      live[q] = 1;
      queue.push_back(q);
    }
  for (size_t i = 0; i < queue.size(); ++i)
    for (int32_t p : from[queue[i]])
      if (!live[p]) {
        live[p] = 1;
        queue.push_back(p);
      }
  return live;
}

}  // namespace goose::automata
