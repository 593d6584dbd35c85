// The four-layer construction that recognises a regular language (the paper's Theorem 3
// route: position bookkeeping, lookup of the current elementary factor, execution by copies,
// read out against the classes; derivation in paper/constructions.md §2). RWKV-7's copy
// factor I − (e_x − e_y)e_xᵀ pulls a column, so a state row composes maps newest-innermost:
// the execution runs the co-automaton (preimages of the label classes) instead of the DFA.
// Exports CoAutomaton, co_automaton(), RegularSizes, regular_sizes(), regular_construction().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "automata/dfa.h"
#include "theory/construction.h"

namespace goose::theory {

// Points x stand for sets S_x of DFA states: the closure of the label classes L_c under
// preimages g_σ(S) = δ_σ⁻¹(S), minimised by the output f(x) = [start ∈ S_x]. After a prefix
// w = σ_1…σ_t, the state is in L_c iff f(g_σ1 ∘ … ∘ g_σt (x_c)) = 1.
struct CoAutomaton {
  int n = 0;                             // points (at least 2: a dummy point is added if needed)
  std::vector<std::vector<int>> pull;    // pull[σ][x] = g_σ(x)
  std::vector<uint8_t> value;            // f(x)
  std::vector<int> class_point;          // per class: x_c, or −1 (no state has it, or implicit)
  int64_t implicit = -1;                 // the class read as "none of the others", or −1
  std::vector<std::vector<int>> sets;    // per point: the DFA states of one set it stands for
  // g_w0 ∘ g_w1 ∘ … ∘ g_w(k−1) applied to x (the last symbol innermost).
  int compose(const std::vector<int>& word, int x) const;
};
// labels[q]: the class of state q, −1 unlabelled; classes: how many. A class listed in
// `implicit` gets no point (class_point −1): when every state is labelled, one class is
// "none of the others", and leaving it out keeps the complements of the sets out of the
// closure (binary accept labels would otherwise double the points).
CoAutomaton co_automaton(const automata::Dfa& dfa, const std::vector<int64_t>& labels, int64_t classes,
                         int64_t implicit = -1);

// What the construction needs for a co-automaton of n points over k symbols with K classes.
struct RegularSizes {
  int64_t n = 0, symbols = 0, classes = 0;
  int64_t head_size = 0, heads = 0, dim = 0;
  int64_t sign_heads = 0;        // layer 2: position phase read by this many signs
  int64_t features = 0;          // residual channels used
  double lookup_units = 0;       // layer 3's detectors: 2n·k^n + k^n + 1 + Σ_i k^(i+1) + 2
  int64_t units[4] = {0, 0, 0, 0};  // channel-mix units used per layer
};

ConstructionPlan regular_construction(const tasks::Task& task, tasks::Objective objective, int64_t dim);

}  // namespace goose::theory
