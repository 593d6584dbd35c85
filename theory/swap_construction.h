// The one-layer construction for permutation word problems whose every input is a
// transposition or the identity (group:S_n@transpositions, groups from GAP cycles with such
// inputs) and for DFAs whose every symbol swaps two states or none (parity). Exports SwapPlan,
// plan_swap(), swap_construction().
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "theory/construction.h"

namespace goose::theory {

// Points: the coordinates every head's WKV state lives on (the permutation domain of a group,
// or the DFA's states). Each tracked point h is followed by one row vector e_hᵀ, written at
// BOS, that every swap token moves by the reflection I − 2κ̂κ̂ᵀ, κ̂ = (e_x − e_y)/√2.
struct SwapPlan {
  std::string mode;                         // "group" | "dfa"
  int points = 0;                           // n
  std::vector<int> tracked;                 // group: points 0..n−2 (the last follows); dfa: {start}
  std::vector<std::pair<int, int>> swaps;   // per input symbol: (x, y), or (−1, −1) for the identity
  std::vector<std::vector<int>> images;     // per DFA state: where each tracked point is
  std::vector<int64_t> labels;              // per DFA state: its class, −1 unlabelled
  int64_t classes = 0;
};

// Throws std::invalid_argument when the task is not covered: an input that is neither a
// transposition nor the identity, or (group tasks) an objective other than state.
SwapPlan plan_swap(const tasks::Task& task, tasks::Objective objective);

// One layer, head size n, |tracked|·n heads (head (t, j) answers "is tracked point t at
// point j?"), width |tracked|·n² unless the residual groups need more (or options.dim asks).
ConstructionPlan swap_construction(const tasks::Task& task, tasks::Objective objective, int64_t dim);

}  // namespace goose::theory
