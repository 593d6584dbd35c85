// The four-layer regular-language construction (see regular_construction.h and
// paper/constructions.md §2). Symbol s (0-based, token position τ = s + 1) lies in block
// b = s div n at slot i = s mod n; ρ = τ mod 2n is the position phase.
//   layer 1: position parity (one head, a swap at every symbol);
//   layer 2: the phase ρ (2-D rotation heads reflecting about two axes by parity, read by signs);
//   layer 3: a ring buffer of the last 2n symbols (2n read heads) and the lookups (detectors):
//            the copy of this slot, the previous block's map P' and the current block's image
//            of every class point;
//   layer 4: the execution: one row over two buffers of n coordinates, f written at BOS into
//            both; during block b, slot i copies coordinate P'_{b−1}(i) of the source buffer
//            into coordinate i of the target buffer (w = 1, a = 2 on the target, κ̂ = (e_T −
//            e_S)/√2); n heads read the source buffer; the channel mix reads the label off.
#include "theory/regular_construction.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "core/batch.h"
#include "tasks/labeling.h"
#include "theory/rwkv7_builder.h"

namespace goose::theory {

namespace {

constexpr double kLogitScale = 8.0;
constexpr double kRingValue = 64.0;       // the ring buffer's stored one-hot symbols
constexpr size_t kMaxCoStates = 4096;     // preimage sets explored before giving up
constexpr double kMinSignMargin = 0.05;   // |u·r| of every position-phase sign head, at least
constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void not_covered(const tasks::Task& task, const std::string& why) {
  throw std::invalid_argument("construct: the regular construction does not cover " + task.spec + ": " + why);
}

double power(double base, int64_t exponent) { return std::pow(base, double(exponent)); }

std::string fmt_units(double units) {
  char text[32];
  std::snprintf(text, sizeof text, units < 1e6 ? "%.0f" : "%.2g", units);
  return text;
}

// Every word of `length` symbols over `symbols` letters, in counting order.
std::vector<std::vector<int>> all_words(int64_t symbols, int64_t length) {
  std::vector<std::vector<int>> out;
  std::vector<int> word(length, 0);
  while (true) {
    out.push_back(word);
    int64_t i = length - 1;
    while (i >= 0 && word[i] == symbols - 1) word[i--] = 0;
    if (i < 0) break;
    ++word[i];
  }
  return out;
}

// Layer 2's rotation: row u_τ = u_0·R_1⋯R_τ, R = I − 2ddᵀ with d = d_even or d_odd by the parity
// of τ, u_0 = d_even. The two axes are π/n apart, so two steps rotate by 2π/n: period 2n.
struct PhaseOrbit {
  double d[2][2];                     // axes by parity (0 even)
  std::vector<std::array<double, 2>> u;  // u_ρ, ρ = 0..2n−1
  std::vector<double> psi;            // the sign heads' read directions
  double margin = 0;
  std::vector<std::vector<int>> signs;  // per ρ, per head: +1 / −1
};

PhaseOrbit phase_orbit(int64_t n) {
  PhaseOrbit o;
  o.d[0][0] = 1.0;
  o.d[0][1] = 0.0;
  o.d[1][0] = std::cos(kPi / double(n));
  o.d[1][1] = std::sin(kPi / double(n));
  std::array<double, 2> u = {o.d[0][0], o.d[0][1]};
  for (int64_t tau = 0; tau < 2 * n; ++tau) {
    if (tau > 0) {
      const double* dd = o.d[tau % 2];
      const double dot = u[0] * dd[0] + u[1] * dd[1];
      u = {u[0] - 2 * dot * dd[0], u[1] - 2 * dot * dd[1]};
    }
    o.u.push_back(u);
  }
  for (int64_t heads = n; heads <= 2 * n + 2; ++heads) {
    double best = -1, best_offset = 0;
    for (int step = 0; step < 97; ++step) {
      const double offset = (kPi / double(heads)) * (step + 0.5) / 97.0;
      double margin = 1e9;
      std::map<std::vector<int>, int> seen;
      bool distinct = true;
      for (int64_t rho = 0; rho < 2 * n; ++rho) {
        std::vector<int> key = {int(rho % 2)};
        for (int64_t j = 0; j < heads; ++j) {
          const double psi = offset + double(j) * kPi / double(heads);
          const double dot = o.u[rho][0] * std::cos(psi) + o.u[rho][1] * std::sin(psi);
          margin = std::min(margin, std::abs(dot));
          key.push_back(dot > 0 ? 1 : -1);
        }
        if (!seen.emplace(key, int(rho)).second) distinct = false;
      }
      if (distinct && margin > best) {
        best = margin;
        best_offset = offset;
      }
    }
    if (best >= kMinSignMargin) {
      o.margin = best;
      for (int64_t j = 0; j < heads; ++j) o.psi.push_back(best_offset + double(j) * kPi / double(heads));
      for (int64_t rho = 0; rho < 2 * n; ++rho) {
        std::vector<int> s;
        for (double psi : o.psi) s.push_back(o.u[rho][0] * std::cos(psi) + o.u[rho][1] * std::sin(psi) > 0 ? 1 : -1);
        o.signs.push_back(s);
      }
      return o;
    }
  }
  throw std::logic_error("construct: no read directions separate the " + std::to_string(2 * n) + " position phases");
}

RegularSizes sizes_for(const CoAutomaton& co, int64_t symbols, int64_t classes, int64_t vocab, int64_t sign_heads) {
  RegularSizes s;
  s.n = co.n;
  s.symbols = symbols;
  s.classes = classes;
  s.sign_heads = sign_heads;
  const int64_t n = co.n;
  int64_t with_points = 0;
  for (int x : co.class_point) with_points += x >= 0;
  s.head_size = std::max<int64_t>({2 * n + 2, symbols + 1, 2});  // two buffers and R+, R−
  s.features = 1 + vocab + 2 + 2 * sign_heads + 2 * n + 2 * n * (symbols + 1) + 2 * (2 * n + 3) + 2 + n * n +
               with_points * n + 2 * n + (classes + 1);
  double words = 0;
  for (int64_t i = 1; i <= n; ++i) words += power(double(symbols), i);
  s.lookup_units = 2.0 * n * power(double(symbols), n) + power(double(symbols), n) + 1 + words + n + 3;
  const double units = std::max({s.lookup_units, double(2 * n), double(with_points * n * n + 1)});
  const double heads = std::max({double(2 * n), double(sign_heads), std::ceil(double(s.features) / double(s.head_size)),
                                 std::ceil(units / double(4 * s.head_size))});
  s.heads = int64_t(heads);
  s.dim = s.heads * s.head_size;
  return s;
}

}  // namespace

int CoAutomaton::compose(const std::vector<int>& word, int x) const {
  for (auto it = word.rbegin(); it != word.rend(); ++it) x = pull[*it][x];
  return x;
}

CoAutomaton co_automaton(const automata::Dfa& dfa, const std::vector<int64_t>& labels, int64_t classes,
                         int64_t implicit) {
  const int Q = dfa.num_states, k = dfa.num_symbols();
  using Set = std::vector<uint8_t>;
  std::map<Set, int> index;
  std::vector<Set> sets;
  auto intern = [&](const Set& s) {
    auto [it, fresh] = index.emplace(s, int(sets.size()));
    if (fresh) {
      if (sets.size() >= kMaxCoStates)
        throw std::invalid_argument("construct: the co-automaton (preimages of the label classes) exceeds " +
                                    std::to_string(kMaxCoStates) + " sets");
      sets.push_back(s);
    }
    return it->second;
  };
  std::vector<int> class_set(classes, -1);
  for (int64_t c = 0; c < classes; ++c) {
    if (c == implicit) continue;
    Set s(Q, 0);
    bool any = false;
    for (int q = 0; q < Q; ++q)
      if (labels[q] == c) s[q] = 1, any = true;
    if (any) class_set[c] = intern(s);
  }
  std::vector<std::vector<int>> pull(k);
  for (size_t i = 0; i < sets.size(); ++i) {
    for (int a = 0; a < k; ++a) {
      Set pre(Q, 0);
      for (int q = 0; q < Q; ++q) pre[q] = sets[i][dfa.next(q, a)];
      const int j = intern(pre);
      pull[a].resize(sets.size());
      pull[a][i] = j;
    }
  }
  const int m = int(sets.size());
  for (auto& row : pull) row.resize(m);
  // Moore minimisation with output f(S) = [start ∈ S].
  std::vector<int> block(m);
  for (int i = 0; i < m; ++i) block[i] = sets[i][dfa.start];
  int blocks = -1;
  while (true) {
    std::map<std::vector<int>, int> ids;
    std::vector<int> next(m);
    for (int i = 0; i < m; ++i) {
      std::vector<int> signature = {block[i]};
      for (int a = 0; a < k; ++a) signature.push_back(block[pull[a][i]]);
      next[i] = ids.emplace(signature, int(ids.size())).first->second;
    }
    const int count = int(ids.size());
    block = next;
    if (count == blocks) break;
    blocks = count;
  }
  CoAutomaton co;
  co.n = blocks;
  co.pull.assign(k, std::vector<int>(blocks, 0));
  co.value.assign(blocks, 0);
  co.sets.assign(blocks, {});
  std::vector<bool> done(blocks, false);
  for (int i = 0; i < m; ++i) {
    const int x = block[i];
    if (done[x]) continue;
    done[x] = true;
    co.value[x] = sets[i][dfa.start];
    for (int q = 0; q < Q; ++q)
      if (sets[i][q]) co.sets[x].push_back(q);
    for (int a = 0; a < k; ++a) co.pull[a][x] = block[pull[a][i]];
  }
  co.implicit = implicit;
  co.class_point.assign(classes, -1);
  for (int64_t c = 0; c < classes; ++c)
    if (class_set[c] >= 0) co.class_point[c] = block[class_set[c]];
  while (co.n < 2) {  // a dummy point that maps to itself: the layout needs two
    for (auto& row : co.pull) row.push_back(co.n);
    co.value.push_back(0);
    co.sets.push_back({});
    ++co.n;
  }
  return co;
}

ConstructionPlan regular_construction(const tasks::Task& task, tasks::Objective objective, int64_t dim) {
  const automata::Dfa& dfa = task.dfa;
  const int64_t classes = tasks::num_classes(task, objective);
  std::vector<int64_t> labels(dfa.num_states);
  for (int q = 0; q < dfa.num_states; ++q)
    labels[q] = objective == tasks::Objective::State ? q : task.output_of(q);
  // When every state is labelled, one class can be read as "none of the others": leave out
  // the one whose omission gives the fewest points.
  CoAutomaton co = co_automaton(dfa, labels, classes);
  if (std::all_of(labels.begin(), labels.end(), [](int64_t l) { return l >= 0; }))
    for (int64_t c = 0; c < classes; ++c) {
      if (std::find(labels.begin(), labels.end(), c) == labels.end()) continue;
      CoAutomaton without = co_automaton(dfa, labels, classes, c);
      if (without.n < co.n || co.implicit < 0) co = std::move(without);
    }
  const int64_t n = co.n, k = dfa.num_symbols(), vocab = core::kFirstSymbolToken + k;

  // The lookup grows as k^n: refuse it before building anything.
  RegularSizes probe = sizes_for(co, k, classes, vocab, n);
  if (probe.lookup_units > 4.0 * kMaxConstructionDim)
    not_covered(task, "its co-automaton has " + std::to_string(n) + " points over " + std::to_string(k) +
                          " symbols, so the lookup of the current copy needs about " +
                          fmt_units(probe.lookup_units) + " detectors (2n·k^n); at most " +
                          std::to_string(4 * kMaxConstructionDim) + " fit in width " +
                          std::to_string(kMaxConstructionDim));
  const PhaseOrbit orbit = phase_orbit(n);
  RegularSizes sz = sizes_for(co, k, classes, vocab, int64_t(orbit.psi.size()));
  int64_t width = sz.dim;
  if (dim > 0) {
    if (dim < width || dim % sz.head_size != 0)
      throw std::invalid_argument("construct: the regular construction of " + task.spec + " needs a width of at least " +
                                  std::to_string(width) + " in multiples of the head size " +
                                  std::to_string(sz.head_size) + " (got --dim " + std::to_string(dim) + ")");
    width = dim;
  }
  if (width > kMaxConstructionDim)
    not_covered(task, "it needs width " + std::to_string(width) + " (at most " + std::to_string(kMaxConstructionDim) + ")");
  const int64_t N = sz.head_size, n2 = int64_t(orbit.psi.size());

  ConstructionPlan out;
  out.kind = "regular";
  out.model = constructed_config(vocab, classes, 4, width, N, std::max(vocab, 2 * n + 2));

  // Per-slot lookups, precomputed: the previous block's map P'_κ and the current block's images.
  const auto blocks = all_words(k, n);
  nlohmann::json points = nlohmann::json::array();
  for (int x = 0; x < n; ++x) {
    nlohmann::json p = {{"point", x}, {"f", int(co.value[x])}, {"states", co.sets[x]}};
    nlohmann::json g = nlohmann::json::object();
    for (int64_t a = 0; a < k; ++a) g[dfa.alphabet[a]] = co.pull[a][x];
    p["pull"] = g;
    points.push_back(p);
  }
  nlohmann::json class_points = nlohmann::json::array();
  for (int x : co.class_point) class_points.push_back(x);
  const nlohmann::json implicit_class = co.implicit >= 0 ? nlohmann::json(co.implicit) : nlohmann::json(nullptr);
  out.description = {
      {"kind", "regular"},
      {"layers", 4},
      {"dim", width},
      {"head_size", N},
      {"heads", width / N},
      {"co_automaton", {{"points", n},
                        {"class_points", class_points},
                        {"implicit_class", implicit_class},
                        {"note", "point x stands for a set S_x of DFA states: the closure of the label classes "
                                 "under preimages δ_σ⁻¹, minimised by f(x) = [start ∈ S_x]; after σ_1…σ_t the "
                                 "label is c iff f(g_σ1 ∘ … ∘ g_σt (x_c)) = 1"},
                        {"table", points}}},
      {"block_length", n},
      {"phase_period", 2 * n},
      {"layer1", "position parity: one head, BOS writes e_0, every symbol swaps coordinates 0 and 1 (a = 2)"},
      {"layer2", "position phase τ mod 2n: rotation heads reflect about axes π/n apart by parity (a = 2), "
                 "read by " + std::to_string(n2) + " signs (margin " + std::to_string(orbit.margin) +
                 "); the channel mix decodes (parity, signs) to a one-hot phase"},
      {"layer3", "ring buffer of the last 2n symbols in " + std::to_string(2 * n) +
                 " heads (slot (τ-1) mod 2n replaced with a = 1, BOS fills every slot with a blank), read "
                 "back one slot per head; the channel mix looks up the copy of this slot, the previous "
                 "block's map P' and the current block's image of every class point"},
      {"layer4", "execution: one row over two buffers of n coordinates and two references R+ = 1, R- = -1 "
                 "(written at BOS); block 0 copies f(x) from R+ or R- into buffer 0; during block b >= 1 slot i "
                 "copies source coordinate P'_{b-1}(i) into target coordinate i (κ̂ = (e_T - e_S)/√2, a = 2 on "
                 "T, w = 1); n heads read the source buffer (R± before anything is copied); the channel mix "
                 "returns f(C(x_c)) per class"},
      {"sizes", {{"points", n}, {"symbols", k}, {"classes", classes}, {"features", sz.features},
                 {"lookup_units", sz.lookup_units}, {"sign_heads", n2}}},
      {"exactness", "every key of the execution row reads exactly two channels (+target, -source) fed by one "
                    "detector, so κ̂ is exactly ±fl(1/√2) on the copy's two coordinates and exactly 0 elsewhere; "
                    "a = 2σ(60) = 2, w = 1 exactly; values written at BOS are balanced by a channel that is 0 "
                    "everywhere, so nothing is written after BOS; detectors output exactly 0 when they do not "
                    "fire (a margin of 1/2); the ring buffer replaces with a = 2σ(0) = 1 exactly. Only the "
                    "position phase rotates by irrational angles: its fp32 error grows linearly with length "
                    "against a sign margin of " + std::to_string(orbit.margin)},
      {"deviations", nlohmann::json::array({"rwkv_rate relaxed: a = 2σ(·) reaches 2 (swaps, copies); with the "
                                            "released a = σ(·) the same weights average instead of copy",
                                            "the execution follows the co-automaton, not the DFA: RWKV-7's copy "
                                            "I - (e_x - e_y)e_xᵀ moves a state row's entry from y to x (a pull), "
                                            "the DFA's merge would need the transposed factor I - e_x(e_x - e_y)ᵀ "
                                            "(rate on the removal side), which the architecture does not have"})}};

  out.build = [co, orbit, blocks, width, N, n, n2, k, vocab, classes](core::Rwkv7Model& model) {
    const core::ModelConfig& c = model.config();
    if (c.dim != width || c.layers != 4 || c.head_size != N || c.vocab_size != vocab || c.num_classes != classes)
      throw std::logic_error("construct: the model's sizes differ from the regular construction's");
    torch::NoGradGuard no_grad;
    Rwkv7Builder b(model);
    const int64_t period = 2 * n;
    // Symbol s = τ − 1 of phase ρ = τ mod 2n: slot i, block parity β.
    auto slot_of = [&](int64_t rho) { return ((rho - 1 + period) % period) % n; };
    auto block_parity = [&](int64_t rho) { return ((rho - 1 + period) % period) / n; };

    const int64_t token = b.add_group("token", vocab);
    {
      auto emb = b.param("emb.weight").zero_().accessor<float, 2>();
      for (int64_t t = 0; t < vocab; ++t) emb[t][b.bias()] = 1.0f, emb[t][token + t] = 1.0f;
    }
    const int64_t bos = token + core::kBosToken;
    auto sym = [&](int64_t a) { return token + core::kFirstSymbolToken + a; };
    const int64_t zero = b.reserve_zero();  // balances the writes at BOS (rwkv7_builder.h)
    b.identity_layer_norm("ln0");

    // ---- layer 1: position parity --------------------------------------------------------
    b.neutral_block(0);
    b.identity_layer_norm("blocks.0.ln1");
    const int64_t parity = b.add_group("parity", 2);  // 0: τ even, 1: τ odd
    {
      auto wr = b.att(0, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(0, "key.weight").accessor<float, 2>();
      wr[0][b.bias()] = 1.0f;
      wr[1][b.bias()] = -1.0f;
      // Row 1 is row 0 negated, so k_1 = −k_0 exactly: BOS writes (1, −1), a symbol swaps.
      for (const int64_t sign : {1, -1}) {
        const int64_t row = sign > 0 ? 0 : 1;
        wk[row][bos] = float(sign);
        wk[row][zero] = float(-sign);
        for (int64_t a = 0; a < k; ++a) wk[row][sym(a)] = float(sign);
      }
      for (int64_t a = 0; a < k; ++a) b.rate(0, a, {sym(a)}, {0, 1}, 2 * kSaturated);
      b.sign_head(0, 0, bos, parity + 0, parity + 1, zero);
    }
    b.identity_layer_norm("blocks.0.ln2");

    // ---- layer 2: position phase -----------------------------------------------------------
    b.neutral_block(1);
    b.identity_layer_norm("blocks.1.ln1");
    std::vector<int64_t> sign(n2);
    for (int64_t j = 0; j < n2; ++j) sign[j] = b.add_group("sign" + std::to_string(j), 2);  // 0: +, 1: −
    {
      auto wr = b.att(1, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(1, "key.weight").accessor<float, 2>();
      for (int64_t j = 0; j < n2; ++j) {
        const int64_t base = j * N;
        wr[base + 0][b.bias()] = float(std::cos(orbit.psi[j]));
        wr[base + 1][b.bias()] = float(std::sin(orbit.psi[j]));
        for (int p = 0; p < 2; ++p) {  // the reflection axis by parity; at BOS (even) it is u_0
          wk[base + 0][parity + p] = float(orbit.d[p][0]);
          wk[base + 1][parity + p] = float(orbit.d[p][1]);
        }
        b.sign_head(1, j, bos, sign[j] + 0, sign[j] + 1, zero);
      }
      std::vector<int64_t> rotated;
      for (int64_t j = 0; j < n2; ++j) rotated.push_back(j * N), rotated.push_back(j * N + 1);
      for (int64_t a = 0; a < k; ++a) b.rate(1, a, {sym(a)}, rotated, 2 * kSaturated);
    }
    b.identity_layer_norm("blocks.1.ln2");
    const int64_t pos = b.add_group("phase", period);
    {
      MlpBuilder mlp(b, 1);
      for (int64_t rho = 0; rho < period; ++rho) {
        std::vector<std::vector<int64_t>> conditions = {{parity + rho % 2}};
        for (int64_t j = 0; j < n2; ++j) conditions.push_back({sign[j] + (orbit.signs[rho][j] > 0 ? 0 : 1)});
        mlp.output(mlp.unit(conditions), pos + rho);
      }
    }

    // ---- layer 3: ring buffer and lookups --------------------------------------------------
    b.neutral_block(2);
    b.identity_layer_norm("blocks.2.ln1");
    std::vector<int64_t> prev(n), cur(n);
    for (int64_t j = 0; j < n; ++j) prev[j] = b.add_group("prev" + std::to_string(j), k + 1);  // k: blank
    for (int64_t j = 0; j < n; ++j) cur[j] = b.add_group("cur" + std::to_string(j), k + 1);
    {
      auto wr = b.att(2, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(2, "key.weight").accessor<float, 2>();
      auto wv = b.att(2, "value.weight").accessor<float, 2>();
      std::vector<std::vector<int64_t>> slot_channels(period);
      for (int64_t head = 0; head < 2 * n; ++head) {
        const int64_t base = head * N;
        for (int64_t rho = 0; rho < period; ++rho) {
          wk[base + (rho - 1 + period) % period][pos + rho] = 1.0f;  // write slot (τ − 1) mod 2n
          slot_channels[rho].push_back(base + (rho - 1 + period) % period);
          const int64_t i = head % n, beta = block_parity(rho);
          const int64_t read = head < n ? (1 - beta) * n + i : beta * n + i;  // previous / current block
          wr[base + read][pos + rho] = 1.0f;
        }
        for (int64_t p = 0; p + 1 < period; ++p) wk[base + p][bos] = 1.0f;  // with the phase's slot 2n−1: all
        for (int64_t a = 0; a < k; ++a) wv[base + a][sym(a)] = float(kRingValue);
        wv[base + k][bos] = float(kRingValue);  // the blank
        b.one_hot_head(2, head, k + 1, head < n ? prev[head] : cur[head - n]);
      }
      for (int64_t rho = 0; rho < period; ++rho) b.rate(2, rho, {pos + rho}, slot_channels[rho], kSaturated);
    }
    b.identity_layer_norm("blocks.2.ln2");
    // Coordinates of the execution row: buffer 0 = 0..n−1, buffer 1 = n..2n−1, R+ = 2n, R− = 2n+1.
    const int64_t coords = period + 2, ref_plus = period, ref_minus = period + 1;
    const int64_t tgt = b.add_group("target", coords + 1), src = b.add_group("source", coords + 1);
    const int64_t first = b.add_group("first", 2);  // 0: in block 0 (not BOS), 1: otherwise
    std::vector<int64_t> table(n);
    for (int64_t y = 0; y < n; ++y) table[y] = b.add_group("table" + std::to_string(y), n);
    std::vector<int64_t> image(classes, -1);
    for (int64_t c = 0; c < classes; ++c)
      if (co.class_point[c] >= 0) image[c] = b.add_group("image" + std::to_string(c), n);
    {
      MlpBuilder mlp(b, 2);
      const int64_t one = mlp.bias_unit();
      mlp.output(one, tgt + coords);
      mlp.output(one, src + coords);
      auto copy = [&](int64_t u, int64_t target, int64_t source) {
        mlp.output(u, tgt + target);
        mlp.output(u, src + source);
        mlp.output(u, tgt + coords, -1.0);
        mlp.output(u, src + coords, -1.0);
      };
      const int64_t at_bos = mlp.unit({{bos}});
      copy(at_bos, ref_plus, ref_minus);  // BOS writes the key e_R+ − e_R−: the row R+ = 1, R− = −1
      std::vector<std::vector<int64_t>> blank;
      for (int64_t j = 0; j < n; ++j) blank.push_back({prev[j] + k});
      const int64_t no_previous = mlp.unit({{prev[0] + k}});  // BOS or block 0
      mlp.output(no_previous, first + 0);
      mlp.output(at_bos, first + 0, -1.0);
      mlp.output(one, first + 1);
      mlp.output(no_previous, first + 1, -1.0);
      mlp.output(at_bos, first + 1);
      for (int64_t rho = 0; rho < period; ++rho) {  // block 0 fills buffer 0 with f from R±
        if (block_parity(rho) != 0) continue;
        const int64_t i = slot_of(rho);
        copy(mlp.unit({{pos + rho}, {prev[0] + k}}), i, co.value[i] ? ref_plus : ref_minus);
      }
      for (const auto& block : blocks) {  // the copy of slot i in block b, from block b − 1's content
        std::vector<std::vector<int64_t>> content;
        for (int64_t j = 0; j < n; ++j) content.push_back({prev[j] + block[j]});
        for (int64_t rho = 0; rho < period; ++rho) {
          auto conditions = content;
          conditions.push_back({pos + rho});
          const int64_t i = slot_of(rho), beta = block_parity(rho);
          copy(mlp.unit(conditions), beta * n + i, (1 - beta) * n + co.compose(block, int(i)));
        }
        const int64_t u = mlp.unit(content);  // the previous block's map P'
        for (int64_t y = 0; y < n; ++y) mlp.output(u, table[y] + co.compose(block, int(y)));
      }
      {
        const int64_t u = mlp.unit(blank);  // block 0: no previous block, P' = identity
        for (int64_t y = 0; y < n; ++y) mlp.output(u, table[y] + y);
      }
      for (int64_t i = 0; i < n; ++i) {  // the current block's symbols up to slot i
        std::vector<int64_t> phases;
        for (int64_t rho = 0; rho < period; ++rho)
          if (slot_of(rho) == i) phases.push_back(pos + rho);
        for (const auto& word : all_words(k, i + 1)) {
          std::vector<std::vector<int64_t>> conditions = {phases};
          for (int64_t j = 0; j <= i; ++j) conditions.push_back({cur[j] + word[j]});
          const int64_t u = mlp.unit(conditions);
          for (int64_t c = 0; c < classes; ++c)
            if (image[c] >= 0) mlp.output(u, image[c] + co.compose(word, co.class_point[c]));
        }
      }
      for (int64_t c = 0; c < classes; ++c)  // BOS: the empty word
        if (image[c] >= 0) mlp.output(at_bos, image[c] + co.class_point[c]);
    }

    // ---- layer 4: execution and readout -------------------------------------------------------
    b.neutral_block(3);
    b.identity_layer_norm("blocks.3.ln1");
    std::vector<int64_t> bit(n);
    for (int64_t x = 0; x < n; ++x) bit[x] = b.add_group("bit" + std::to_string(x), 2);  // 0: f = 0, 1: f = 1
    {
      auto wr = b.att(3, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(3, "key.weight").accessor<float, 2>();
      for (int64_t x = 0; x < n; ++x) {
        const int64_t base = x * N;
        // Every coordinate's key reads exactly two channels, +target and −source: at every step
        // k_T = fl(h − z) and k_S = fl(z − h) = −k_T exactly (h the detector's output, z what a
        // 0 becomes in the LayerNorm), and every other coordinate gets fl(z − z) = 0. So κ̂ is
        // exactly ±fl(1/√2) on T and S and 0 elsewhere, whatever order the product sums in.
        for (int64_t t = 0; t < coords; ++t) {
          wk[base + t][tgt + t] = 1.0f;
          wk[base + t][src + t] = -1.0f;
        }
        // The source buffer at x; at BOS and in block 0 (nothing copied yet) R+ or R− = f(x).
        const int64_t ref = co.value[x] ? ref_plus : ref_minus;
        for (int64_t rho = 0; rho < period; ++rho) wr[base + (1 - block_parity(rho)) * n + x][pos + rho] = 1.0f;
        wr[base + ref][bos] += 1.0f;
        wr[base + 0 * n + x][bos] -= 1.0f;  // BOS has phase 0, whose source is buffer 0
        wr[base + ref][first + 0] += 1.0f;
        wr[base + 1 * n + x][first + 0] -= 1.0f;  // block 0's source is buffer 1
        b.sign_head(3, x, bos, bit[x] + 1, bit[x] + 0, zero);  // the value is exactly 0 after BOS
      }
      for (int64_t t = 0; t < coords; ++t) {
        std::vector<int64_t> channels;
        for (int64_t x = 0; x < n; ++x) channels.push_back(x * N + t);
        b.rate(3, t, {tgt + t}, channels, 2 * kSaturated);
      }
    }
    b.identity_layer_norm("blocks.3.ln2");
    const int64_t label = b.add_group("label", classes + 1);  // classes: none
    {
      MlpBuilder mlp(b, 3);
      // "none" (unlabelled states), or the implicit class when every state has a label.
      const int64_t rest = co.implicit >= 0 ? label + co.implicit : label + classes;
      mlp.output(mlp.bias_unit(), rest);
      for (int64_t c = 0; c < classes; ++c) {
        if (image[c] < 0) continue;
        for (int64_t y = 0; y < n; ++y)
          for (int64_t x = 0; x < n; ++x) {
            const int64_t u = mlp.unit({{image[c] + y}, {table[y] + x}, {bit[x] + 1}});
            mlp.output(u, label + c);
            mlp.output(u, rest, -1.0);
          }
      }
    }
    b.one_hot_readout(label, classes, kLogitScale);
  };
  return out;
}

}  // namespace goose::theory
