// The mod-arith cascade (see cascade_construction.h and paper/constructions.md §2.5). On a valid
// string (digit, operator, digit, …) digits sit at odd positions τ and operators at even ones,
// so the token's type tells the position's parity; positions after an invalid prefix carry no
// label (the dead state is unlabelled), so nothing there has to be right.
//   layer 1: ± parity (a swap at every + and −); the exponent counter E = Σ log2(d) mod 4 over
//            the digits (every token reflects its row about an axis at a multiple of π/4, so every
//            step is a signed swap); the channel mix decodes E and the register's next content;
//   layer 2: the register: replaced (a = 1) at BOS, +, − and 0 with base b = E (+, BOS) or
//            E − 2 (−), or "zero" (digit 0); the channel mix computes the current term
//            m = 2^(E − b) or 0, and the axis the next + or − will reflect s's row about;
//   layer 3: s, the sum of the completed terms, as an angle counter: each + or − reflects the
//            row about the axis the previous token's m chose (χ = (−1)^j ψ gains 2π m/5); the
//            channel mix reads the label s + m mod 5.
#include "theory/cascade_construction.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/batch.h"
#include "tasks/labeling.h"
#include "theory/rwkv7_builder.h"

namespace goose::theory {

namespace {

constexpr double kLogitScale = 8.0;
constexpr double kRegisterValue = 64.0;  // the register's stored one-hot
constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kHeadSize = 8;
constexpr int kZero = 4;  // the register's value "the term has a factor 0"; 0..3 are bases

[[noreturn]] void not_covered(const tasks::Task& task, const std::string& why) {
  throw std::invalid_argument("construct: the cascade construction does not cover " + task.spec + ": " + why);
}

int mod(int x, int m) { return ((x % m) + m) % m; }

// Sign heads that tell a set of row directions apart: read directions offset + jπ/h, j < h, for
// the smallest h whose best offset separates every direction with |cos| ≥ min_margin.
struct ReadOut {
  std::vector<double> psi;              // read directions
  std::vector<std::vector<int>> signs;  // per row direction, per head: +1 / −1
  double margin = 0;
};

ReadOut read_directions(const std::vector<double>& angles, double min_margin) {
  for (int heads = 1; heads <= 8; ++heads) {
    double best = -1, best_offset = 0;
    for (int step = 0; step < 199; ++step) {
      const double offset = (kPi / heads) * (step + 0.5) / 199.0;
      double margin = 1e9;
      std::map<std::vector<int>, int> seen;
      bool distinct = true;
      for (size_t i = 0; i < angles.size(); ++i) {
        std::vector<int> key;
        for (int j = 0; j < heads; ++j) {
          const double dot = std::cos(angles[i] - offset - j * kPi / heads);
          margin = std::min(margin, std::abs(dot));
          key.push_back(dot > 0 ? 1 : -1);
        }
        if (!seen.emplace(key, int(i)).second) distinct = false;
      }
      if (distinct && margin > best) best = margin, best_offset = offset;
    }
    if (best >= min_margin) {
      ReadOut r;
      r.margin = best;
      for (int j = 0; j < heads; ++j) r.psi.push_back(best_offset + j * kPi / heads);
      for (double angle : angles) {
        std::vector<int> s;
        for (double psi : r.psi) s.push_back(std::cos(angle - psi) > 0 ? 1 : -1);
        r.signs.push_back(s);
      }
      return r;
    }
  }
  throw std::logic_error("construct: no read directions separate the counter's angles");
}

}  // namespace

ConstructionPlan cascade_construction(const tasks::Task& task, tasks::Objective objective, int64_t dim) {
  const automata::Dfa& dfa = task.dfa;
  const std::vector<std::string> alphabet = {"0", "1", "2", "3", "4", "+", "-", "*"};
  if (task.spec != "mod-arith" || dfa.alphabet != alphabet || task.num_outputs() != 5)
    not_covered(task, "it is built for mod-arith only (numbers 0-4 alternating with + - *, value mod 5)");
  if (objective == tasks::Objective::State)
    not_covered(task, "it reads out the value (objective accept or accept-final), not the DFA state");
  const int64_t vocab = core::kFirstSymbolToken + dfa.num_symbols(), classes = 5;
  const int kPlus = 5, kMinus = 6;  // symbol indices of + and − (* is 7)

  // The Z4 counter's row sits at ψ = qπ/2, the Z5 counter's at ψ = 2πq/5.
  std::vector<double> e_angles, s_angles;
  for (int q = 0; q < 4; ++q) e_angles.push_back(q * kPi / 2);
  for (int q = 0; q < 5; ++q) s_angles.push_back(2 * q * kPi / 5);
  const ReadOut e_read = read_directions(e_angles, 0.5), s_read = read_directions(s_angles, 0.25);
  const int64_t ne = int64_t(e_read.psi.size()), ns = int64_t(s_read.psi.size());

  // Residual channels: bias, token, ek0 2, ek1 3, pmkey 2, reset 2, zero 1 | pc 2, E signs, E 4,
  // write 6 | register 5, m 5, axis 5 | s signs, label 5.
  const int64_t features = 1 + vocab + 2 + 3 + 2 + 2 + 1 + 2 + 2 * ne + 4 + 6 + 5 + 5 + 5 + 2 * ns + classes;
  const int64_t heads = std::max({(features + kHeadSize - 1) / kHeadSize, 1 + ne, ns});
  int64_t width = heads * kHeadSize;
  if (dim > 0) {
    if (dim < width || dim % kHeadSize != 0)
      throw std::invalid_argument("construct: the cascade construction of " + task.spec + " needs a width of at least " +
                                  std::to_string(width) + " in multiples of the head size " +
                                  std::to_string(kHeadSize) + " (got --dim " + std::to_string(dim) + ")");
    width = dim;
  }
  const int64_t N = kHeadSize;

  ConstructionPlan out;
  out.kind = "cascade";
  out.model = constructed_config(vocab, classes, 3, width, N, 4);

  out.description = {
      {"kind", "cascade"},
      {"layers", 3},
      {"dim", width},
      {"head_size", N},
      {"heads", width / N},
      {"labels", "only digits that end a valid prefix carry a label; BOS, operators and everything after the "
                 "first error (the dead state) are unlabelled, so on what is labelled digits sit at odd "
                 "positions and operators at even ones: the token's type is its position's parity"},
      {"value", "after a digit the label is s + m mod 5: s the sum of the completed signed terms, m the current "
                "term = 0 if it has a factor 0, else 2^(E - b) with E the running sum of log2 of the nonzero "
                "digits mod 4 (2 generates Z5*: 1, 2, 4, 3 = 2^0..2^3) and b the register set at the last + "
                "(b = E), - (b = E - 2, since -1 = 2^2) or BOS (b = 0)"},
      {"layer1", "head 0: parity of the number of + and - (BOS writes (1, -1), + and - swap, a = 2); heads 1.." +
                     std::to_string(ne) + ": the exponent counter E: a 2-D row reflected at every token about an "
                     "axis at a multiple of pi/4 (a signed swap; a digit d at odd position τ at -(pi/4)·log2 d, "
                     "operators and 0, 1 at 0), so χ = (-1)^τ ψ = E·pi/2, read by " + std::to_string(ne) +
                     " signs; the channel mix decodes E by token type and the register's next value"},
      {"layer2", "head 0: the register, one key coordinate replaced (κ̂ = e_0, a = 1) at BOS, +, - and 0 with "
                 "the one-hot of b or of 'zero'; the channel mix computes m and the axis of the next + or -"},
      {"layer3", "heads 0.." + std::to_string(ns - 1) + ": s as an angle counter: only + and - reflect (a = 2), "
                 "about the axis at ±pi·m/5 chosen at the previous token (token shift of the key), the sign by "
                 "the ± parity, so χ = (-1)^j ψ gains 2pi·m/5; read by " + std::to_string(ns) +
                 " signs (margin " + std::to_string(s_read.margin) + "); the channel mix returns s + m mod 5"},
      {"sizes", {{"features", features}, {"e_sign_heads", ne}, {"s_sign_heads", ns}}},
      {"exactness", "the ± parity, the exponent counter and the register are exact: every key coordinate reads "
                    "two channels (+on, -off or -zero) of indicator groups set by the embedding, so κ̂ is exactly "
                    "e_0, e_1 or ±fl(1/√2) on both; a = 2σ(60) = 2, w = 1; values are written at BOS only "
                    "(balanced by the zero channel), the register replaces with a = 2σ(0) = 1. Only s rotates "
                    "by irrational angles (multiples of pi/5): its fp32 error grows with the number of + and - "
                    "against a sign margin of " + std::to_string(s_read.margin)},
      {"deviations", nlohmann::json::array({"rwkv_rate relaxed: a = 2σ(·) reaches 2 (reflections); with the "
                                            "released a = σ(·) the same weights project instead of reflect"})}};

  out.build = [e_read, s_read, ne, ns, width, N, vocab, classes, kPlus, kMinus](core::Rwkv7Model& model) {
    const core::ModelConfig& c = model.config();
    if (c.dim != width || c.layers != 3 || c.head_size != N || c.vocab_size != vocab || c.num_classes != classes)
      throw std::logic_error("construct: the model's sizes differ from the cascade construction's");
    torch::NoGradGuard no_grad;
    Rwkv7Builder b(model);
    auto sym = [&](int64_t a) { return core::kFirstSymbolToken + a; };  // token id of symbol a

    // ---- embedding: the token and the indicator groups the exact keys read -----------------
    const int64_t token = b.add_group("token", vocab);
    // The exponent counter's reflection normal (k0, k1) by token: (0, 1) for the axis at 0,
    // (1, 1) at −π/4 (digit 2), (1, 0) at −π/2 (digit 4, and BOS's initial row), (1, −1) at −3π/4
    // (digit 3).
    const int64_t ek0 = b.add_group("ek0", 2);     // 0: k0 = 1, 1: k0 = 0
    const int64_t ek1 = b.add_group("ek1", 3);     // 0: k1 = +1, 1: k1 = −1, 2: k1 = 0
    const int64_t pmkey = b.add_group("pmkey", 2);  // 0: BOS, + or − (the ± parity's key), 1: other
    const int64_t reset = b.add_group("reset", 2);  // 0: BOS, +, − or 0 (the register is written), 1: other
    {
      auto emb = b.param("emb.weight").zero_().accessor<float, 2>();
      for (int64_t t = 0; t < vocab; ++t) {
        const int64_t a = t - core::kFirstSymbolToken;  // symbol, or < 0 for pad and BOS
        const bool bos = t == core::kBosToken;
        emb[t][b.bias()] = 1.0f;
        emb[t][token + t] = 1.0f;
        emb[t][ek0 + (bos || a == 2 || a == 3 || a == 4 ? 0 : 1)] = 1.0f;
        emb[t][ek1 + (a == 3 ? 1 : (bos || a == 4 || a < 0) ? 2 : 0)] = 1.0f;
        emb[t][pmkey + (bos || a == kPlus || a == kMinus ? 0 : 1)] = 1.0f;
        emb[t][reset + (bos || a == kPlus || a == kMinus || a == 0 ? 0 : 1)] = 1.0f;
      }
    }
    const int64_t bos = token + core::kBosToken;
    const int64_t zero = b.reserve_zero();  // balances keys and the writes at BOS (rwkv7_builder.h)
    std::vector<int64_t> digits, non_digits, symbols;
    for (int64_t t = 0; t < vocab; ++t) {
      const int64_t a = t - core::kFirstSymbolToken;
      (a >= 0 && a < 5 ? digits : non_digits).push_back(token + t);
      if (a >= 0) symbols.push_back(token + t);
    }
    b.identity_layer_norm("ln0");

    // ---- layer 1: ± parity and the exponent counter ------------------------------------------
    b.neutral_block(0);
    b.identity_layer_norm("blocks.0.ln1");
    const int64_t pc = b.add_group("pm_parity", 2);  // 0: an even number of + and −, 1: odd
    std::vector<int64_t> esign(ne);
    for (int64_t j = 0; j < ne; ++j) esign[j] = b.add_group("e_sign" + std::to_string(j), 2);  // 0: +, 1: −
    {
      auto wr = b.att(0, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(0, "key.weight").accessor<float, 2>();
      // Head 0: row 1's key is row 0's negated, so BOS writes (1, −1) and + or − swaps exactly.
      wr[0][b.bias()] = 1.0f;
      wr[1][b.bias()] = -1.0f;
      wk[0][pmkey + 0] = 1.0f;
      wk[0][zero] = -1.0f;
      wk[1][pmkey + 0] = -1.0f;
      wk[1][zero] = 1.0f;
      b.sign_head(0, 0, bos, pc + 0, pc + 1, zero);
      b.rate(0, 0, {token + sym(kPlus), token + sym(kMinus)}, {0, 1}, 2 * kSaturated);
      // Heads 1..ne: each coordinate's key reads exactly two channels, so k0 ∈ {fl(h − z), 0}
      // and k1 ∈ {±fl(h − z), 0} exactly, and κ̂ is e_0, e_1 or (e_0 ± e_1)·fl(1/√2).
      std::vector<int64_t> rotated;
      for (int64_t j = 0; j < ne; ++j) {
        const int64_t base = (1 + j) * N;
        wr[base + 0][b.bias()] = float(std::cos(e_read.psi[j]));
        wr[base + 1][b.bias()] = float(std::sin(e_read.psi[j]));
        wk[base + 0][ek0 + 0] = 1.0f;
        wk[base + 0][zero] = -1.0f;
        wk[base + 1][ek1 + 0] = 1.0f;
        wk[base + 1][ek1 + 1] = -1.0f;
        b.sign_head(0, 1 + j, bos, esign[j] + 0, esign[j] + 1, zero);
        rotated.push_back(base);
        rotated.push_back(base + 1);
      }
      b.rate(0, 1, symbols, rotated, 2 * kSaturated);  // every symbol reflects; BOS only writes
    }
    b.identity_layer_norm("blocks.0.ln2");
    const int64_t E = b.add_group("exponent", 4);
    const int64_t write = b.add_group("write", 6);  // 0..3: base b, 4: zero, 5: nothing written
    {
      MlpBuilder mlp(b, 0);
      auto pattern = [&](const ReadOut& r, const std::vector<int64_t>& sign, int q) {
        std::vector<std::vector<int64_t>> conditions;
        for (size_t j = 0; j < sign.size(); ++j) conditions.push_back({sign[j] + (r.signs[q][j] > 0 ? 0 : 1)});
        return conditions;
      };
      for (int q = 0; q < 4; ++q) {  // ψ = qπ/2; χ = (−1)^τ ψ, and digits sit at odd τ
        auto at_digit = pattern(e_read, esign, q), elsewhere = at_digit;
        at_digit.push_back(digits);
        elsewhere.push_back(non_digits);
        mlp.output(mlp.unit(at_digit), E + mod(-q, 4));
        mlp.output(mlp.unit(elsewhere), E + q);
      }
      const int64_t nothing = mlp.bias_unit();
      mlp.output(nothing, write + 5);
      auto put = [&](int64_t unit, int value) {
        mlp.output(unit, write + value);
        mlp.output(unit, write + 5, -1.0);
      };
      for (int q = 0; q < 4; ++q) {  // operators sit at even τ: E = q
        auto plus = pattern(e_read, esign, q), minus = plus;
        plus.push_back({token + sym(kPlus)});
        minus.push_back({token + sym(kMinus)});
        put(mlp.unit(plus), q);
        put(mlp.unit(minus), mod(q - 2, 4));  // −1 = 2^2: the term starts at 2^(E − b) = 4
      }
      put(mlp.unit({{bos}}), 0);
      put(mlp.unit({{token + sym(0)}}), kZero);
    }

    // ---- layer 2: the register, the current term and the next axis -----------------------------
    b.neutral_block(1);
    b.identity_layer_norm("blocks.1.ln1");
    const int64_t reg = b.add_group("register", 5);
    {
      auto wr = b.att(1, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(1, "key.weight").accessor<float, 2>();
      auto wv = b.att(1, "value.weight").accessor<float, 2>();
      wr[0][b.bias()] = 1.0f;
      wk[0][reset + 0] = 1.0f;  // κ̂ = e_0 exactly where written, k = 0 exactly elsewhere
      wk[0][zero] = -1.0f;
      for (int j = 0; j < 5; ++j) wv[j][write + j] = float(kRegisterValue);
      b.rate(1, 0, {reset + 0}, {0}, kSaturated);  // a = 2σ(0) = 1: replace
      b.one_hot_head(1, 0, 5, reg);
    }
    b.identity_layer_norm("blocks.1.ln2");
    const int64_t term = b.add_group("term", 5);  // m
    const int64_t axis = b.add_group("axis", 5);  // the next + or −'s axis at angle π·axis/5
    {
      MlpBuilder mlp(b, 1);
      const int pow2[4] = {1, 2, 4, 3};
      for (int pc_value = 0; pc_value < 2; ++pc_value) {
        // The next ± is reflection j = (count so far) + 1: it adds 2φ(−1)^j, so φ = −(−1)^pc·π·m/5.
        auto axis_of = [&](int value) { return pc_value == 0 ? mod(-value, 5) : value; };
        const int64_t u = mlp.unit({{reg + kZero}, {pc + pc_value}});
        mlp.output(u, axis + axis_of(0));
        if (pc_value == 0) mlp.output(mlp.unit({{reg + kZero}}), term + 0);
        for (int base = 0; base < 4; ++base)
          for (int e = 0; e < 4; ++e) {
            const int value = pow2[mod(e - base, 4)];
            mlp.output(mlp.unit({{reg + base}, {E + e}, {pc + pc_value}}), axis + axis_of(value));
            if (pc_value == 0) mlp.output(mlp.unit({{reg + base}, {E + e}}), term + value);
          }
      }
    }

    // ---- layer 3: the sum of the completed terms, and the label ------------------------------
    b.neutral_block(2);
    b.identity_layer_norm("blocks.2.ln1");
    std::vector<int64_t> ssign(ns);
    for (int64_t j = 0; j < ns; ++j) ssign[j] = b.add_group("s_sign" + std::to_string(j), 2);
    {
      auto wr = b.att(2, "receptance.weight").accessor<float, 2>();
      auto wk = b.att(2, "key.weight").accessor<float, 2>();
      auto shift = b.att(2, "x_k").accessor<float, 1>();
      for (int a = 0; a < 5; ++a) shift[axis + a] = 1.0f;  // the key reads the previous token's axis
      std::vector<int64_t> rotated;
      for (int64_t j = 0; j < ns; ++j) {
        const int64_t base = j * N;
        wr[base + 0][b.bias()] = float(std::cos(s_read.psi[j]));
        wr[base + 1][b.bias()] = float(std::sin(s_read.psi[j]));
        wk[base + 0][bos] = 1.0f;  // BOS's row at ψ = 0
        wk[base + 0][zero] = -1.0f;
        for (int a = 0; a < 5; ++a) {  // the normal of the axis at angle φ = πa/5
          const double phi = kPi * a / 5.0;
          wk[base + 0][axis + a] = float(-std::sin(phi));
          wk[base + 1][axis + a] = float(std::cos(phi));
        }
        b.sign_head(2, j, bos, ssign[j] + 0, ssign[j] + 1, zero);
        rotated.push_back(base);
        rotated.push_back(base + 1);
      }
      b.rate(2, 0, {token + sym(kPlus), token + sym(kMinus)}, rotated, 2 * kSaturated);
    }
    b.identity_layer_norm("blocks.2.ln2");
    const int64_t label = b.add_group("label", classes);
    {
      MlpBuilder mlp(b, 2);
      for (int q = 0; q < 5; ++q)  // ψ = 2πq/5, χ = (−1)^pc ψ = 2π s/5
        for (int pc_value = 0; pc_value < 2; ++pc_value)
          for (int value = 0; value < 5; ++value) {
            std::vector<std::vector<int64_t>> conditions;
            for (int64_t j = 0; j < ns; ++j) conditions.push_back({ssign[j] + (s_read.signs[q][j] > 0 ? 0 : 1)});
            conditions.push_back({pc + pc_value});
            conditions.push_back({term + value});
            const int s = pc_value == 0 ? q : mod(-q, 5);
            mlp.output(mlp.unit(conditions), label + mod(s + value, 5));
          }
    }
    b.one_hot_readout(label, classes, kLogitScale);
  };
  return out;
}

}  // namespace goose::theory
