// Complete DFAs: running, validation, minimisation (Hopcroft partition refinement, then a
// canonical breadth-first renumbering), and JSON / Graphviz conversion.
// JSON "accepting" holds the indices of the accepting states (not per-state flags).
#include "automata/dfa.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

namespace goose::automata {

int Dfa::symbol_index(const std::string& name) const {
  for (size_t i = 0; i < alphabet.size(); ++i)
    if (alphabet[i] == name) return static_cast<int>(i);
  return -1;
}

int Dfa::run(const std::vector<int>& word) const {
  int state = start;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] < 0 || word[i] >= num_symbols())
      throw std::invalid_argument("dfa: symbol " + std::to_string(word[i]) + " at position " +
                                  std::to_string(i) + " is outside the alphabet of " +
                                  std::to_string(num_symbols()) + " symbols");
    state = next(state, word[i]);
  }
  return state;
}

bool Dfa::accepts(const std::vector<int>& word) const { return accepting[run(word)] != 0; }

void Dfa::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("dfa: " + what); };
  if (num_states < 1) fail("needs at least one state (states = " + std::to_string(num_states) + ")");
  if (start < 0 || start >= num_states)
    fail("start state " + std::to_string(start) + " is out of range 0.." +
         std::to_string(num_states - 1));
  std::set<std::string> seen;
  for (size_t i = 0; i < alphabet.size(); ++i) {
    if (alphabet[i].empty()) fail("alphabet symbol " + std::to_string(i) + " is an empty string");
    if (!seen.insert(alphabet[i]).second)
      fail("duplicate alphabet symbol \"" + alphabet[i] + "\" at index " + std::to_string(i));
  }
  if (accepting.size() != static_cast<size_t>(num_states))
    fail("accepting has " + std::to_string(accepting.size()) + " entries, expected " +
         std::to_string(num_states));
  for (int s = 0; s < num_states; ++s)
    if (accepting[s] > 1) fail("accepting flag of state " + std::to_string(s) + " is not 0 or 1");
  const size_t k = alphabet.size();
  if (delta.size() != static_cast<size_t>(num_states) * k)
    fail("transition table has " + std::to_string(delta.size()) + " entries, expected " +
         std::to_string(num_states) + " states x " + std::to_string(k) + " symbols");
  for (int s = 0; s < num_states; ++s)
    for (size_t a = 0; a < k; ++a) {
      int t = delta[s * k + a];
      if (t < 0 || t >= num_states)
        fail("transition from state " + std::to_string(s) + " on \"" + alphabet[a] + "\" goes to " +
             std::to_string(t) + ", out of range 0.." + std::to_string(num_states - 1));
    }
  if (!state_names.empty() && state_names.size() != static_cast<size_t>(num_states))
    fail("state_names has " + std::to_string(state_names.size()) + " entries, expected " +
         std::to_string(num_states));
}

namespace {

// Hopcroft's algorithm on the reachable part (local ids 0..n-1): returns each state's
// equivalence class. Splitters are whole blocks processed for every symbol, with a copy
// of the block taken when it is popped; only the smaller half of a split block that is
// not already waiting is queued, which gives O(k n log n).
std::vector<int> hopcroft_classes(const Dfa& dfa, const std::vector<int>& reach,
                                  const std::vector<int>& reach_id) {
  const int n = static_cast<int>(reach.size());
  const int k = dfa.num_symbols();
  // Predecessors per symbol, compressed rows: pred[a][off[a][t] .. off[a][t+1]).
  std::vector<std::vector<int>> off(k, std::vector<int>(n + 1, 0)), pred(k, std::vector<int>(n));
  for (int a = 0; a < k; ++a) {
    for (int i = 0; i < n; ++i) ++off[a][reach_id[dfa.next(reach[i], a)] + 1];
    for (int t = 0; t < n; ++t) off[a][t + 1] += off[a][t];
    std::vector<int> fill(off[a].begin(), off[a].end() - 1);
    for (int i = 0; i < n; ++i) pred[a][fill[reach_id[dfa.next(reach[i], a)]]++] = i;
  }

  // Refinable partition: each block is a contiguous range of `elems`.
  std::vector<int> elems(n), pos(n), block(n), first, end, marked;
  int next = 0;
  for (int pass = 1; pass >= 0; --pass) {  // accepting states first
    const int begin = next;
    for (int i = 0; i < n; ++i)
      if ((dfa.accepting[reach[i]] != 0) == (pass == 1)) {
        elems[next] = i;
        pos[i] = next++;
        block[i] = static_cast<int>(first.size());
      }
    if (next > begin) {
      first.push_back(begin);
      end.push_back(next);
      marked.push_back(0);
    }
  }
  std::vector<int> waiting;
  std::vector<uint8_t> in_waiting(first.size(), 0);
  if (first.size() == 2) {
    const int smaller = end[0] - first[0] <= end[1] - first[1] ? 0 : 1;
    waiting.push_back(smaller);
    in_waiting[smaller] = 1;
  }

  std::vector<int> splitter, touched;
  while (!waiting.empty()) {
    const int b = waiting.back();
    waiting.pop_back();
    in_waiting[b] = 0;
    splitter.assign(elems.begin() + first[b], elems.begin() + end[b]);
    for (int a = 0; a < k; ++a) {
      touched.clear();
      for (int t : splitter)
        for (int j = off[a][t]; j < off[a][t + 1]; ++j) {
          const int s = pred[a][j];
          const int y = block[s];
          // Move s into the marked prefix of its block.
          const int target = first[y] + marked[y];
          const int other = elems[target];
          elems[target] = s;
          elems[pos[s]] = other;
          pos[other] = pos[s];
          pos[s] = target;
          if (marked[y]++ == 0) touched.push_back(y);
        }
      for (int y : touched) {
        const int m = marked[y];
        marked[y] = 0;
        if (m == end[y] - first[y]) continue;
        const int z = static_cast<int>(first.size());
        first.push_back(first[y]);
        end.push_back(first[y] + m);
        marked.push_back(0);
        in_waiting.push_back(0);
        first[y] += m;
        for (int i = first[z]; i < end[z]; ++i) block[elems[i]] = z;
        int queue = z;
        if (!in_waiting[y] && end[y] - first[y] < end[z] - first[z]) queue = y;
        if (!in_waiting[queue]) {
          waiting.push_back(queue);
          in_waiting[queue] = 1;
        }
      }
    }
  }
  return block;
}

}  // namespace

Dfa minimize(const Dfa& dfa) {
  dfa.validate();
  const int k = dfa.num_symbols();

  // Reachable states, in breadth-first order from the start.
  std::vector<int> reach_id(dfa.num_states, -1), reach;
  reach_id[dfa.start] = 0;
  reach.push_back(dfa.start);
  for (size_t i = 0; i < reach.size(); ++i)
    for (int a = 0; a < k; ++a) {
      int t = dfa.next(reach[i], a);
      if (reach_id[t] < 0) {
        reach_id[t] = static_cast<int>(reach.size());
        reach.push_back(t);
      }
    }
  const int n = static_cast<int>(reach.size());

  std::vector<int> cls = hopcroft_classes(dfa, reach, reach_id);
  const int num_classes = *std::max_element(cls.begin(), cls.end()) + 1;

  // Canonical numbering: breadth-first over classes, symbols in alphabet order.
  std::vector<int> rep(num_classes, -1), class_size(num_classes, 0);
  for (int i = 0; i < n; ++i) {
    if (rep[cls[i]] < 0) rep[cls[i]] = i;
    ++class_size[cls[i]];
  }
  std::vector<int> new_id(num_classes, -1), order;
  new_id[cls[0]] = 0;
  order.push_back(cls[0]);
  for (size_t i = 0; i < order.size(); ++i)
    for (int a = 0; a < k; ++a) {
      int c = cls[reach_id[dfa.next(reach[rep[order[i]]], a)]];
      if (new_id[c] < 0) {
        new_id[c] = static_cast<int>(order.size());
        order.push_back(c);
      }
    }

  Dfa out;
  out.alphabet = dfa.alphabet;
  out.num_states = num_classes;
  out.start = 0;
  out.accepting.resize(num_classes);
  out.delta.resize(static_cast<size_t>(num_classes) * k);
  bool keep_names = !dfa.state_names.empty();
  for (int c = 0; c < num_classes; ++c) keep_names = keep_names && class_size[c] == 1;
  if (keep_names) out.state_names.resize(num_classes);
  for (int j = 0; j < num_classes; ++j) {
    const int s = reach[rep[order[j]]];
    out.accepting[j] = dfa.accepting[s];
    for (int a = 0; a < k; ++a)
      out.delta[static_cast<size_t>(j) * k + a] = new_id[cls[reach_id[dfa.next(s, a)]]];
    if (keep_names) out.state_names[j] = dfa.state_names[s];
  }
  return out;
}

namespace {

using nlohmann::json;

[[noreturn]] void json_fail(const std::string& what) {
  throw std::invalid_argument("dfa json: " + what);
}

int json_int(const json& v, const std::string& where) {
  if (!v.is_number_integer()) json_fail(where + " must be an integer, got " + v.dump());
  const auto x = v.get<int64_t>();
  if (x < INT32_MIN || x > INT32_MAX) json_fail(where + " is out of range: " + v.dump());
  return static_cast<int>(x);
}

}  // namespace

Dfa dfa_from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    json_fail(std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) json_fail("top level must be an object");
  static const std::set<std::string> known = {"alphabet", "states", "start", "accepting",
                                              "transitions", "state_names"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      json_fail("unknown key \"" + it.key() +
                "\" (expected alphabet, states, start, accepting, transitions, state_names)");
  for (const char* key : {"alphabet", "states", "start", "accepting", "transitions"})
    if (!j.contains(key)) json_fail(std::string("missing key \"") + key + "\"");

  Dfa dfa;
  const json& alphabet = j["alphabet"];
  if (!alphabet.is_array()) json_fail("\"alphabet\" must be an array of strings");
  std::set<std::string> seen;
  for (size_t i = 0; i < alphabet.size(); ++i) {
    if (!alphabet[i].is_string())
      json_fail("alphabet[" + std::to_string(i) + "] must be a string, got " + alphabet[i].dump());
    const auto name = alphabet[i].get<std::string>();
    if (name.empty()) json_fail("alphabet[" + std::to_string(i) + "] is an empty string");
    if (!seen.insert(name).second)
      json_fail("duplicate symbol \"" + name + "\" at alphabet[" + std::to_string(i) + "]");
    dfa.alphabet.push_back(name);
  }
  dfa.num_states = json_int(j["states"], "\"states\"");
  if (dfa.num_states < 1) json_fail("\"states\" must be at least 1, got " + j["states"].dump());
  const int n = dfa.num_states;
  dfa.start = json_int(j["start"], "\"start\"");
  if (dfa.start < 0 || dfa.start >= n)
    json_fail("\"start\" " + std::to_string(dfa.start) + " is out of range 0.." +
              std::to_string(n - 1));

  const json& acc = j["accepting"];
  if (!acc.is_array()) json_fail("\"accepting\" must be an array of state indices");
  dfa.accepting.assign(n, 0);
  for (size_t i = 0; i < acc.size(); ++i) {
    const std::string where = "accepting[" + std::to_string(i) + "]";
    const int s = json_int(acc[i], where);
    if (s < 0 || s >= n)
      json_fail(where + " = " + std::to_string(s) + " is out of range 0.." + std::to_string(n - 1));
    if (dfa.accepting[s]) json_fail(where + " repeats state " + std::to_string(s));
    dfa.accepting[s] = 1;
  }

  const json& tr = j["transitions"];
  if (!tr.is_array()) json_fail("\"transitions\" must be an array with one row per state");
  if (tr.size() != static_cast<size_t>(n))
    json_fail("\"transitions\" has " + std::to_string(tr.size()) + " rows, expected " +
              std::to_string(n) + " (one per state)");
  const size_t k = dfa.alphabet.size();
  dfa.delta.resize(static_cast<size_t>(n) * k);
  for (int s = 0; s < n; ++s) {
    const json& row = tr[s];
    const std::string where = "transitions[" + std::to_string(s) + "]";
    if (!row.is_array()) json_fail(where + " must be an array");
    if (row.size() != k)
      json_fail(where + " has " + std::to_string(row.size()) + " entries, expected " +
                std::to_string(k) + " (one per alphabet symbol; the DFA must be complete)");
    for (size_t a = 0; a < k; ++a) {
      const std::string w = where + "[" + std::to_string(a) + "]";
      const int t = json_int(row[a], w);
      if (t < 0 || t >= n)
        json_fail(w + " = " + std::to_string(t) + " is out of range 0.." + std::to_string(n - 1));
      dfa.delta[s * k + a] = t;
    }
  }

  if (j.contains("state_names")) {
    const json& names = j["state_names"];
    if (!names.is_array()) json_fail("\"state_names\" must be an array of strings");
    if (names.size() != static_cast<size_t>(n))
      json_fail("\"state_names\" has " + std::to_string(names.size()) + " entries, expected " +
                std::to_string(n));
    for (size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string())
        json_fail("state_names[" + std::to_string(i) + "] must be a string, got " + names[i].dump());
      dfa.state_names.push_back(names[i].get<std::string>());
    }
  }
  dfa.validate();
  return dfa;
}

Dfa read_dfa_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::invalid_argument("cannot open DFA file " + path +
                                " (check the path; gooselab tasks dfa SPEC --format json writes one)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return dfa_from_json(buffer.str());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::string dfa_to_json(const Dfa& dfa) {
  dfa.validate();
  json j;
  j["alphabet"] = dfa.alphabet;
  j["states"] = dfa.num_states;
  j["start"] = dfa.start;
  json acc = json::array();
  for (int s = 0; s < dfa.num_states; ++s)
    if (dfa.accepting[s]) acc.push_back(s);
  j["accepting"] = acc;
  json tr = json::array();
  const size_t k = dfa.alphabet.size();
  for (int s = 0; s < dfa.num_states; ++s)
    tr.push_back(std::vector<int32_t>(dfa.delta.begin() + s * k, dfa.delta.begin() + (s + 1) * k));
  j["transitions"] = tr;
  if (!dfa.state_names.empty()) j["state_names"] = dfa.state_names;
  try {
    return j.dump() + "\n";
  } catch (const json::type_error&) {
    throw std::invalid_argument("dfa json: a symbol or state name is not valid UTF-8");
  }
}

namespace {
std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string dfa_to_dot(const Dfa& dfa) {
  dfa.validate();
  std::ostringstream out;
  out << "digraph dfa {\n  rankdir=LR;\n  __start [shape=point];\n";
  for (int s = 0; s < dfa.num_states; ++s) {
    const std::string label = dfa.state_names.empty() ? std::to_string(s) : dfa.state_names[s];
    out << "  " << s << " [shape=" << (dfa.accepting[s] ? "doublecircle" : "circle")
        << ", label=\"" << dot_escape(label) << "\"];\n";
  }
  out << "  __start -> " << dfa.start << ";\n";
  // One edge per (from, to) pair, labelled with every symbol taking it.
  for (int s = 0; s < dfa.num_states; ++s) {
    std::map<int, std::string> labels;
    for (int a = 0; a < dfa.num_symbols(); ++a) {
      std::string& l = labels[dfa.next(s, a)];
      if (!l.empty()) l += ",";
      l += dfa.alphabet[a];
    }
    for (const auto& [t, l] : labels)
      out << "  " << s << " -> " << t << " [label=\"" << dot_escape(l) << "\"];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace goose::automata
