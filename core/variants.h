// Named model variants, each defined once and used everywhere (train, compare, sweeps,
// figures): an architecture and the expressivity knobs that make it what the theory ranks,
// e.g. "rwkv7-a2" = RWKV-7 with the in-context rate range (0,2) and nothing else changed.
// Exports ModelVariant, model_variants(), find_model_variant(), apply_variant(), variant_of().
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace goose::core {

struct ModelVariant {
  std::string name;
  std::string summary;   // one line: what it is, in the theory's terms
  nlohmann::json fields; // the model fields it fixes, by name, e.g. {"arch": "rwkv7", "rwkv_rate": "relaxed"}
};

const std::vector<ModelVariant>& model_variants();
// Throws std::invalid_argument "unknown variant 'x' (use: rwkv7, rwkv7-a2, ...)".
const ModelVariant& find_model_variant(const std::string& name);
// Sets the variant's fields in `config` (other fields keep their values).
void apply_variant(RunConfig& config, const std::string& name);
// The first variant whose every field matches `model`; "" when none does.
std::string variant_of(const ModelConfig& model);

}  // namespace goose::core
