// The task registry (see registry.h): each family's builder beside its table entry. The
// named languages are hand-built DFAs (parity, even-pairs, cycle-nav, mod-arith, tomita,
// dyck); regex and DFA-file languages go through automata/; group word problems take an
// optional restriction of the input elements.
#include "tasks/registry.h"

#include <algorithm>
#include <climits>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "automata/dfa_build.h"
#include "automata/group.h"
#include "automata/regex.h"
#include "core/text.h"

namespace goose::tasks {
namespace {

using automata::build_dfa;
using automata::Dfa;
using automata::FiniteGroup;

[[noreturn]] void spec_fail(const std::string& spec, const std::string& what) {
  throw std::invalid_argument("task '" + spec + "': " + what);
}

// An integer argument of a spec, through the one strict parser (core::parse_int64).
int spec_int(const std::string& text, const std::string& what, const std::string& spec) {
  int64_t value = 0;
  try {
    value = core::parse_int64(text, what);
  } catch (const std::invalid_argument&) {
    spec_fail(spec, what + " '" + text + "' is not an integer");
  }
  if (value < INT_MIN || value > INT_MAX) spec_fail(spec, what + " '" + text + "' is out of range");
  return static_cast<int>(value);
}

Task parity() {
  Task t;
  t.description = "parity: count of 1s mod 2 over {0,1}; accepts an odd count (label = the parity bit)";
  t.dfa = build_dfa({"0", "1"}, 2, 0, [](int q) { return q == 1; }, [](int q, int a) { return q ^ a; });
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
  if (n < 2 || n > 100000) spec_fail(spec, "cycle length must be in [2, 100000]");
  Task t;
  t.description = "cycle-nav:" + std::to_string(n) + ": position on a cycle of " + std::to_string(n) +
                  " after moves - 0 + from 0; state = position, accepts position 0";
  // Kept in natural numbering (already minimal): state label = position.
  t.dfa = build_dfa({"-", "0", "+"}, n, 0, [](int q) { return q == 0; },
                    [n](int q, int a) { return (q + a - 1 + n) % n; });
  for (int q = 0; q < n; ++q) t.dfa.state_names.push_back(std::to_string(q));
  return t;
}

// Modular arithmetic without brackets (Delétang et al.): numbers 0-4 alternating with
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
  const std::vector<int> map = automata::state_map(raw, t.dfa);
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
      spec_fail(spec, "Tomita grammars are numbered 1 to 7");
  }
  t.dfa = automata::minimize(raw);
  return t;
}

// Bracket strings with K types, nesting depth at most D. States are the stacks.
Task dyck(int k, int d, const std::string& spec) {
  static const char* kOpen = "([{<";
  static const char* kClose = ")]}>";
  if (k < 1 || k > 4) spec_fail(spec, "dyck needs 1 to 4 bracket types");
  if (d < 1) spec_fail(spec, "dyck depth must be at least 1");
  double count = 0, power = 1;
  for (int i = 0; i <= d; ++i, power *= k) count += power;
  constexpr int kMaxDyckStates = 100000;
  if (count > kMaxDyckStates)
    spec_fail(spec, "dyck:" + std::to_string(k) + ":" + std::to_string(d) + " needs more than " +
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

Task regex_task(const std::string& body, const std::string& spec) {
  const size_t at = split_at(body);
  const std::string pattern = body.substr(0, at);
  const std::string alphabet = at == std::string::npos ? "" : body.substr(at + 1);
  if (at != std::string::npos && alphabet.empty()) spec_fail(spec, "empty alphabet after '@'");
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

// Top-level comma-separated parts: "(1,2),(1,2,3)" -> "(1,2)", "(1,2,3)"; commas inside ( )
// and < > (product element names such as <(1,2,3),4>) do not separate.
std::vector<std::string> split_elements(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(' || c == '<') ++depth;
    if (c == ')' || c == '>') --depth;
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
    if (inputs.empty()) spec_fail(spec, "group " + g.name + " has no transpositions");
  } else if (which == "generators") {
    inputs = g.generators;
  } else {
    // Elements in cycle notation, or by their names in the group (D4's s0, Z60's 7).
    const int degree = static_cast<int>(g.elements[0].size());
    for (const std::string& part : split_elements(which)) {
      int e = -1;
      if (!part.empty() && part[0] == '(') {
        const automata::Permutation p = automata::parse_cycles(part, degree);
        const auto it = std::find(g.elements.begin(), g.elements.end(), p);
        if (static_cast<int>(p.size()) == degree && it != g.elements.end())
          e = static_cast<int>(it - g.elements.begin());
      } else {
        e = g.index_of(part);
      }
      if (e < 0)
        spec_fail(spec, "'" + part + "' is not an element of " + g.name +
                            " (write elements in cycle notation, e.g. (1,2), or by name, e.g. " +
                            g.element_names[g.order() > 1 ? 1 : 0] + ")");
      inputs.push_back(e);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return inputs;
}

Task group_task(const std::string& body, const std::string& spec) {
  const size_t at = split_at(body);
  const std::string name = body.substr(0, at);
  const std::string which = at == std::string::npos ? "" : body.substr(at + 1);
  if (at != std::string::npos && which.empty())
    spec_fail(spec, "nothing after '@' (all, transpositions, generators or elements)");
  FiniteGroup full = automata::parse_group(name);
  std::vector<int> inputs = group_inputs(full, which, spec);
  const std::string full_name = full.name;
  const int full_order = full.order();
  // The transition table has inputs x order entries: refuse what would not fit in memory.
  constexpr double kMaxTableEntries = 1 << 24;
  if (static_cast<double>(inputs.size()) * full_order > kMaxTableEntries)
    spec_fail(spec, std::to_string(inputs.size()) + " inputs x " + std::to_string(full_order) +
                        " elements is too large a transition table; restrict the inputs, e.g. " +
                        "group:" + name + "@transpositions");
  Task t;
  std::vector<int> local;
  t.group = std::move(full).subgroup(inputs, &local);
  for (int& x : inputs) x = local[x];
  t.dfa = t.group->as_dfa(inputs);
  const std::string what = which.empty() ? "all elements" : which;
  t.description = "group " + full_name + " word problem (order " + std::to_string(full_order) +
                  "), inputs: " + what + " (" + std::to_string(inputs.size()) + "), label = running product";
  if (t.group->order() != full_order)
    t.description += "; the inputs generate only a subgroup of order " + std::to_string(t.group->order()) +
                     ", whose elements are the labels";
  return t;
}

using Argument = std::optional<std::string>;

std::vector<TaskEntry> make_registry() {
  std::vector<TaskEntry> r;
  r.push_back({"parity", "parity", SpecArgument::None,
               "parity of the number of 1s over {0,1}; accepts an odd count (Delétang et al.)",
               {"parity"},
               [](const Argument&, const std::string&) { return parity(); }});
  r.push_back({"even-pairs", "even-pairs", SpecArgument::None,
               "strings over {a,b} whose first and last symbols agree, i.e. an even number of ab and "
               "ba pairs (Delétang et al.)",
               {"even-pairs"},
               [](const Argument&, const std::string&) { return even_pairs(); }});
  r.push_back({"cycle-nav", "cycle-nav[:N]", SpecArgument::Optional,
               "position on a cycle of N (default 5) after moves - 0 +; state = position, accepts "
               "position 0 (Delétang et al.)",
               {"cycle-nav"},
               [](const Argument& arg, const std::string& spec) {
                 return cycle_nav(arg ? spec_int(*arg, "cycle length", spec) : 5, spec);
               }});
  r.push_back({"mod-arith", "mod-arith", SpecArgument::None,
               "numbers 0-4 alternating with + - *, value mod 5 with * before + and -; accepts value "
               "0; accept labels = the value so far (Delétang et al.)",
               {"mod-arith"},
               [](const Argument&, const std::string&) { return mod_arith(); }});
  std::vector<std::string> tomitas;
  for (int i = 1; i <= 7; ++i) tomitas.push_back("tomita:" + std::to_string(i));
  r.push_back({"tomita", "tomita:N", SpecArgument::Required, "the Tomita grammars N = 1..7 over {0,1}",
               tomitas,
               [](const Argument& arg, const std::string& spec) {
                 return tomita(spec_int(*arg, "Tomita number", spec), spec);
               }});
  r.push_back({"dyck", "dyck:K:D", SpecArgument::Required,
               "balanced strings of K = 1..4 bracket types ( [ { < with ) ] } >, nesting depth at most D",
               {"dyck:1:4", "dyck:2:3"},
               [](const Argument& arg, const std::string& spec) {
                 const size_t sep = arg->find(':');
                 if (sep == std::string::npos) spec_fail(spec, "expected dyck:K:D (K bracket types, depth D)");
                 return dyck(spec_int(arg->substr(0, sep), "bracket types", spec),
                             spec_int(arg->substr(sep + 1), "depth", spec), spec);
               }});
  r.push_back({"regex", "regex:EXPR[@ALPHABET]", SpecArgument::Required,
               "regular expression: literals, |, *, +, ?, {m}, {m,}, {m,n}, ( ), [abc], [a-c], [^a], ., "
               "\\x; the alphabet (default: the symbols used) after the last unescaped @",
               {"regex:(ab)*", "regex:(a|b)*a(a|b)(a|b)@ab"},
               [](const Argument& arg, const std::string& spec) { return regex_task(*arg, spec); }});
  r.push_back({"dfa", "dfa:PATH.json", SpecArgument::Required,
               "a DFA file {alphabet, states, start, accepting, transitions}; gooselab tasks dfa SPEC "
               "--format json writes one",
               {},
               [](const Argument& arg, const std::string&) { return dfa_task(*arg); }});
  r.push_back({"group", "group:NAME[@INPUTS]", SpecArgument::Required,
               "word problem (label = running product) of Sn, An, Zn, Dn (order 2n), products such as "
               "A4xZ5, or groups generated by permutations (1,2),(1,2,3,4,5); INPUTS = all, "
               "transpositions, generators, or a list of elements (cycle notation or names such as s0)",
               {"group:S5", "group:S5@transpositions", "group:A5", "group:A4xZ5", "group:Z60", "group:D6",
                "group:D4@s0,s1", "group:(1,2),(1,2,3,4,5)@generators",
                "group:(4,6)(5,7),(1,2,4)(3,6,5)@generators"},
               [](const Argument& arg, const std::string& spec) { return group_task(*arg, spec); }});
  return r;
}

// A markdown table cell: '|' would end the cell, even inside code spans.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

const std::vector<TaskEntry>& task_registry() {
  static const std::vector<TaskEntry> registry = make_registry();
  return registry;
}

const TaskEntry* find_task_entry(const std::string& name) {
  for (const TaskEntry& entry : task_registry())
    if (entry.name == name) return &entry;
  return nullptr;
}

std::vector<std::string> builtin_specs() {
  std::vector<std::string> out;
  for (const TaskEntry& entry : task_registry()) out.insert(out.end(), entry.builtins.begin(), entry.builtins.end());
  return out;
}

Task make_task(const std::string& spec) {
  const size_t colon = spec.find(':');
  Argument argument;
  if (colon != std::string::npos) argument = spec.substr(colon + 1);
  const TaskEntry* entry = find_task_entry(spec.substr(0, colon));
  if (!entry || (entry->argument == SpecArgument::None && argument))
    throw std::invalid_argument("unknown task '" + spec + "' (try: gooselab tasks list)");
  if (entry->argument == SpecArgument::Required && !argument)
    throw std::invalid_argument("task '" + spec + "' needs an argument: " + entry->pattern +
                                " (try: gooselab tasks list)");
  Task task = entry->build(argument, spec);
  task.spec = spec;
  return task;
}

std::string task_table_markdown() {
  std::string out = "| spec | language | built-in specs |\n|---|---|---|\n";
  for (const TaskEntry& entry : task_registry()) {
    std::string builtins;
    for (const std::string& spec : entry.builtins)
      builtins += fmt::format("{}`{}`", builtins.empty() ? "" : ", ", cell(spec));
    out += fmt::format("| `{}` | {} | {} |\n", cell(entry.pattern), cell(entry.summary),
                       builtins.empty() ? "-" : builtins);
  }
  return out;
}

}  // namespace goose::tasks
