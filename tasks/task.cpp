// Task specs turned into Tasks: the hand-built DFAs of the named languages (parity,
// even-pairs, cycle-nav, mod-arith, tomita, dyck), regex and DFA-file languages, and group
// word problems with an optional restriction of the input elements.
#include "tasks/task.h"

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>

#include "automata/regex.h"

namespace goose::tasks {
namespace {

using automata::Dfa;
using automata::FiniteGroup;

// A DFA from a transition function; `next(state, symbol)`.
Dfa build_dfa(std::vector<std::string> alphabet, int num_states, int start,
              const std::function<bool(int)>& accepting,
              const std::function<int(int, int)>& next) {
  Dfa dfa;
  dfa.alphabet = std::move(alphabet);
  dfa.num_states = num_states;
  dfa.start = start;
  dfa.accepting.resize(num_states);
  dfa.delta.resize(static_cast<size_t>(num_states) * dfa.alphabet.size());
  for (int q = 0; q < num_states; ++q) {
    dfa.accepting[q] = accepting(q) ? 1 : 0;
    for (int a = 0; a < dfa.num_symbols(); ++a) dfa.delta[q * dfa.alphabet.size() + a] = next(q, a);
  }
  dfa.validate();
  return dfa;
}

// For each state of `raw`, the state of `min` (the minimised `raw`) reached by the same
// words; -1 for states of `raw` unreachable from its start.
std::vector<int> state_map(const Dfa& raw, const Dfa& min) {
  std::vector<int> map(raw.num_states, -1);
  std::vector<int> queue{raw.start};
  map[raw.start] = min.start;
  for (size_t i = 0; i < queue.size(); ++i) {
    const int q = queue[i];
    for (int a = 0; a < raw.num_symbols(); ++a) {
      const int r = raw.next(q, a);
      if (map[r] < 0) {
        map[r] = min.next(map[q], a);
        queue.push_back(r);
      }
    }
  }
  return map;
}

int parse_int(const std::string& text, const std::string& what, const std::string& spec) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw std::invalid_argument("task '" + spec + "': " + what + " '" + text + "' is not an integer");
  return value;
}

Task parity() {
  Task t;
  t.description = "parity: count of 1s mod 2 over {0,1}; accepts an odd count (label = the parity bit)";
  t.dfa = build_dfa({"0", "1"}, 2, 0, [](int q) { return q == 1; },
                    [](int q, int a) { return q ^ a; });
  return t;
}

Task even_pairs() {
  Task t;
  t.description =
      "even-pairs: strings over {a,b} with an even number of ab and ba pairs (first == last symbol)";
  // 0 start; 1 first a, last a; 2 first a, last b; 3 first b, last b; 4 first b, last a.
  t.dfa = automata::minimize(build_dfa(
      {"a", "b"}, 5, 0, [](int q) { return q == 0 || q == 1 || q == 3; },
      [](int q, int a) {
        if (q == 0) return a == 0 ? 1 : 3;
        if (q <= 2) return a == 0 ? 1 : 2;
        return a == 1 ? 3 : 4;
      }));
  return t;
}

Task cycle_nav(int n, const std::string& spec) {
  if (n < 2 || n > 100000)
    throw std::invalid_argument("task '" + spec + "': cycle length must be in [2, 100000]");
  Task t;
  t.description = "cycle-nav:" + std::to_string(n) + ": position on a cycle of " +
                  std::to_string(n) + " after moves - 0 + from 0; state = position, accepts position 0";
  // Kept in natural numbering (already minimal): state label = position.
  t.dfa = build_dfa({"-", "0", "+"}, n, 0, [](int q) { return q == 0; },
                    [n](int q, int a) { return (q + a - 1 + n) % n; });
  for (int q = 0; q < n; ++q) t.dfa.state_names.push_back(std::to_string(q));
  return t;
}

// Modular arithmetic without brackets (Deletang et al.): numbers 0-4 alternating with
// + - * , evaluated mod 5 with the usual precedence (* before + and -). States: expecting
// a number E(s,m) (value = s + m*next...), expecting an operator O(s,t) (value s+t), dead.
Task mod_arith() {
  constexpr int kE = 0, kO = 25, kDead = 50;
  auto next = [](int q, int a) {
    const bool digit = a < 5;
    if (q == kDead) return kDead;
    if (q < kO) {  // E(s,m)
      const int s = q / 5, m = q % 5;
      return digit ? kO + s * 5 + (m * a) % 5 : kDead;
    }
    const int s = (q - kO) / 5, t = (q - kO) % 5;
    if (digit) return kDead;
    if (a == 5) return kE + ((s + t) % 5) * 5 + 1;  // +
    if (a == 6) return kE + ((s + t) % 5) * 5 + 4;  // -
    return kE + s * 5 + t;                          // *
  };
  auto value = [](int q) { return q >= kO && q < kDead ? ((q - kO) / 5 + (q - kO) % 5) % 5 : -1; };
  const Dfa raw = build_dfa({"0", "1", "2", "3", "4", "+", "-", "*"}, 51, kE + 1,
                            [&](int q) { return value(q) == 0; }, next);
  Task t;
  t.description =
      "mod-arith: numbers 0-4 alternating with + - *, value mod 5 with * before + and -; "
      "accepts value 0; accept labels = value so far (5 classes), none after an operator";
  t.dfa = automata::minimize(raw);
  const std::vector<int> map = state_map(raw, t.dfa);
  t.outputs.assign(t.dfa.num_states, -1);
  for (int q = 0; q < raw.num_states; ++q)
    if (map[q] >= 0) t.outputs[map[q]] = value(q);
  t.output_names = {"0", "1", "2", "3", "4"};
  t.live_only = true;
  return t;
}

Task tomita(int n, const std::string& spec) {
  const std::vector<std::string> bits{"0", "1"};
  Task t;
  Dfa raw;
  switch (n) {
    case 1:  // 1*
      t.description = "tomita:1: 1*";
      raw = build_dfa(bits, 2, 0, [](int q) { return q == 0; },
                      [](int q, int a) { return q == 0 && a == 1 ? 0 : 1; });
      break;
    case 2:  // (10)*
      t.description = "tomita:2: (10)*";
      raw = build_dfa(bits, 3, 0, [](int q) { return q == 0; }, [](int q, int a) {
        if (q == 0) return a == 1 ? 1 : 2;
        if (q == 1) return a == 0 ? 0 : 2;
        return 2;
      });
      break;
    case 3:
      // 0 start/safe zeros, 1 odd 1-run, 2 even 1-run, 3 odd 0-run after an odd 1-run,
      // 4 even 0-run after an odd 1-run, 5 dead.
      t.description = "tomita:3: no odd-length run of 1s directly followed by an odd-length run of 0s";
      raw = build_dfa(bits, 6, 0, [](int q) { return q != 3 && q != 5; }, [](int q, int a) {
        static const int table[6][2] = {{0, 1}, {3, 2}, {0, 1}, {4, 5}, {3, 1}, {5, 5}};
        return table[q][a];
      });
      break;
    case 4:  // no 000; state = trailing zeros
      t.description = "tomita:4: no three consecutive 0s";
      raw = build_dfa(bits, 4, 0, [](int q) { return q < 3; },
                      [](int q, int a) { return q == 3 ? 3 : (a == 1 ? 0 : q + 1); });
      break;
    case 5:  // even 0s and even 1s; state = (zeros % 2) * 2 + ones % 2
      t.description = "tomita:5: even number of 0s and even number of 1s";
      raw = build_dfa(bits, 4, 0, [](int q) { return q == 0; },
                      [](int q, int a) { return a == 0 ? q ^ 2 : q ^ 1; });
      break;
    case 6:  // (#0 - #1) mod 3 == 0
      t.description = "tomita:6: (number of 0s - number of 1s) divisible by 3";
      raw = build_dfa(bits, 3, 0, [](int q) { return q == 0; },
                      [](int q, int a) { return a == 0 ? (q + 1) % 3 : (q + 2) % 3; });
      break;
    case 7:  // 0*1*0*1*; state = phase, 4 dead
      t.description = "tomita:7: 0*1*0*1*";
      raw = build_dfa(bits, 5, 0, [](int q) { return q < 4; }, [](int q, int a) {
        static const int table[5][2] = {{0, 1}, {2, 1}, {2, 3}, {4, 3}, {4, 4}};
        return table[q][a];
      });
      break;
    default:
      throw std::invalid_argument("task '" + spec + "': Tomita grammars are numbered 1 to 7");
  }
  t.dfa = automata::minimize(raw);
  return t;
}

// Bracket strings with K types, nesting depth at most D. States are the stacks.
Task dyck(int k, int d, const std::string& spec) {
  static const char* kOpen = "([{<";
  static const char* kClose = ")]}>";
  if (k < 1 || k > 4) throw std::invalid_argument("task '" + spec + "': dyck needs 1 to 4 bracket types");
  if (d < 1) throw std::invalid_argument("task '" + spec + "': dyck depth must be at least 1");
  double count = 0, power = 1;
  for (int i = 0; i <= d; ++i, power *= k) count += power;
  constexpr int kMaxDyckStates = 100000;
  if (count > kMaxDyckStates)
    throw std::invalid_argument("task '" + spec + "': dyck:" + std::to_string(k) + ":" +
                                std::to_string(d) + " needs more than " +
                                std::to_string(kMaxDyckStates) + " states");
  // Stacks enumerated breadth-first by depth: stack -> index.
  std::vector<std::vector<int>> stacks{{}};
  std::map<std::vector<int>, int> index{{{}, 0}};
  for (size_t i = 0; i < stacks.size(); ++i) {
    if (static_cast<int>(stacks[i].size()) == d) continue;
    for (int b = 0; b < k; ++b) {
      std::vector<int> s = stacks[i];
      s.push_back(b);
      index[s] = static_cast<int>(stacks.size());
      stacks.push_back(s);
    }
  }
  const int dead = static_cast<int>(stacks.size());
  std::vector<std::string> alphabet;
  for (int b = 0; b < k; ++b) {
    alphabet.push_back(std::string(1, kOpen[b]));
    alphabet.push_back(std::string(1, kClose[b]));
  }
  Task t;
  t.description = "dyck:" + std::to_string(k) + ":" + std::to_string(d) + ": balanced strings of " +
                  std::to_string(k) + " bracket type(s) " + std::string(kOpen, k) + " " +
                  std::string(kClose, k) + ", nesting depth at most " + std::to_string(d);
  t.dfa = automata::minimize(build_dfa(
      alphabet, dead + 1, 0, [](int q) { return q == 0; }, [&](int q, int a) {
        if (q == dead) return dead;
        std::vector<int> s = stacks[q];
        const int b = a / 2;
        if (a % 2 == 0) {
          if (static_cast<int>(s.size()) == d) return dead;
          s.push_back(b);
        } else {
          if (s.empty() || s.back() != b) return dead;
          s.pop_back();
        }
        return index.at(s);
      }));
  t.live_only = true;
  return t;
}

// The position of the last '@' that is not escaped with a backslash, or npos.
size_t split_at(const std::string& text) {
  for (size_t i = text.size(); i-- > 0;)
    if (text[i] == '@' && (i == 0 || text[i - 1] != '\\')) return i;
  return std::string::npos;
}

Task regex_task(const std::string& body) {
  const size_t at = split_at(body);
  const std::string pattern = body.substr(0, at);
  const std::string alphabet = at == std::string::npos ? "" : body.substr(at + 1);
  if (at != std::string::npos && alphabet.empty())
    throw std::invalid_argument("task 'regex:" + body + "': empty alphabet after '@'");
  Task t;
  t.dfa = automata::regex_to_dfa(pattern, alphabet);
  std::string letters;
  for (const auto& s : t.dfa.alphabet) letters += (letters.empty() ? "" : ",") + s;
  t.description = "regex " + pattern + " over {" + letters + "}";
  return t;
}

Task dfa_task(const std::string& path) {
  if (path.empty()) throw std::invalid_argument("task 'dfa:': missing file path (dfa:PATH.json)");
  Task t;
  t.dfa = automata::minimize(automata::read_dfa_file(path));
  t.description = "DFA from " + path;
  return t;
}

// Top-level comma-separated parts: "(1,2),(1,2,3)" -> "(1,2)", "(1,2,3)".
std::vector<std::string> split_elements(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  return parts;
}

std::vector<int> group_inputs(const FiniteGroup& g, const std::string& which, const std::string& spec) {
  std::vector<int> inputs;
  if (which.empty() || which == "all") {
    for (int e = 0; e < g.order(); ++e) inputs.push_back(e);
  } else if (which == "transpositions") {
    inputs = g.transpositions();
    if (inputs.empty()) throw std::invalid_argument("task '" + spec + "': group " + g.name + " has no transpositions");
  } else if (which == "generators") {
    inputs = g.generators;
  } else {
    const int degree = static_cast<int>(g.elements[0].size());
    for (const std::string& part : split_elements(which)) {
      const automata::Permutation p = automata::parse_cycles(part, degree);
      const auto it = std::find(g.elements.begin(), g.elements.end(), p);
      if (static_cast<int>(p.size()) != degree || it == g.elements.end())
        throw std::invalid_argument("task '" + spec + "': " + part + " is not an element of " + g.name);
      inputs.push_back(static_cast<int>(it - g.elements.begin()));
    }
  }
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return inputs;
}

// The subgroup generated by `inputs` (identity first, breadth-first), with `inputs`
// mapped to its element indices.
FiniteGroup subgroup(const FiniteGroup& g, std::vector<int>& inputs) {
  std::vector<int> members{g.identity()};
  std::vector<int> local(g.order(), -1);
  local[g.identity()] = 0;
  for (size_t i = 0; i < members.size(); ++i)
    for (int x : inputs) {
      const int y = g.multiply(members[i], x);
      if (local[y] < 0) {
        local[y] = static_cast<int>(members.size());
        members.push_back(y);
      }
    }
  if (static_cast<int>(members.size()) == g.order()) return g;
  FiniteGroup h;
  h.name = "subgroup of " + g.name;
  const int n = static_cast<int>(members.size());
  for (int e : members) {
    h.element_names.push_back(g.element_names[e]);
    h.elements.push_back(g.elements[e]);
  }
  h.table.resize(static_cast<size_t>(n) * n);
  h.inverse_of.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) h.table[static_cast<size_t>(i) * n + j] = local[g.multiply(members[i], members[j])];
    h.inverse_of[i] = local[g.inverse(members[i])];
  }
  for (int& x : inputs) x = local[x];
  h.generators = inputs;
  return h;
}

Task group_task(const std::string& body, const std::string& spec) {
  const size_t at = split_at(body);
  const std::string name = body.substr(0, at);
  const std::string which = at == std::string::npos ? "" : body.substr(at + 1);
  if (at != std::string::npos && which.empty())
    throw std::invalid_argument("task '" + spec + "': nothing after '@' (all, transpositions, generators or elements)");
  const FiniteGroup full = automata::parse_group(name);
  std::vector<int> inputs = group_inputs(full, which, spec);
  // The transition table has inputs x order entries: refuse what would not fit in memory.
  constexpr double kMaxTableEntries = 1 << 24;
  if (static_cast<double>(inputs.size()) * full.order() > kMaxTableEntries)
    throw std::invalid_argument("task '" + spec + "': " + std::to_string(inputs.size()) +
                                " inputs x " + std::to_string(full.order()) +
                                " elements is too large a transition table; restrict the inputs, e.g. " +
                                "group:" + name + "@transpositions");
  Task t;
  t.group = subgroup(full, inputs);
  t.dfa = t.group->as_dfa(inputs);
  std::string what = which.empty() ? "all elements" : which;
  t.description = "group " + full.name + " word problem (order " + std::to_string(full.order()) +
                  "), inputs: " + what + " (" + std::to_string(inputs.size()) +
                  "), label = running product";
  if (t.group->order() != full.order())
    t.description += "; the inputs generate only a subgroup of order " +
                     std::to_string(t.group->order()) + ", whose elements are the labels";
  return t;
}

}  // namespace

Objective parse_objective(const std::string& name) {
  if (name == "state") return Objective::State;
  if (name == "accept") return Objective::Accept;
  if (name == "accept-final") return Objective::AcceptFinal;
  throw std::invalid_argument("unknown objective '" + name + "' (state, accept or accept-final)");
}

std::string to_string(Objective objective) {
  switch (objective) {
    case Objective::State: return "state";
    case Objective::Accept: return "accept";
    case Objective::AcceptFinal: return "accept-final";
  }
  return "?";
}

Task make_task(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string head = spec.substr(0, colon);
  const std::string body = colon == std::string::npos ? "" : spec.substr(colon + 1);
  const bool has_body = colon != std::string::npos;
  Task t;
  if (head == "parity" && !has_body) {
    t = parity();
  } else if (head == "even-pairs" && !has_body) {
    t = even_pairs();
  } else if (head == "cycle-nav") {
    t = cycle_nav(has_body ? parse_int(body, "cycle length", spec) : 5, spec);
  } else if (head == "mod-arith" && !has_body) {
    t = mod_arith();
  } else if (head == "tomita" && has_body) {
    t = tomita(parse_int(body, "Tomita number", spec), spec);
  } else if (head == "dyck" && has_body) {
    const size_t sep = body.find(':');
    if (sep == std::string::npos)
      throw std::invalid_argument("task '" + spec + "': expected dyck:K:D (K bracket types, depth D)");
    t = dyck(parse_int(body.substr(0, sep), "bracket types", spec),
             parse_int(body.substr(sep + 1), "depth", spec), spec);
  } else if (head == "regex" && has_body) {
    t = regex_task(body);
  } else if (head == "dfa" && has_body) {
    t = dfa_task(body);
  } else if (head == "group" && has_body) {
    t = group_task(body, spec);
  } else {
    throw std::invalid_argument("unknown task '" + spec + "' (try: gooselab tasks list)");
  }
  t.spec = spec;
  return t;
}

std::vector<TaskInfo> builtin_tasks() {
  std::vector<TaskInfo> list;
  auto add = [&](const std::string& spec) {
    if (spec.rfind("group:", 0) == 0 || spec.rfind("regex:", 0) == 0) {
      list.push_back({spec, ""});  // described on demand: building them needs the automata code
      return;
    }
    list.push_back({spec, make_task(spec).description});
  };
  for (const char* spec : {"parity", "even-pairs", "cycle-nav", "mod-arith"}) add(spec);
  for (int i = 1; i <= 7; ++i) add("tomita:" + std::to_string(i));
  add("dyck:1:4");
  add("dyck:2:3");
  list.push_back({"regex:(ab)*", "regex (ab)* over {ab}"});
  list.push_back({"regex:(a|b)*a(a|b)(a|b)@ab", "regex: third symbol from the end is a, over {a,b}"});
  list.push_back({"group:S5", "group S5 word problem, all 120 elements as inputs (non-solvable)"});
  list.push_back({"group:S5@transpositions", "group S5 word problem, the 10 transpositions as inputs"});
  list.push_back({"group:A5", "group A5 word problem, order 60 (non-solvable)"});
  list.push_back({"group:A4xZ5", "group A4 x Z5 word problem, order 60 (solvable, non-abelian)"});
  list.push_back({"group:Z60", "group Z60 word problem, order 60 (abelian)"});
  list.push_back({"group:D6", "group D6 word problem, dihedral of order 12"});
  list.push_back({"group:(1,2),(1,2,3,4,5)@generators",
                  "group generated by (1,2) and (1,2,3,4,5) (S5), only the generators as inputs"});
  return list;
}

std::vector<TaskInfo> task_spec_patterns() {
  return {
      {"cycle-nav:N", "cycle of N positions, moves - 0 + (default N = 5)"},
      {"tomita:N", "Tomita grammar N = 1..7 over {0,1}"},
      {"dyck:K:D", "K = 1..4 bracket types ( [ { < with ) ] } >, nesting depth at most D"},
      {"regex:EXPR[@ALPHABET]", "regular expression; optional alphabet after the last unescaped @"},
      {"dfa:PATH.json", "DFA file (see gooselab tasks dfa SPEC --format json)"},
      {"group:NAME[@INPUTS]", "Sn, An, Zn, Dn, products AxB, or generators (1,2),(1,2,3); "
                              "INPUTS = all | transpositions | generators | elements (1,2),(2,3)"},
  };
}

}  // namespace goose::tasks
