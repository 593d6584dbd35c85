// The transition monoid of a DFA and the algebra the theory ranks languages by: the class
// (aperiodic / solvable / non-solvable), the worst group kind and derived length over the
// maximal subgroups, and each letter's index and period. Exports MonoidInfo, AlgebraicClass,
// analyse_monoid(), LetterCycle, letter_cycles().
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "automata/dfa.h"
#include "automata/group.h"

namespace goose::automata {

enum class AlgebraicClass { Aperiodic, Solvable, NonSolvable };
std::string to_string(AlgebraicClass c);  // "aperiodic" | "solvable" | "non-solvable"

struct MonoidInfo {
  size_t size = 0;                 // number of distinct transformations, identity included
  bool is_group = false;           // every transformation is a permutation of the states
  bool commutative = false;
  AlgebraicClass algebraic_class = AlgebraicClass::Aperiodic;
  size_t largest_group_order = 1;  // largest maximal subgroup found
  // Over the maximal subgroups (the H-classes of idempotents): the worst kind (Trivial iff
  // aperiodic) and the largest derived length (-1 when one of them is not solvable).
  GroupKind group_kind = GroupKind::Trivial;
  int derived_length = 0;
};

// Past `limit` elements: std::invalid_argument "transition monoid exceeds N elements ...".
constexpr size_t kDefaultMonoidLimit = 200000;
// Applies to the minimal DFA of the language: pass minimize(dfa) for the language's class.
MonoidInfo analyse_monoid(const Dfa& dfa, size_t limit = kDefaultMonoidLimit);

// The monogenic semigroup {t, t^2, ...} of one letter's transformation t: index m >= 1 and
// period p >= 1 are the smallest with t^(m+p) = t^m. REFERENCE.md §3: one layer of a
// real-eigenvalue recurrence follows a repeated symbol only when p <= 2.
constexpr uint64_t kMaxLetterPeriod = uint64_t{1} << 62;  // larger periods saturate here
struct LetterCycle {
  int64_t index = 1;
  uint64_t period = 1;
  bool permutation = true;  // t is a bijection of the states
  bool idempotent() const { return index == 1 && period == 1; }       // t∘t = t
  bool involution() const { return permutation && period <= 2; }      // t∘t = identity
};
// One per symbol, in alphabet order; O(states) each. Use the minimal DFA: the language's
// letters, not an automaton's redundant states.
std::vector<LetterCycle> letter_cycles(const Dfa& dfa);

}  // namespace goose::automata
