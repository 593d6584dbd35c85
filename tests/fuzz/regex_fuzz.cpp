// libFuzzer harness for the regex pipeline: arbitrary bytes as a pattern (the first byte
// picks an explicit alphabet or none); when it parses, checks DFA invariants, engine
// agreement, and the monoid's algebra (class, group kind, derived length, letters' index and
// period against direct powers). Only std::invalid_argument (a one-line message) may escape
// the library. Built and run by scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined);
// ctest runs it for 30 s (label fuzz).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "automata/dfa.h"
#include "automata/monoid.h"
#include "automata/nfa.h"
#include "automata/regex.h"

using namespace goose::automata;

namespace {

void require(bool ok, const char* what, const std::string& pattern) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s (pattern of %zu bytes)\n", what, pattern.size());
  std::abort();
}

bool same(const Dfa& x, const Dfa& y) {
  return x.alphabet == y.alphabet && x.num_states == y.num_states && x.start == y.start &&
         x.accepting == y.accepting && x.delta == y.delta;
}

void check_engines(const Nfa& nfa, const Dfa& subset, const Dfa& minimal,
                   const std::vector<int>& word, const std::string& pattern) {
  const bool a = nfa.accepts(word);
  require(subset.accepts(word) == a, "subset DFA disagrees with NFA", pattern);
  require(minimal.accepts(word) == a, "minimal DFA disagrees with NFA", pattern);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kAlphabets[] = {"", "ab", "abc", "a", "ab()|*"};
  const std::string alphabet = kAlphabets[data[0] % 5];
  const std::string pattern(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const Regex regex = parse_regex(pattern, alphabet);
    const Nfa nfa = regex_to_nfa(regex);
    // A low subset cap (fewer states for larger alphabets) keeps every run fast; the
    // library's own cap is tested in test_automata.
    const int symbols = std::max<int>(1, static_cast<int>(nfa.alphabet.size()));
    const Dfa subset = determinize(nfa, std::max(64, 20000 / symbols));
    subset.validate();
    const Dfa minimal = minimize(subset);
    minimal.validate();
    require(minimal.num_states <= subset.num_states, "minimal DFA is larger", pattern);
    require(same(minimize(minimal), minimal), "minimize is not idempotent", pattern);
    require(same(regex_to_dfa(pattern, alphabet), minimal), "regex_to_dfa differs", pattern);
    require(same(dfa_from_json(dfa_to_json(minimal)), minimal), "JSON round trip differs",
            pattern);
    // The monoid of a small minimal DFA: a group of size > 1 is never aperiodic.
    if (minimal.num_states <= 12) {
      try {
        const MonoidInfo info = analyse_monoid(minimal, 5000);
        require(info.size >= 1 && info.largest_group_order <= info.size, "monoid sizes", pattern);
        require(!(info.is_group && info.size > 1 &&
                  info.algebraic_class == AlgebraicClass::Aperiodic),
                "non-trivial group monoid called aperiodic", pattern);
        require((info.largest_group_order == 1) ==
                    (info.algebraic_class == AlgebraicClass::Aperiodic),
                "aperiodic iff all subgroups trivial", pattern);
        require((info.group_kind == GroupKind::Trivial) == (info.algebraic_class == AlgebraicClass::Aperiodic),
                "group kind trivial iff aperiodic", pattern);
        require((info.derived_length < 0) == (info.algebraic_class == AlgebraicClass::NonSolvable),
                "derived length -1 iff non-solvable", pattern);
        require((info.group_kind == GroupKind::NonSolvable) == (info.derived_length < 0),
                "group kind non-solvable iff derived length -1", pattern);
        require(info.derived_length <= 1 || info.group_kind == GroupKind::Solvable,
                "derived length >= 2 only for non-abelian solvable groups", pattern);
      } catch (const std::invalid_argument&) {
      }
    }
    const int k = minimal.num_symbols();
    if (k == 0) return 0;
    // Each letter's index m and period p: t^(m+p) = t^m, and neither is smaller.
    if (minimal.num_states <= 16) {
      const std::vector<LetterCycle> cycles = letter_cycles(minimal);
      require(static_cast<int>(cycles.size()) == k, "one cycle per letter", pattern);
      for (int a = 0; a < k; ++a) {
        auto power = [&](uint64_t e) {
          std::vector<int> p(minimal.num_states);
          for (int q = 0; q < minimal.num_states; ++q) {
            int x = q;
            for (uint64_t i = 0; i < e; ++i) x = minimal.next(x, a);
            p[q] = x;
          }
          return p;
        };
        const uint64_t m = static_cast<uint64_t>(cycles[a].index), p = cycles[a].period;
        require(m >= 1 && p >= 1 && p <= 1000000, "index and period in range", pattern);
        require(power(m + p) == power(m), "t^(m+p) = t^m", pattern);
        require(m == 1 || power(m - 1 + p) != power(m - 1), "index is minimal", pattern);
        for (uint64_t d = 1; d < p; ++d) require(power(m + d) != power(m), "period is minimal", pattern);
      }
    }
    // Every short word (length 4 over 1-3 symbols, 2 over 4-8), plus the input's bytes
    // read as a word.
    const size_t max_len = k <= 3 ? 4 : 2;
    std::vector<std::vector<int>> words = {{}};
    for (size_t i = 0; i < words.size() && k <= 8; ++i) {
      if (words[i].size() == max_len) continue;
      for (int a = 0; a < k; ++a) {
        auto w = words[i];
        w.push_back(a);
        words.push_back(std::move(w));
      }
    }
    std::vector<int> spelled;
    for (size_t i = 1; i < size && spelled.size() < 32; ++i) spelled.push_back(data[i] % k);
    words.push_back(spelled);
    for (const auto& w : words) check_engines(nfa, subset, minimal, w, pattern);
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    require(!msg.empty() && msg.find('\n') == std::string::npos, "error message not one line",
            pattern);
  }
  return 0;
}
