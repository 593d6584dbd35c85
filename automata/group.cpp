// Finite permutation groups: cycle notation, closure under generators with a multiplication
// table built from the breadth-first tree, named groups (S_n, A_n, Z_n, D_n), direct
// products, derived series, and the word problem as a DFA.
#include "automata/group.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <stdexcept>

#include "automata/perm_group.h"

namespace goose::automata {

namespace {

// Beyond this many stored permutation entries (order x degree) a group is refused even if
// its order is allowed: D_20000 on 20000 points would need gigabytes.
constexpr long long kMaxPermutationEntries = 1LL << 27;
constexpr int kMaxPoint = 1 << 16;

[[noreturn]] void group_fail(const std::string& what) {
  throw std::invalid_argument("group: " + what);
}

Permutation identity_perm(int degree) {
  Permutation p(degree);
  std::iota(p.begin(), p.end(), 0);
  return p;
}

Permutation padded(const Permutation& p, size_t degree) {
  Permutation q = p;
  for (size_t i = q.size(); i < degree; ++i) q.push_back(static_cast<int>(i));
  return q;
}

Permutation invert(const Permutation& p) {
  Permutation q(p.size());
  for (size_t i = 0; i < p.size(); ++i) q[p[i]] = static_cast<int>(i);
  return q;
}

struct Closure {
  std::vector<Permutation> elements;
  std::map<Permutation, int> index;
  std::vector<int> parent, parent_gen;  // element b = parent[b] * gens[parent_gen[b]]
  std::vector<int32_t> right_mul;       // [element * gens + g] = element * gens[g]
};

Closure close_under(const std::vector<Permutation>& gens, int degree) {
  Closure c;
  c.elements.push_back(identity_perm(degree));
  c.index[c.elements[0]] = 0;
  c.parent.push_back(-1);
  c.parent_gen.push_back(-1);
  const size_t ng = gens.size();
  for (size_t i = 0; i < c.elements.size(); ++i)
    for (size_t g = 0; g < ng; ++g) {
      Permutation p = compose(c.elements[i], gens[g]);
      auto it = c.index.find(p);
      int id;
      if (it == c.index.end()) {
        id = static_cast<int>(c.elements.size());
        if (id >= kMaxGroupOrder)
          group_fail("the generated group has more than " + std::to_string(kMaxGroupOrder) +
                     " elements (kMaxGroupOrder)");
        if (static_cast<long long>(id + 1) * degree > kMaxPermutationEntries)
          group_fail("the group is too large to store (" + std::to_string(id + 1) +
                     "+ elements on " + std::to_string(degree) + " points)");
        c.index.emplace(p, id);
        c.elements.push_back(std::move(p));
        c.parent.push_back(static_cast<int>(i));
        c.parent_gen.push_back(static_cast<int>(g));
      } else {
        id = it->second;
      }
      c.right_mul.push_back(id);
    }
  return c;
}

// The one subgroup closure of automata/: the element indices reachable from the identity by
// right multiplication with `gens` (identity first, breadth-first); member[] marks them.
std::vector<int> close_subgroup(const FiniteGroup& g, const std::vector<int>& gens,
                                std::vector<uint8_t>& member) {
  std::fill(member.begin(), member.end(), 0);
  std::vector<int> elems = {g.identity()};
  member[g.identity()] = 1;
  for (size_t i = 0; i < elems.size(); ++i)
    for (int x : gens) {
      const int y = g.multiply(elems[i], x);
      if (!member[y]) {
        member[y] = 1;
        elems.push_back(y);
      }
    }
  return elems;
}

void check_elements(const FiniteGroup& g, const std::vector<int>& elements) {
  for (int x : elements)
    if (x < 0 || x >= g.order())
      throw std::invalid_argument("group " + g.name + ": element " + std::to_string(x) +
                                  " is out of range 0.." + std::to_string(g.order() - 1));
}

// The generators, or every element for a hand-made group that lists none.
std::vector<int> generating_set(const FiniteGroup& g) {
  if (!g.generators.empty() || g.order() == 1) return g.generators;
  std::vector<int> all(g.order());
  std::iota(all.begin(), all.end(), 0);
  return all;
}

// Parses an unsigned decimal with a cap; -1 on malformed or too large.
long long parse_number(const std::string& s, long long cap) {
  if (s.empty() || s.size() > 9) return -1;
  long long v = 0;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return -1;
    v = v * 10 + (ch - '0');
  }
  return v > cap ? -1 : v;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

FiniteGroup named_group(char kind, long long n, const std::string& spec) {
  auto refuse = [&](long long order) {
    if (order > kMaxGroupOrder)
      group_fail(spec + " has " + std::to_string(order) + " elements, more than kMaxGroupOrder = " +
                 std::to_string(kMaxGroupOrder));
  };
  std::vector<Permutation> gens;
  if (kind == 'S' || kind == 'A') {
    long long order = 1;
    for (long long i = 2; i <= n && order <= kMaxGroupOrder * 2LL; ++i) order *= i;
    refuse(kind == 'A' && n >= 2 ? order / 2 : order);
    const int d = static_cast<int>(n);
    if (kind == 'S' && d >= 2) {
      gens.push_back(parse_cycles("(1,2)", d));
      Permutation cycle(d);
      for (int i = 0; i < d; ++i) cycle[i] = (i + 1) % d;
      gens.push_back(cycle);
    }
    if (kind == 'A')
      for (int k = 3; k <= d; ++k)
        gens.push_back(parse_cycles("(1,2," + std::to_string(k) + ")", d));
    if (gens.empty()) gens.push_back(identity_perm(d));
    FiniteGroup g = detail::group_from_generators(gens, spec);
    return g;
  }
  if (kind == 'Z') {
    refuse(n);
    // Smallest faithful action: one cycle per prime-power factor of n.
    Permutation gen;
    long long rest = n;
    for (long long p = 2; rest > 1; ++p) {
      if (rest % p) continue;
      long long q = 1;
      while (rest % p == 0) {
        rest /= p;
        q *= p;
      }
      const int base = static_cast<int>(gen.size());
      for (int i = 0; i < q; ++i) gen.push_back(base + static_cast<int>((i + 1) % q));
    }
    FiniteGroup g = detail::group_from_generators({gen}, spec);
    // One generator, so breadth-first order is g^0, g^1, ...
    for (int k = 0; k < g.order(); ++k) g.element_names[k] = std::to_string(k);
    return g;
  }
  // Dihedral of order 2n: rotation r and reflection s of an n-gon; n = 1, 2 need other points.
  refuse(2 * n);
  const int d = static_cast<int>(n);
  Permutation r, s;
  if (d == 1) {
    r = identity_perm(2);
    s = parse_cycles("(1,2)");
  } else if (d == 2) {
    r = parse_cycles("(1,2)", 4);
    s = parse_cycles("(3,4)", 4);
  } else {
    r.resize(d);
    s.resize(d);
    for (int i = 0; i < d; ++i) {
      r[i] = (i + 1) % d;
      s[i] = d - 1 - i;
    }
  }
  FiniteGroup g = detail::group_from_generators({r, s}, spec);
  std::map<Permutation, std::string> names;
  Permutation rk = identity_perm(static_cast<int>(r.size()));
  for (int k = 0; k < d; ++k) {
    names[rk] = "r" + std::to_string(k);
    names[compose(s, rk)] = "s" + std::to_string(k);
    rk = compose(rk, r);
  }
  for (int i = 0; i < g.order(); ++i) g.element_names[i] = names.at(g.elements[i]);
  return g;
}

FiniteGroup product_group(const std::vector<FiniteGroup>& factors, const std::string& spec) {
  long long total = 1;
  for (const auto& f : factors) {
    total *= f.order();
    if (total > kMaxGroupOrder)
      group_fail(spec + " has more than kMaxGroupOrder = " + std::to_string(kMaxGroupOrder) +
                 " elements");
  }
  const int n = static_cast<int>(total);
  const size_t r = factors.size();
  std::vector<int> offset(r, 0);
  int degree = 0;
  for (size_t i = 0; i < r; ++i) {
    offset[i] = degree;
    degree += factors[i].elements.empty() ? 0 : static_cast<int>(factors[i].elements[0].size());
  }
  if (static_cast<long long>(n) * degree > kMaxPermutationEntries)
    group_fail(spec + " is too large to store");
  // Mixed radix, first factor most significant, so element 0 is the identity tuple.
  auto digits = [&](int x) {
    std::vector<int> d(r);
    for (size_t i = r; i-- > 0;) {
      d[i] = x % factors[i].order();
      x /= factors[i].order();
    }
    return d;
  };
  auto encode = [&](const std::vector<int>& d) {
    int x = 0;
    for (size_t i = 0; i < r; ++i) x = x * factors[i].order() + d[i];
    return x;
  };
  FiniteGroup g;
  g.name = spec;
  g.elements.resize(n);
  g.element_names.resize(n);
  for (int x = 0; x < n; ++x) {
    auto d = digits(x);
    Permutation p(degree);
    std::string name = "<";
    for (size_t i = 0; i < r; ++i) {
      const Permutation& pi = factors[i].elements[d[i]];
      for (size_t j = 0; j < pi.size(); ++j) p[offset[i] + j] = offset[i] + pi[j];
      name += (i ? "," : "") + factors[i].element_names[d[i]];
    }
    g.elements[x] = std::move(p);
    g.element_names[x] = name + ">";
  }
  g.table.resize(static_cast<size_t>(n) * n);
  g.inverse_of.resize(n);
  for (int a = 0; a < n; ++a) {
    auto da = digits(a);
    std::vector<int> inv(r);
    for (size_t i = 0; i < r; ++i) inv[i] = factors[i].inverse(da[i]);
    g.inverse_of[a] = encode(inv);
    for (int b = 0; b < n; ++b) {
      auto db = digits(b);
      for (size_t i = 0; i < r; ++i) db[i] = factors[i].multiply(da[i], db[i]);
      g.table[static_cast<size_t>(a) * n + b] = encode(db);
    }
  }
  for (size_t i = 0; i < r; ++i)
    for (int gen : factors[i].generators) {
      std::vector<int> d(r, 0);
      d[i] = gen;
      g.generators.push_back(encode(d));
    }
  return g;
}

FiniteGroup single_group(const std::string& raw) {
  const std::string spec = trim(raw);
  if (spec.empty()) group_fail("empty group name in \"" + raw + "\"");
  if (spec[0] == '(') {
    // Generators separated by commas outside parentheses.
    std::vector<std::string> parts(1);
    int depth = 0;
    for (char ch : spec) {
      if (ch == '(') ++depth;
      if (ch == ')') --depth;
      if (depth < 0) group_fail("unbalanced parentheses in \"" + spec + "\"");
      if (ch == ',' && depth == 0)
        parts.emplace_back();
      else
        parts.back() += ch;
    }
    if (depth != 0) group_fail("unbalanced parentheses in \"" + spec + "\"");
    std::vector<Permutation> gens;
    for (const auto& part : parts) {
      if (trim(part).empty()) group_fail("empty generator in \"" + spec + "\"");
      gens.push_back(parse_cycles(part));
    }
    return detail::group_from_generators(gens, spec);
  }
  const char kind = static_cast<char>(std::toupper(static_cast<unsigned char>(spec[0])));
  const long long n = parse_number(spec.substr(1), 1000000);
  if ((kind != 'S' && kind != 'A' && kind != 'Z' && kind != 'D') || n < 0)
    group_fail("unknown group \"" + spec +
               "\" (expected Sn, An, Zn, Dn, a product such as A4xZ5, or generators such as "
               "(1,2),(1,2,3))");
  if (n < 1) group_fail(spec + ": n must be at least 1");
  return named_group(kind, n, std::string(1, kind) + std::to_string(n));
}

}  // namespace

Permutation compose(const Permutation& p, const Permutation& q) {
  const size_t n = std::max(p.size(), q.size());
  Permutation r(n);
  for (size_t i = 0; i < n; ++i) {
    const int a = i < p.size() ? p[i] : static_cast<int>(i);
    r[i] = static_cast<size_t>(a) < q.size() ? q[a] : a;
  }
  return r;
}

Permutation parse_cycles(const std::string& text, int degree) {
  auto fail = [&](const std::string& what, size_t pos) {
    throw std::invalid_argument("cycles \"" + text + "\": " + what + " at column " +
                                std::to_string(pos + 1));
  };
  std::vector<std::vector<int>> cycles;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_space();
  if (i == text.size()) fail("expected '(' (write the identity as \"()\")", i);
  int largest = 0;
  while (i < text.size()) {
    if (text[i] != '(') fail("expected '('", i);
    ++i;
    skip_space();
    std::vector<int> cycle;
    if (i < text.size() && text[i] == ')') {
      ++i;
    } else {
      while (true) {
        skip_space();
        const size_t begin = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        const long long v = parse_number(text.substr(begin, i - begin), kMaxPoint);
        if (begin == i) fail("expected a point", begin);
        if (v < 0) fail("point too large (at most " + std::to_string(kMaxPoint) + ")", begin);
        if (v == 0) fail("points start at 1", begin);
        cycle.push_back(static_cast<int>(v));
        largest = std::max(largest, static_cast<int>(v));
        skip_space();
        if (i < text.size() && text[i] == ',') {
          ++i;
          continue;
        }
        if (i < text.size() && text[i] == ')') {
          ++i;
          break;
        }
        fail("expected ',' or ')'", i);
      }
    }
    cycles.push_back(cycle);
    skip_space();
  }
  if (degree < 0 || degree > kMaxPoint) fail("bad degree " + std::to_string(degree), 0);
  const int n = std::max(largest, degree);
  Permutation p = identity_perm(n);
  std::vector<uint8_t> used(n + 1, 0);
  for (const auto& cycle : cycles)
    for (size_t j = 0; j < cycle.size(); ++j) {
      if (used[cycle[j]])
        throw std::invalid_argument("cycles \"" + text + "\": point " + std::to_string(cycle[j]) +
                                    " appears twice");
      used[cycle[j]] = 1;
      p[cycle[j] - 1] = cycle[(j + 1) % cycle.size()] - 1;
    }
  return p;
}

std::string to_cycles(const Permutation& p) {
  std::string out;
  std::vector<uint8_t> seen(p.size(), 0);
  for (size_t i = 0; i < p.size(); ++i) {
    if (seen[i] || p[i] == static_cast<int>(i)) continue;
    out += "(";
    for (size_t j = i; !seen[j]; j = p[j]) {
      seen[j] = 1;
      if (j != i) out += ",";
      out += std::to_string(j + 1);
    }
    out += ")";
  }
  return out.empty() ? "()" : out;
}

int FiniteGroup::index_of(const std::string& element_name) const {
  for (size_t i = 0; i < element_names.size(); ++i)
    if (element_names[i] == element_name) return static_cast<int>(i);
  return -1;
}

bool FiniteGroup::is_abelian() const {
  // A group is abelian iff its generators commute: O(gens^2), not O(order^2).
  const std::vector<int> gens = generating_set(*this);
  for (size_t i = 0; i < gens.size(); ++i)
    for (size_t j = i + 1; j < gens.size(); ++j)
      if (multiply(gens[i], gens[j]) != multiply(gens[j], gens[i])) return false;
  return true;
}

bool FiniteGroup::is_solvable() const { return derived_length() >= 0; }

int FiniteGroup::derived_length() const {
  const int n = order();
  std::vector<uint8_t> member(n);
  std::vector<int> gens = generating_set(*this);
  std::vector<int> elems = close_subgroup(*this, gens, member);
  int length = 0;
  while (elems.size() > 1) {
    // Derived subgroup: the normal closure of the generators' commutators. Each added
    // generator at least doubles the subgroup, so the closure is recomputed O(log n) times.
    std::vector<int> dgens, delems = {identity()};
    std::vector<uint8_t> in_d(n, 0);
    in_d[identity()] = 1;
    auto add = [&](int c) {
      if (in_d[c]) return;
      dgens.push_back(c);
      delems = close_subgroup(*this, dgens, in_d);
    };
    for (int x : gens)
      for (int y : gens) add(multiply(multiply(inverse(x), inverse(y)), multiply(x, y)));
    for (size_t i = 0; i < dgens.size(); ++i)
      for (int g : gens) add(multiply(multiply(inverse(g), dgens[i]), g));
    if (delems.size() == elems.size()) return -1;  // perfect and non-trivial
    ++length;
    gens = dgens;
    elems = delems;
  }
  return length;
}

GroupKind FiniteGroup::kind() const {
  if (order() == 1) return GroupKind::Trivial;
  if (is_abelian()) {
    // Abelian and generated by elements of order <= 2, so every element has order <= 2.
    for (int g : generating_set(*this))
      if (multiply(g, g) != identity()) return GroupKind::Abelian;
    return GroupKind::ElementaryAbelian2;
  }
  return is_solvable() ? GroupKind::Solvable : GroupKind::NonSolvable;
}

int FiniteGroup::element_order(int a) const {
  int k = 1;
  for (int x = a; x != identity(); x = multiply(x, a)) ++k;
  return k;
}

std::vector<int> FiniteGroup::generated_elements(const std::vector<int>& gens) const {
  std::vector<uint8_t> member(order());
  return close_subgroup(*this, gens, member);
}

FiniteGroup FiniteGroup::subgroup(const std::vector<int>& gens, std::vector<int>* local_index) && {
  check_elements(*this, gens);
  if (generated_elements(gens).size() != elements.size())
    return static_cast<const FiniteGroup&>(*this).subgroup(gens, local_index);
  if (local_index) {
    local_index->resize(elements.size());
    std::iota(local_index->begin(), local_index->end(), 0);
  }
  return std::move(*this);
}

FiniteGroup FiniteGroup::subgroup(const std::vector<int>& gens, std::vector<int>* local_index) const& {
  check_elements(*this, gens);
  const std::vector<int> members = generated_elements(gens);
  const int n = static_cast<int>(members.size());
  std::vector<int> local(order(), -1);
  if (n == order()) {  // the whole group keeps its numbering
    std::iota(local.begin(), local.end(), 0);
    if (local_index) *local_index = std::move(local);
    return *this;
  }
  for (int i = 0; i < n; ++i) local[members[i]] = i;
  FiniteGroup h;
  h.name = "subgroup of " + name;
  for (int e : members) {
    h.element_names.push_back(element_names[e]);
    h.elements.push_back(elements[e]);
  }
  h.table.resize(static_cast<size_t>(n) * n);
  h.inverse_of.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j)
      h.table[static_cast<size_t>(i) * n + j] = local[multiply(members[i], members[j])];
    h.inverse_of[i] = local[inverse(members[i])];
  }
  for (int x : gens) h.generators.push_back(local[x]);
  if (local_index) *local_index = std::move(local);
  return h;
}

std::string to_string(GroupKind kind) {
  switch (kind) {
    case GroupKind::Trivial: return "trivial";
    case GroupKind::ElementaryAbelian2: return "elementary-abelian-2";
    case GroupKind::Abelian: return "abelian";
    case GroupKind::Solvable: return "solvable";
    case GroupKind::NonSolvable: return "non-solvable";
  }
  return "unknown";
}

Dfa FiniteGroup::as_dfa(const std::vector<int>& inputs) const {
  std::vector<int> in = inputs;
  if (in.empty()) {
    in.resize(order());
    std::iota(in.begin(), in.end(), 0);
  }
  Dfa dfa;
  const int n = order();
  for (int x : in) {
    if (x < 0 || x >= n)
      throw std::invalid_argument("group " + name + ": input element " + std::to_string(x) +
                                  " is out of range 0.." + std::to_string(n - 1));
    dfa.alphabet.push_back(element_names[x]);
  }
  dfa.num_states = n;
  dfa.start = identity();
  dfa.accepting.assign(n, 0);
  dfa.accepting[identity()] = 1;
  dfa.delta.resize(static_cast<size_t>(n) * in.size());
  for (int g = 0; g < n; ++g)
    for (size_t a = 0; a < in.size(); ++a) dfa.delta[g * in.size() + a] = multiply(g, in[a]);
  dfa.state_names = element_names;
  dfa.validate();  // duplicate inputs are an error: symbols must be distinct
  return dfa;
}

std::vector<int> FiniteGroup::transpositions() const {
  std::vector<int> out;
  for (int e = 0; e < order(); ++e) {
    int moved = 0;
    bool swap = true;
    for (size_t i = 0; i < elements[e].size(); ++i)
      if (elements[e][i] != static_cast<int>(i)) {
        ++moved;
        swap = swap && elements[e][elements[e][i]] == static_cast<int>(i);
      }
    if (moved == 2 && swap) out.push_back(e);
  }
  return out;
}

FiniteGroup parse_group(const std::string& spec) {
  const std::string s = trim(spec);
  if (s.empty()) group_fail("empty group specification");
  if (s[0] != '(' && s.find('x') != std::string::npos) {
    std::vector<FiniteGroup> factors;
    size_t begin = 0;
    while (true) {
      const size_t end = s.find('x', begin);
      const std::string part = s.substr(begin, end == std::string::npos ? end : end - begin);
      if (trim(part).empty()) group_fail("empty factor in product \"" + s + "\"");
      factors.push_back(single_group(part));
      if (end == std::string::npos) break;
      begin = end + 1;
    }
    std::string name;
    for (size_t i = 0; i < factors.size(); ++i) name += (i ? "x" : "") + factors[i].name;
    return product_group(factors, name);
  }
  return single_group(s);
}

namespace detail {

FiniteGroup group_from_generators(const std::vector<Permutation>& generators,
                                  const std::string& name) {
  size_t degree = 0;
  for (const auto& g : generators) degree = std::max(degree, g.size());
  const int d = static_cast<int>(degree);
  // Keep only generators outside the group generated so far (at most log2 |G| of them).
  std::vector<Permutation> kept;
  Closure c = close_under(kept, d);
  for (const auto& g : generators) {
    Permutation p = padded(g, degree);
    if (c.index.count(p)) continue;
    kept.push_back(p);
    c = close_under(kept, d);
  }
  FiniteGroup group;
  group.name = name;
  const int n = static_cast<int>(c.elements.size());
  const size_t ng = kept.size();
  group.table.resize(static_cast<size_t>(n) * n);
  // a*b = (a*parent(b)) * gen(b): each entry is one lookup, filled in BFS order of b.
  for (int a = 0; a < n; ++a) {
    int32_t* row = &group.table[static_cast<size_t>(a) * n];
    row[0] = a;
    for (int b = 1; b < n; ++b) row[b] = c.right_mul[row[c.parent[b]] * ng + c.parent_gen[b]];
  }
  group.inverse_of.resize(n);
  for (int a = 0; a < n; ++a) group.inverse_of[a] = c.index.at(invert(c.elements[a]));
  for (const auto& g : kept) group.generators.push_back(c.index.at(g));
  group.element_names.reserve(n);
  for (const auto& e : c.elements) group.element_names.push_back(to_cycles(e));
  group.elements = std::move(c.elements);
  return group;
}

}  // namespace detail
}  // namespace goose::automata
