// NFAs with epsilon moves: direct simulation by epsilon closures, and the subset
// construction to a complete DFA (the empty subset is the dead state).
#include "automata/nfa.h"

#include <algorithm>
#include <unordered_map>
#include <stdexcept>

namespace goose::automata {

namespace {

// An edge's target, checked: Nfa::accepts validates lazily, only the edges it follows.
int target(const Nfa& nfa, const Nfa::Edge& e) {
  if (e.to < 0 || e.to >= nfa.num_states())
    throw std::invalid_argument("nfa: edge to state " + std::to_string(e.to) + " is out of range");
  return e.to;
}

// Adds the epsilon closure of `set` (in place); `mark` is scratch, all zero on entry and exit.
void close(const Nfa& nfa, std::vector<int>& set, std::vector<uint8_t>& mark) {
  for (int s : set) mark[s] = 1;
  std::vector<int> stack = set;
  while (!stack.empty()) {
    const int s = stack.back();
    stack.pop_back();
    for (const auto& e : nfa.edges[s])
      if (e.symbol == Nfa::kEpsilon && !mark[target(nfa, e)]) {
        mark[e.to] = 1;
        set.push_back(e.to);
        stack.push_back(e.to);
      }
  }
  for (int s : set) mark[s] = 0;
}

std::vector<int> step(const Nfa& nfa, const std::vector<int>& set, int symbol,
                      std::vector<uint8_t>& mark) {
  std::vector<int> out;
  for (int s : set)
    for (const auto& e : nfa.edges[s])
      if (e.symbol == symbol && !mark[target(nfa, e)]) {
        mark[e.to] = 1;
        out.push_back(e.to);
      }
  for (int s : out) mark[s] = 0;
  close(nfa, out, mark);
  return out;
}

struct SubsetHash {
  size_t operator()(const std::vector<int>& v) const {
    uint64_t h = 1469598103934665603ULL;
    for (int x : v) h = (h ^ static_cast<uint32_t>(x)) * 1099511628211ULL;
    return static_cast<size_t>(h);
  }
};

void check(const Nfa& nfa) {
  const int n = nfa.num_states();
  if (nfa.start < 0 || nfa.start >= n || nfa.accept < 0 || nfa.accept >= n)
    throw std::invalid_argument("nfa: start or accept state out of range");
  const int k = static_cast<int>(nfa.alphabet.size());
  for (int s = 0; s < n; ++s)
    for (const auto& e : nfa.edges[s])
      if (e.to < 0 || e.to >= n || e.symbol < Nfa::kEpsilon || e.symbol >= k)
        throw std::invalid_argument("nfa: edge from state " + std::to_string(s) +
                                    " has a bad symbol or target");
}

}  // namespace

bool Nfa::accepts(const std::vector<int>& word) const {
  if (start < 0 || start >= num_states() || accept < 0 || accept >= num_states())
    throw std::invalid_argument("nfa: start or accept state out of range");
  std::vector<uint8_t> mark(num_states(), 0);
  std::vector<int> set = {start};
  close(*this, set, mark);
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] < 0 || word[i] >= static_cast<int>(alphabet.size()))
      throw std::invalid_argument("nfa: symbol " + std::to_string(word[i]) + " at position " +
                                  std::to_string(i) + " is outside the alphabet");
    set = step(*this, set, word[i], mark);
    if (set.empty()) return false;
  }
  return std::find(set.begin(), set.end(), accept) != set.end();
}

Dfa determinize(const Nfa& nfa, int max_states) {
  check(nfa);
  const int k = static_cast<int>(nfa.alphabet.size());
  std::vector<uint8_t> mark(nfa.num_states(), 0);
  std::vector<int> first = {nfa.start};
  close(nfa, first, mark);
  std::sort(first.begin(), first.end());

  std::unordered_map<std::vector<int>, int, SubsetHash> index;
  std::vector<std::vector<int>> subsets;
  index.emplace(first, 0);
  subsets.push_back(first);
  Dfa dfa;
  dfa.alphabet = nfa.alphabet;
  // One pass over a subset's edges fills every symbol's bucket (large alphabets with '.'
  // would otherwise rescan the subset once per symbol).
  std::vector<std::vector<int>> buckets(k);
  for (size_t i = 0; i < subsets.size(); ++i) {
    for (auto& b : buckets) b.clear();
    for (int s : subsets[i])
      for (const auto& e : nfa.edges[s])
        if (e.symbol != Nfa::kEpsilon) buckets[e.symbol].push_back(e.to);
    for (int a = 0; a < k; ++a) {
      std::vector<int> next;
      for (int t : buckets[a])
        if (!mark[t]) {
          mark[t] = 1;
          next.push_back(t);
        }
      for (int t : next) mark[t] = 0;
      close(nfa, next, mark);
      std::sort(next.begin(), next.end());
      auto it = index.find(next);
      int id;
      if (it == index.end()) {
        id = static_cast<int>(subsets.size());
        if (subsets.size() >= static_cast<size_t>(std::max(max_states, 1)))
          throw std::invalid_argument("determinize: the subset construction exceeds " +
                                      std::to_string(max_states) + " DFA states");
        index.emplace(next, id);
        subsets.push_back(std::move(next));
      } else {
        id = it->second;
      }
      dfa.delta.push_back(id);
    }
  }
  dfa.num_states = static_cast<int>(subsets.size());
  dfa.start = 0;
  dfa.accepting.resize(dfa.num_states);
  for (int s = 0; s < dfa.num_states; ++s)
    dfa.accepting[s] =
        std::binary_search(subsets[s].begin(), subsets[s].end(), nfa.accept) ? 1 : 0;
  return dfa;
}

}  // namespace goose::automata
