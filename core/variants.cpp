// The variant table (see variants.h). Each row changes one thing against its neighbour, so
// an ablation reads off adjacent rows: rwkv7 → rwkv7-a2 (rate range only) → rwkv7-a2-stable
// (a stable rate instead), rwkv7-unclamped (decay range only), rwkv7-a2-unclamped (both).
#include "core/variants.h"

#include <stdexcept>

namespace goose::core {

const std::vector<ModelVariant>& model_variants() {
  static const std::vector<ModelVariant> variants = {
      {"rwkv7", "RWKV-7 as released: rate a in (0,1), decay w in (0.545,1); lambda* > -0.455",
       {{"arch", "rwkv7"}, {"rwkv_rate", "released"}, {"rwkv_decay", "clamped"}}},
      {"rwkv7-a2", "RWKV-7, rate a in (0,2) only: lambda* reaches -1 (and may go below)",
       {{"arch", "rwkv7"}, {"rwkv_rate", "relaxed"}, {"rwkv_decay", "clamped"}}},
      {"rwkv7-a2-stable", "RWKV-7, rate a = (1+w)·sigmoid: lambda* in (-1,1), approaching -1",
       {{"arch", "rwkv7"}, {"rwkv_rate", "stable"}, {"rwkv_decay", "clamped"}}},
      {"rwkv7-unclamped", "RWKV-7, decay w in (0,1) only (fast forgetting), rate as released",
       {{"arch", "rwkv7"}, {"rwkv_rate", "released"}, {"rwkv_decay", "unclamped"}}},
      {"rwkv7-a2-unclamped", "RWKV-7, rate (0,2) and decay (0,1) together",
       {{"arch", "rwkv7"}, {"rwkv_rate", "relaxed"}, {"rwkv_decay", "unclamped"}}},
      {"transformer", "Transformer, RoPE positions (TC0)",
       {{"arch", "transformer"}, {"pos_encoding", "rope"}}},
      {"dssm", "diagonal selective SSM, real eigenvalues in (0,1): star-free only",
       {{"arch", "dssm"}, {"dssm_eigen", "real"}}},
      {"dssm-signed", "diagonal SSM, real eigenvalues in (-1,1): adds parity-like sign flips",
       {{"arch", "dssm"}, {"dssm_eigen", "signed"}}},
      {"dssm-complex", "diagonal SSM, complex eigenvalues in the unit disk: abelian groups",
       {{"arch", "dssm"}, {"dssm_eigen", "complex"}}},
      {"dssm-complex-unit", "diagonal SSM, complex eigenvalues on the unit circle",
       {{"arch", "dssm"}, {"dssm_eigen", "complex-unit"}}},
      {"lstm", "LSTM: every regular language in one layer", {{"arch", "lstm"}}},
  };
  return variants;
}

const ModelVariant& find_model_variant(const std::string& name) {
  std::string names;
  for (const auto& variant : model_variants()) {
    if (variant.name == name) return variant;
    names += (names.empty() ? "" : ", ") + variant.name;
  }
  throw std::invalid_argument("unknown variant '" + name + "' (use: " + names + ")");
}

void apply_variant(RunConfig& config, const std::string& name) {
  for (const auto& item : find_model_variant(name).fields.items())
    set_field(config, item.key(), item.value());
}

std::string variant_of(const ModelConfig& model) {
  RunConfig config;
  config.model = model;
  for (const auto& variant : model_variants()) {
    bool all = true;
    for (const auto& item : variant.fields.items()) all = all && get_field(config, item.key()) == item.value();
    if (all) return variant.name;
  }
  return "";
}

}  // namespace goose::core
