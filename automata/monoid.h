// The transition monoid of a DFA and the algebraic class of its language: aperiodic
// (star-free), solvable (only solvable groups), non-solvable (NC1-complete).
// Exports MonoidInfo, AlgebraicClass, analyse_monoid().
#pragma once
#include <cstddef>
#include <string>

#include "automata/dfa.h"

namespace goose::automata {

enum class AlgebraicClass { Aperiodic, Solvable, NonSolvable };
std::string to_string(AlgebraicClass c);  // "aperiodic" | "solvable" | "non-solvable"

struct MonoidInfo {
  size_t size = 0;                 // number of distinct transformations, identity included
  bool is_group = false;           // every transformation is a permutation of the states
  bool commutative = false;
  AlgebraicClass algebraic_class = AlgebraicClass::Aperiodic;
  size_t largest_group_order = 1;  // largest maximal subgroup found
};

// Past `limit` elements: std::invalid_argument "transition monoid exceeds N elements ...".
constexpr size_t kDefaultMonoidLimit = 200000;
// Applies to the minimal DFA of the language: pass minimize(dfa) for the language's class.
MonoidInfo analyse_monoid(const Dfa& dfa, size_t limit = kDefaultMonoidLimit);

}  // namespace goose::automata
