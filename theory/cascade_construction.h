// The three-layer cascade construction for mod-arith (paper/constructions.md §2.5): the value
// so far is s + m, the sum s of the completed terms (a Z5 angle counter) plus the current term m
// = σ·2^e or 0, computed by a Z4 angle counter of the digits' exponents, a register holding the
// counter's value at the last + or − (or "zero" after a digit 0), and detectors, instead of the
// regular construction's lookup table, which would be exponential in the co-automaton's 51
// points. Exports cascade_construction().
#pragma once
#include <cstdint>

#include "theory/construction.h"

namespace goose::theory {

// Throws std::invalid_argument unless `task` is mod-arith with an accept objective, or when
// `dim` (0: the narrowest) is too small or not a multiple of the head size.
ConstructionPlan cascade_construction(const tasks::Task& task, tasks::Objective objective, int64_t dim);

}  // namespace goose::theory
