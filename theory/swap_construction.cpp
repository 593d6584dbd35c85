// The one-layer swap construction (see swap_construction.h and paper/constructions.md §1).
#include "theory/swap_construction.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/batch.h"
#include "tasks/labeling.h"
#include "theory/rwkv7_builder.h"

namespace goose::theory {

namespace {

constexpr double kLogitScale = 8.0;  // head weight per agreeing tracked point

[[noreturn]] void not_covered(const tasks::Task& task, const std::string& why) {
  throw std::invalid_argument("construct: the swap construction does not cover " + task.spec + ": " + why);
}

// The element of the group each DFA state stands for (group DFAs number states by element,
// but read the names to be safe).
int element_of_state(const tasks::Task& task, int q) {
  if (task.dfa.state_names.empty()) return q;
  const int e = task.group->index_of(task.dfa.state_names[q]);
  if (e < 0) throw std::logic_error("construct: state " + task.dfa.state_names[q] + " is not a group element");
  return e;
}

}  // namespace

SwapPlan plan_swap(const tasks::Task& task, tasks::Objective objective) {
  const automata::Dfa& dfa = task.dfa;
  SwapPlan plan;
  plan.classes = tasks::num_classes(task, objective);
  if (task.group) {
    const automata::FiniteGroup& group = *task.group;
    if (objective != tasks::Objective::State)
      not_covered(task, "it reads out the group element (objective state), not " + tasks::to_string(objective));
    plan.mode = "group";
    plan.points = std::max<int>(2, static_cast<int>(group.elements[0].size()));
    for (int h = 0; h + 1 < plan.points; ++h) plan.tracked.push_back(h);
    for (int a = 0; a < dfa.num_symbols(); ++a) {
      const automata::Permutation& p = group.elements[element_of_state(task, dfa.next(dfa.start, a))];
      std::vector<int> moved;
      for (int i = 0; i < static_cast<int>(p.size()); ++i)
        if (p[i] != i) moved.push_back(i);
      if (moved.empty()) {
        plan.swaps.push_back({-1, -1});
      } else if (moved.size() == 2) {
        plan.swaps.push_back({moved[0], moved[1]});
      } else {
        not_covered(task, "input " + dfa.alphabet[a] + " is neither a transposition nor the identity "
                          "(one RWKV-7 step applies one reflection; use the transpositions as inputs)");
      }
    }
    for (int q = 0; q < dfa.num_states; ++q) {
      const automata::Permutation& p = group.elements[element_of_state(task, q)];
      std::vector<int> image;
      for (int h : plan.tracked) image.push_back(h < static_cast<int>(p.size()) ? p[h] : h);
      plan.images.push_back(image);
      plan.labels.push_back(q);
    }
    return plan;
  }
  plan.mode = "dfa";
  plan.points = std::max(2, dfa.num_states);
  plan.tracked = {dfa.start};
  for (int a = 0; a < dfa.num_symbols(); ++a) {
    std::vector<int> moved;
    for (int q = 0; q < dfa.num_states; ++q)
      if (dfa.next(q, a) != q) moved.push_back(q);
    if (moved.empty()) {
      plan.swaps.push_back({-1, -1});
    } else if (moved.size() == 2 && dfa.next(moved[0], a) == moved[1] && dfa.next(moved[1], a) == moved[0]) {
      plan.swaps.push_back({moved[0], moved[1]});
    } else {
      not_covered(task, "symbol " + dfa.alphabet[a] + " does not act on the DFA's states as one swap of two "
                        "states or the identity (use the regular construction)");
    }
  }
  for (int q = 0; q < dfa.num_states; ++q) {
    plan.images.push_back({q});
    plan.labels.push_back(objective == tasks::Objective::State ? q : task.output_of(q));
  }
  return plan;
}

ConstructionPlan swap_construction(const tasks::Task& task, tasks::Objective objective, int64_t dim) {
  const SwapPlan plan = plan_swap(task, objective);
  const int64_t n = plan.points, tracked = static_cast<int64_t>(plan.tracked.size());
  const int64_t vocab = core::kFirstSymbolToken + task.num_symbols();
  const int64_t heads_used = tracked * n;
  const int64_t features = 1 + vocab + tracked * n;  // bias, token, one group per tracked point
  const int64_t heads = std::max(heads_used, (features + n - 1) / n);
  int64_t width = heads * n;
  if (dim > 0) {
    if (dim < width || dim % n != 0)
      throw std::invalid_argument("construct: the swap construction of " + task.spec + " needs a width of at least " +
                                  std::to_string(width) + " in multiples of the head size " + std::to_string(n) +
                                  " (got --dim " + std::to_string(dim) + ")");
    width = dim;
  }

  ConstructionPlan out;
  out.kind = "swap";
  out.model = constructed_config(vocab, plan.classes, 1, width, n, vocab);

  nlohmann::json inputs = nlohmann::json::array();
  for (int a = 0; a < task.num_symbols(); ++a) {
    const auto [x, y] = plan.swaps[a];
    nlohmann::json in = {{"symbol", task.dfa.alphabet[a]}, {"token", core::kFirstSymbolToken + a}};
    if (x < 0) {
      in["factor"] = "identity";
      in["a"] = 0;
    } else {
      in["factor"] = "swap";
      in["points"] = {x, y};
      in["kappa"] = "(e_" + std::to_string(x) + " - e_" + std::to_string(y) + ")/sqrt(2)";
      in["a"] = 2;
      in["w"] = 1;
    }
    inputs.push_back(in);
  }
  out.description = {
      {"kind", "swap"},
      {"mode", plan.mode},
      {"layers", 1},
      {"dim", width},
      {"head_size", n},
      {"heads", heads},
      {"heads_used", heads_used},
      {"points", n},
      {"tracked_points", plan.tracked},
      {"inputs", inputs},
      {"bos", "head (t, j) writes value 64·p (p = ±1 pattern) with key e_(tracked t): the row of point t"},
      {"transition", "a swap token applies I - 2κ̂κ̂ᵀ, κ̂ = (e_x - e_y)/√2 (w = 1, a = 2, nothing written): "
                     "the row of every tracked point follows the permutation"},
      {"readout", "head (t, j) reads r = 2e_j - 1, so u·r = +1 if tracked point t is at j, else -1; GroupNorm "
                  "(γ = 1, β = 1) and the output projection turn the sign into a one-hot per tracked point; "
                  "the head adds " + std::to_string(kLogitScale) + " per tracked point where the class agrees"},
      {"exactness", "κ̂ has two entries ±1/√2 of the same magnitude, a = 2σ(60) = 2 and w = 1 exactly in fp32, "
                    "so every step is the reflection up to the rounding of 2·fl(1/√2)² (1 - 1.2e-7)"},
      {"deviations", nlohmann::json::array({"rwkv_rate relaxed: a = 2σ(·) reaches 2; with the released a = σ(·) "
                                            "the same weights give projections I - κ̂κ̂ᵀ instead of swaps"})}};

  out.build = [plan, width, n, tracked, heads_used, vocab](core::Rwkv7Model& model) {
    const core::ModelConfig& c = model.config();
    if (c.dim != width || c.layers != 1 || c.head_size != n || c.vocab_size != vocab)
      throw std::logic_error("construct: the model's sizes differ from the swap construction's");
    torch::NoGradGuard no_grad;
    Rwkv7Builder b(model);
    const int64_t token = b.add_group("token", vocab);
    auto emb = b.param("emb.weight").zero_().accessor<float, 2>();
    for (int64_t t = 0; t < vocab; ++t) {
      emb[t][b.bias()] = 1.0f;
      emb[t][token + t] = 1.0f;
    }
    b.identity_layer_norm("ln0");
    b.neutral_block(0);
    b.identity_layer_norm("blocks.0.ln1");
    std::vector<int64_t> track(tracked);
    for (int64_t t = 0; t < tracked; ++t) track[t] = b.add_group("track" + std::to_string(t), n);

    auto wr = b.att(0, "receptance.weight").accessor<float, 2>();
    auto wk = b.att(0, "key.weight").accessor<float, 2>();
    torch::Tensor a1 = b.att(0, "a1"), a2 = b.att(0, "a2");
    auto A1 = a1.accessor<float, 2>();
    auto A2 = a2.accessor<float, 2>();
    for (int64_t k = 0; k < vocab; ++k) A1[token + k][k] = 1.0f;  // the rate reads the token
    const int64_t bos = token + core::kBosToken;
    for (int64_t t = 0; t < tracked; ++t) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t head = t * n + j, base = head * n;
        for (int64_t i = 0; i < n; ++i) wr[base + i][b.bias()] = i == j ? 1.0f : -1.0f;
        wk[base + plan.tracked[t]][bos] = 1.0f;  // BOS writes the row e_h of tracked point h
        for (int a = 0; a < static_cast<int>(plan.swaps.size()); ++a) {
          const auto [x, y] = plan.swaps[a];
          if (x < 0) continue;
          const int64_t tok = token + core::kFirstSymbolToken + a;
          wk[base + x][tok] = 1.0f;  // one input channel each: k_x = -k_y exactly
          wk[base + y][tok] = -1.0f;
          A2[core::kFirstSymbolToken + a][base + x] = float(2 * kSaturated);
          A2[core::kFirstSymbolToken + a][base + y] = float(2 * kSaturated);
        }
        b.sign_head(0, head, bos, track[t] + j, -1);
      }
    }
    b.identity_layer_norm("blocks.0.ln2");
    b.identity_layer_norm("ln_out");
    auto head = b.param("head.weight").zero_().accessor<float, 2>();
    for (size_t q = 0; q < plan.labels.size(); ++q) {
      if (plan.labels[q] < 0) continue;
      for (int64_t t = 0; t < tracked; ++t) head[plan.labels[q]][track[t] + plan.images[q][t]] = float(kLogitScale);
    }
    b.finish();
  };
  return out;
}

}  // namespace goose::theory
