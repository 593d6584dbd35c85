// gooselab inspect (see inspect.h): per-architecture diagnostics of a run's checkpoint.
#include "experiments/inspect.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/checkpoint.h"
#include "core/device.h"
#include "core/dssm.h"
#include "core/files.h"
#include "core/lstm.h"
#include "core/metrics.h"
#include "core/run_directory.h"
#include "core/rwkv7.h"
#include "core/seed.h"
#include "core/text.h"
#include "core/transformer.h"
#include "experiments/run.h"

namespace goose::experiments {

namespace {

using json = nlohmann::json;

// A histogram with fixed edges; values outside fall in the first / last bin.
json histogram(const torch::Tensor& values, double lo, double hi, int bins) {
  const auto v = values.reshape({-1}).to(torch::kDouble).clamp(lo, hi - 1e-12 * (hi - lo));
  const auto counts = torch::histc(v, bins, lo, hi);
  std::vector<double> edges;
  for (int i = 0; i <= bins; ++i) edges.push_back(lo + (hi - lo) * i / bins);
  std::vector<int64_t> c;
  for (int i = 0; i < bins; ++i) c.push_back(static_cast<int64_t>(counts[i].item<double>()));
  return {{"edges", edges}, {"counts", c}};
}

double fraction(const torch::Tensor& mask) { return mask.to(torch::kDouble).mean().item<double>(); }

json quantiles(const torch::Tensor& values) {
  const auto v = values.reshape({-1}).to(torch::kDouble);
  const auto q = torch::quantile(v.numel() > 1 << 24 ? v.slice(0, 0, 1 << 24) : v,
                                 torch::tensor({0.01, 0.5, 0.99}, torch::kDouble));
  return {{"min", v.min().item<double>()}, {"q01", q[0].item<double>()}, {"median", q[1].item<double>()},
          {"q99", q[2].item<double>()}, {"max", v.max().item<double>()}};
}

// λ* (or a real eigenvalue) summary: the fractions the theory cares about.
json eigen_summary(const torch::Tensor& lambda) {
  return {{"count", lambda.numel()},
          {"frac_neg", fraction(lambda < 0)},
          {"frac_below_m09", fraction(lambda < -0.9)},
          {"frac_below_m1", fraction(lambda < -1.0 - 1e-6)},
          {"min", lambda.min().item<double>()},
          {"quantiles", quantiles(lambda)},
          {"histogram", histogram(lambda, -2.0, 1.0, 60)}};
}

// Log-spaced positions 1..T (at most ~120 of them) at which a state norm is recorded.
std::vector<int64_t> record_positions(int64_t T) {
  std::vector<int64_t> out;
  for (double t = 1; t <= double(T); t = std::max(t + 1, t * 1.06)) out.push_back(int64_t(t));
  if (out.back() != T) out.push_back(T);
  return out;
}

// Runs `tokens` (B,T) through step mode and records, per layer, the mean over sequences of the
// norm of the part of the step state that carries information (the WKV state, the SSM state,
// the LSTM cell) at the positions of record_positions(T).
json state_norm_curve(core::SequenceModel& model, const torch::Tensor& tokens) {
  const int64_t B = tokens.size(0), T = tokens.size(1);
  const auto& arch = model.config().arch;
  const int64_t layers = model.config().layers;
  auto state = model.initial_state(B);
  const std::vector<int64_t> at = record_positions(T);
  std::vector<std::vector<double>> norms(layers);
  size_t next = 0;
  for (int64_t t = 0; t < T; ++t) {
    model.step(tokens.select(1, t).contiguous(), state);
    if (next < at.size() && at[next] == t + 1) {
      for (int64_t l = 0; l < layers; ++l) {
        torch::Tensor s;
        if (arch == "rwkv7") s = state[3 * l + 2].reshape({B, -1});
        else if (arch == "dssm") s = state[2 * l + 1].reshape({B, -1});
        else s = state[1].select(0, l).reshape({B, -1});  // LSTM cell c
        // In double: an fp32 norm overflows (its squares) long before the state does.
        norms[l].push_back(s.to(torch::kDouble).norm(2, 1).mean().item<double>());
      }
      ++next;
    }
  }
  return {{"t", at}, {"layers", norms}, {"what", arch == "rwkv7" ? "WKV state S (Frobenius, all heads)"
                                                 : arch == "dssm" ? "SSM state h" : "LSTM cell c"}};
}

// The first recorded position whose norm is not finite in some layer (0: none). Non-finite
// values are null in the JSON (nlohmann writes NaN and Inf as null).
int64_t overflow_position(const json& curve) {
  if (!curve.contains("t") || !curve.contains("layers")) return 0;
  const auto& ts = curve["t"];
  for (size_t i = 0; i < ts.size(); ++i)
    for (const auto& layer : curve["layers"]) {
      const json& value = layer[i];
      if (value.is_null() || !std::isfinite(value.get<double>())) return ts[i].get<int64_t>();
    }
  return 0;
}

// The curve's value at position t (the last recorded position <= t).
double norm_at(const json& curve, int64_t t, int64_t layer) {
  const auto& ts = curve["t"];
  double value = std::nan("");
  for (size_t i = 0; i < ts.size(); ++i)
    if (ts[i].get<int64_t>() <= t) value = curve["layers"][layer][i].get<double>();
  return value;
}

json inspect_rwkv7(core::Rwkv7Model& model, const std::vector<torch::Tensor>& data, int64_t head_size,
                   std::vector<std::string>& summary) {
  json layers = json::array();
  std::vector<torch::Tensor> all;
  const auto rates = model.rates(data.front());  // the training-length data
  for (size_t l = 0; l < rates.size(); ++l) {
    const auto lambda = core::rwkv7_special_eigenvalues(rates[l], head_size);  // (B,T,H)
    all.push_back(lambda.reshape({-1}));
    json heads = json::array();
    for (int64_t h = 0; h < lambda.size(2); ++h) {
      json head = eigen_summary(lambda.select(2, h));
      head["head"] = h;
      heads.push_back(head);
    }
    json layer = eigen_summary(lambda);
    layer["layer"] = l;
    layer["heads"] = heads;
    layer["w"] = {{"quantiles", quantiles(rates[l].w)}, {"frac_above_0999", fraction(rates[l].w > 0.999)},
                  {"frac_below_01", fraction(rates[l].w < 0.1)}, {"histogram", histogram(rates[l].w, 0.0, 1.0, 50)}};
    layer["a"] = {{"quantiles", quantiles(rates[l].a)}, {"frac_above_1", fraction(rates[l].a > 1.0)},
                  {"histogram", histogram(rates[l].a, 0.0, 2.0, 50)}};
    summary.push_back(fmt::format("layer {}: λ* < 0 on {:.1f}% of tokens, < −0.9 on {:.1f}%, < −1 on {:.1f}% (min {:.3f}); "
                                  "w > 0.999 on {:.1f}%, a > 1 on {:.1f}%",
                                  l, 100 * layer["frac_neg"].get<double>(), 100 * layer["frac_below_m09"].get<double>(),
                                  100 * layer["frac_below_m1"].get<double>(), layer["min"].get<double>(),
                                  100 * layer["w"]["frac_above_0999"].get<double>(), 100 * layer["a"]["frac_above_1"].get<double>()));
    layers.push_back(layer);
  }
  // λ* at every inspected length: do longer contexts push it lower?
  json per_length = json::array();
  for (const auto& tokens : data) {
    std::vector<torch::Tensor> lambdas;
    for (const auto& r : model.rates(tokens)) lambdas.push_back(core::rwkv7_special_eigenvalues(r, head_size).reshape({-1}));
    json s = eigen_summary(torch::cat(lambdas));
    s.erase("histogram");
    s["length"] = tokens.size(1) - 1;
    per_length.push_back(s);
  }
  json out = eigen_summary(torch::cat(all));
  out["layers"] = layers;
  out["per_length"] = per_length;
  return out;
}

json inspect_dssm(core::DssmModel& model, const torch::Tensor& tokens, std::vector<std::string>& summary) {
  json layers = json::array();
  const bool complex = model.config().dssm_eigen == "complex" || model.config().dssm_eigen == "complex-unit";
  std::vector<torch::Tensor> reals;
  const auto eigenvalues = model.eigenvalues(tokens);
  for (size_t l = 0; l < eigenvalues.size(); ++l) {
    const core::DssmEigenvalues& eig = eigenvalues[l];
    json layer = {{"layer", l},
                  {"modulus", {{"quantiles", quantiles(eig.modulus)}, {"frac_above_099", fraction(eig.modulus > 0.99)},
                               {"histogram", histogram(eig.modulus, 0.0, 1.0, 50)}}}};
    if (complex) {
      const auto angle = torch::atan2(eig.value.select(-1, 1), eig.value.select(-1, 0));
      layer["angle"] = {{"histogram", histogram(angle, -M_PI, M_PI, 36)},
                        {"frac_rotating", fraction((angle.abs() > 0.1).logical_and(eig.modulus > 0.99))}};
      summary.push_back(fmt::format("layer {}: |λ| > 0.99 on {:.1f}%, rotating (|arg λ| > 0.1 and |λ| > 0.99) on {:.1f}%",
                                    l, 100 * layer["modulus"]["frac_above_099"].get<double>(),
                                    100 * layer["angle"]["frac_rotating"].get<double>()));
    } else {
      json e = eigen_summary(eig.value);
      layer["eigenvalue"] = e;
      reals.push_back(eig.value.reshape({-1}));
      summary.push_back(fmt::format("layer {}: λ < 0 on {:.1f}%, < −0.9 on {:.1f}% (min {:.3f}); |λ| > 0.99 on {:.1f}%", l,
                                    100 * e["frac_neg"].get<double>(), 100 * e["frac_below_m09"].get<double>(),
                                    e["min"].get<double>(), 100 * layer["modulus"]["frac_above_099"].get<double>()));
    }
    layers.push_back(layer);
  }
  json out = {{"layers", layers}, {"eigen", model.config().dssm_eigen}};
  if (!reals.empty()) out["eigenvalue"] = eigen_summary(torch::cat(reals));
  return out;
}

json inspect_lstm(core::LstmModel& model, const torch::Tensor& tokens, std::vector<std::string>& summary) {
  json layers = json::array();
  const auto gates = model.forget_gates(tokens);
  for (size_t l = 0; l < gates.size(); ++l) {
    json layer = {{"layer", l},
                  {"forget", {{"mean", gates[l].mean().item<double>()},
                              {"frac_above_099", fraction(gates[l] > 0.99)},
                              {"frac_below_001", fraction(gates[l] < 0.01)},
                              {"histogram", histogram(gates[l], 0.0, 1.0, 50)}}}};
    summary.push_back(fmt::format("layer {}: forget gate > 0.99 (saturated open) on {:.1f}%, < 0.01 on {:.1f}%, mean {:.3f}",
                                  l, 100 * layer["forget"]["frac_above_099"].get<double>(),
                                  100 * layer["forget"]["frac_below_001"].get<double>(), layer["forget"]["mean"].get<double>()));
    layers.push_back(layer);
  }
  return {{"layers", layers}};
}

json inspect_transformer(core::TransformerModel& model, const std::vector<torch::Tensor>& data,
                         std::vector<std::string>& summary) {
  json lengths = json::array();
  for (const auto& tokens : data) {
    const int64_t T = tokens.size(1);
    std::vector<double> entropy, normalized;
    for (const auto& p : model.attention(tokens)) {  // (B,H,T,T)
      const auto e = -(p * torch::log(p.clamp_min(1e-30))).sum(-1);                     // (B,H,T)
      const auto uniform = torch::log(torch::arange(1, T + 1, p.options()));            // log(t+1)
      entropy.push_back(e.mean().item<double>());
      normalized.push_back((e.slice(-1, 1) / uniform.slice(0, 1)).mean().item<double>());
    }
    lengths.push_back({{"length", T - 1}, {"entropy", entropy}, {"normalized_entropy", normalized}});
    std::string line = fmt::format("length {}: attention entropy", T - 1);
    for (size_t l = 0; l < entropy.size(); ++l) line += fmt::format(" L{} {:.2f} nats ({:.0f}% of uniform)", l, entropy[l], 100 * normalized[l]);
    summary.push_back(line);
  }
  return {{"lengths", lengths}};
}

}  // namespace

std::vector<std::string> inspect_column_names() {
  return {"lambda_frac_neg", "lambda_frac_below_m09", "lambda_frac_below_m1", "lambda_min",
          "state_norm_train", "state_norm_long", "state_norm_ratio"};
}

json inspect_summary_columns(const json& inspect) {
  json out = json::object();
  for (const auto& name : inspect_column_names()) out[name] = nullptr;
  const json* eig = nullptr;
  if (inspect.contains("rwkv7")) eig = &inspect["rwkv7"];
  else if (inspect.contains("dssm") && inspect["dssm"].contains("eigenvalue")) eig = &inspect["dssm"]["eigenvalue"];
  if (eig) {
    out["lambda_frac_neg"] = (*eig)["frac_neg"];
    out["lambda_frac_below_m09"] = (*eig)["frac_below_m09"];
    out["lambda_frac_below_m1"] = (*eig)["frac_below_m1"];
    out["lambda_min"] = (*eig)["min"];
  }
  if (inspect.contains("state_norm")) {
    const json& s = inspect["state_norm"];
    out["state_norm_train"] = s["train"];
    // An overflowed state (also in inspect.json files written before overflow_t existed,
    // which recorded 0) is an infinite norm: "inf", which pandas reads as a float.
    if (overflow_position(s) > 0) {
      out["state_norm_long"] = "inf";
      out["state_norm_ratio"] = "inf";
    } else {
      out["state_norm_long"] = s["long"];
      out["state_norm_ratio"] = s["ratio"];
    }
  }
  return out;
}

json inspect_run(const std::string& run_dir, const InspectOptions& options) {
  StoredRun stored = read_run_config(run_dir);
  if (!options.task.empty()) stored.config.task.task = options.task;
  const core::RunDirectory dir(run_dir);
  std::string checkpoint = options.checkpoint == "last" ? dir.last_checkpoint() : dir.best_checkpoint();
  if (!core::file_exists(checkpoint)) checkpoint = dir.last_checkpoint();
  if (!core::file_exists(checkpoint)) throw std::invalid_argument("inspect: " + run_dir + " has no checkpoint (best.pt or last.pt)");
  PreparedRun run = prepare_run(stored.config, options.device);
  const core::TrainState state = core::load_checkpoint(checkpoint, *run.model, nullptr);
  core::SequenceModel& model = *run.model;
  model.eval();
  torch::NoGradGuard no_grad;

  const int64_t train_len = stored.config.train.train_max_len;
  std::vector<int64_t> lengths = options.lengths;
  if (lengths.empty()) lengths = {train_len, 2 * train_len, 4 * train_len, 8 * train_len};
  const int64_t long_length = options.long_length > 0 ? options.long_length : *std::max_element(lengths.begin(), lengths.end());
  if (options.count < 1) throw std::invalid_argument("inspect: --count must be positive");

  json out = {{"run", run_dir}, {"run_id", core::run_id(stored.config)}, {"variant", stored.variant},
              {"arch", stored.config.model.arch}, {"task", stored.config.task.task}, {"checkpoint", checkpoint},
              {"step", state.step}, {"train_len", core::format_length_range(stored.config.train.train_min_len, train_len)},
              {"count", options.count}, {"seed", options.seed}, {"long_length", long_length}};
  // The data: `count` sequences at the training length first, then at each length asked.
  std::vector<int64_t> data_lengths = {train_len};
  for (const int64_t L : lengths) if (L != train_len) data_lengths.push_back(L);
  std::vector<torch::Tensor> data;
  json accuracy = json::array();
  for (const int64_t L : data_lengths) {
    const core::Batch batch =
        core::to_device(run.source->sample(options.count, L, L, core::mix_seed(options.seed, uint64_t(L))), model.device());
    const core::AccuracyCounts c = core::count_accuracy(model.forward(batch.tokens), batch.targets);
    accuracy.push_back({{"length", L}, {"seq_acc", c.sequence_accuracy()}, {"token_acc", c.token_accuracy()},
                        {"chance", run.source->chance_accuracy(L, L)}});
    data.push_back(batch.tokens);
  }
  out["accuracy"] = accuracy;
  std::vector<std::string> summary;
  for (const auto& a : accuracy)
    summary.push_back(fmt::format("length {}: sequence accuracy {:.3f}, token accuracy {:.3f} (chance {:.3f})",
                                  a["length"].get<int64_t>(), a["seq_acc"].get<double>(), a["token_acc"].get<double>(),
                                  a["chance"].get<double>()));

  const std::string& arch = stored.config.model.arch;
  if (arch == "rwkv7") out["rwkv7"] = inspect_rwkv7(dynamic_cast<core::Rwkv7Model&>(model), data, stored.config.model.head_size, summary);
  else if (arch == "dssm") out["dssm"] = inspect_dssm(dynamic_cast<core::DssmModel&>(model), data.front(), summary);
  else if (arch == "lstm") out["lstm"] = inspect_lstm(dynamic_cast<core::LstmModel&>(model), data.front(), summary);
  else out["transformer"] = inspect_transformer(dynamic_cast<core::TransformerModel&>(model), data, summary);

  if (model.has_step()) {
    const core::Batch batch = core::to_device(run.source->sample(std::min<int64_t>(options.count, 16), long_length,
                                                                 long_length, core::mix_seed(options.seed, 0x6c6f6e67)),
                                              model.device());
    json curve = state_norm_curve(model, batch.tokens);
    const int64_t overflow = overflow_position(curve);
    double train = 0, longest = 0;
    for (int64_t l = 0; l < stored.config.model.layers; ++l) {
      train = std::max(train, norm_at(curve, train_len + 1, l));
      longest = std::max(longest, norm_at(curve, long_length + 1, l));
    }
    curve["train"] = train;
    // A state that overflowed fp32 has no norm: "long" and "ratio" are null (results.csv: inf)
    // and overflow_t says where it stopped being finite.
    curve["overflow_t"] = overflow > 0 ? json(overflow) : json();
    curve["long"] = overflow > 0 ? json() : json(longest);
    curve["ratio"] = overflow > 0 || train <= 0 ? json() : json(longest / train);
    out["state_norm"] = curve;
    const std::string at_long =
        overflow > 0 ? fmt::format("not finite from t = {} (overflowed fp32)", overflow)
                     : fmt::format("{:.3g} at t = {} (×{:.3g})", longest, long_length,
                                   train > 0 ? longest / train : std::nan(""));
    summary.push_back(fmt::format("{} norm (largest layer): {:.3g} at t = {} (training length), {}",
                                  curve["what"].get<std::string>(), train, train_len, at_long));
  }
  out["summary"] = summary;
  return out;
}

}  // namespace goose::experiments
