// SequenceModel's shared methods (parameter accounting, the weight-decay split, the default
// step() of models without a recurrent form) and make_model(), which validates a
// ModelConfig and builds the architecture it names.
#include "core/model.h"

#include <stdexcept>
#include <unordered_set>

#include "core/device.h"
#include "core/dssm.h"
#include "core/lstm.h"
#include "core/rwkv7.h"
#include "core/transformer.h"
#include "kernels/wkv7.h"

namespace goose::core {

torch::Tensor SequenceModel::step(const torch::Tensor& token, std::vector<torch::Tensor>& state) {
  throw std::invalid_argument("model '" + config_.arch +
                              "' has no step mode (only rwkv7, dssm and lstm do)");
}

torch::Tensor SequenceModel::forward_from(const torch::Tensor& tokens,
                                          std::vector<torch::Tensor>& state) {
  throw std::invalid_argument("model '" + config_.arch +
                              "' has no recurrent state to carry between chunks (only rwkv7, dssm and lstm do)");
}

void SequenceModel::check_tokens(const torch::Tensor& tokens, int64_t dims) const {
  const std::string who = config_.arch + (dims == 2 ? " forward" : " step");
  if (!tokens.defined() || tokens.dim() != dims || tokens.scalar_type() != torch::kLong)
    throw std::invalid_argument(who + ": tokens must be a " + std::to_string(dims) +
                                "-D int64 tensor");
  if (tokens.numel() == 0) throw std::invalid_argument(who + ": tokens are empty");
  if (!tokens.is_cpu()) return;  // a range check on the GPU would synchronise every call
  const int64_t lo = tokens.min().item<int64_t>(), hi = tokens.max().item<int64_t>();
  if (lo < 0 || hi >= config_.vocab_size)
    throw std::invalid_argument(who + ": token id " + std::to_string(lo < 0 ? lo : hi) +
                                " outside [0, " + std::to_string(config_.vocab_size) + ")");
}

torch::Device SequenceModel::device() const {
  const auto params = parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

int64_t SequenceModel::num_parameters() const {
  int64_t total = 0;
  for (const auto& p : parameters()) total += p.numel();
  return total;
}

// The official RWKV-7 optimiser decays the large matrices and the embedding; so do nanoGPT's
// for the Transformer. Norms, biases, per-channel vectors (μ, w0, a0, ...) and the low-rank
// adapters (registered as raw parameters, not Linear layers) take none.
std::vector<ParameterGroup> SequenceModel::parameter_groups() const {
  ParameterGroup decayed{"decayed", {}, 1.0, true}, plain{"plain", {}, 1.0, false};
  std::unordered_set<const void*> seen;
  for (const auto& item : named_modules("", /*include_self=*/false)) {
    const auto& module = item.value();
    std::vector<torch::Tensor> matrices;
    if (auto* linear = module->as<torch::nn::Linear>()) matrices.push_back(linear->weight);
    if (auto* embedding = module->as<torch::nn::Embedding>()) matrices.push_back(embedding->weight);
    if (auto* lstm = module->as<torch::nn::LSTM>())
      for (const auto& p : lstm->named_parameters(/*recurse=*/false))
        if (p.value().dim() >= 2) matrices.push_back(p.value());
    for (auto& m : matrices)
      if (seen.insert(m.unsafeGetTensorImpl()).second) decayed.params.push_back(m);
  }
  for (const auto& p : parameters())
    if (!seen.count(p.unsafeGetTensorImpl())) plain.params.push_back(p);
  return {decayed, plain};
}

namespace {

void require_positive(int64_t value, const char* name) {
  if (value <= 0)
    throw std::invalid_argument(std::string("model: ") + name + " must be positive (got " +
                                std::to_string(value) + ")");
}

void require_non_negative(int64_t value, const char* name) {
  if (value < 0)
    throw std::invalid_argument(std::string("model: ") + name +
                                " must be >= 0, 0 = automatic (got " + std::to_string(value) + ")");
}

void require_heads(const ModelConfig& c) {
  require_positive(c.head_size, "head_size");
  if (c.dim % c.head_size != 0)
    throw std::invalid_argument("model: dim " + std::to_string(c.dim) +
                                " is not a multiple of head_size " + std::to_string(c.head_size));
}

}  // namespace

bool fused_applies(const KernelChoice& choice, const torch::Tensor& x, const std::string& model) {
  if (!choice.fused) return false;
  const bool fits =
      x.device().is_cpu() && x.scalar_type() == torch::kFloat && !cpu_autocast_active();
  if (!fits && choice.fused_only)
    throw std::invalid_argument(model + ": kernel 'fused' takes CPU fp32 tensors, got " +
                                std::string(c10::toString(x.scalar_type())) + " on " +
                                x.device().str() +
                                (cpu_autocast_active() ? " under bf16 autocast" : "") +
                                " (use auto)");
  return fits;
}

KernelChoice kernel_choice(const std::string& kernel) {
  KernelChoice choice;
  if (kernel == "fused") {
    choice.fused = choice.fused_only = true;
    return choice;
  }
  if (kernel != "auto" && kernel != "reference" && kernel != "cpu" && kernel != "cuda" &&
      kernel != "loop")
    throw std::invalid_argument("unknown kernel '" + kernel +
                                "' (use auto, fused, reference, cpu, cuda or loop)");
  choice.recurrence = kernels::parse_impl(kernel);
  choice.fused = kernel == "auto";
  return choice;
}

std::shared_ptr<SequenceModel> make_model(const ModelConfig& config) {
  const auto& arch = config.arch;
  if (arch != "rwkv7" && arch != "transformer" && arch != "dssm" && arch != "lstm")
    throw std::invalid_argument("unknown model '" + arch +
                                "' (use rwkv7, transformer, dssm or lstm)");
  require_positive(config.vocab_size, "vocab_size");
  require_positive(config.num_classes, "num_classes");
  require_positive(config.layers, "layers");
  require_positive(config.dim, "dim");
  kernel_choice(config.kernel);  // throws on an unknown kernel name

  if (arch == "rwkv7") {
    require_heads(config);
    require_non_negative(config.rwkv_lora_decay, "rwkv_lora_decay");
    require_non_negative(config.rwkv_lora_a, "rwkv_lora_a");
    require_non_negative(config.rwkv_lora_value, "rwkv_lora_value");
    require_non_negative(config.rwkv_lora_gate, "rwkv_lora_gate");
    return std::make_shared<Rwkv7Model>(config);
  }
  if (arch == "transformer") {
    require_heads(config);
    const auto& pe = config.pos_encoding;
    if (pe != "learned" && pe != "sinusoidal" && pe != "rope" && pe != "none")
      throw std::invalid_argument("model: unknown pos_encoding '" + pe +
                                  "' (use learned, sinusoidal, rope or none)");
    if (pe == "rope" && config.head_size % 2 != 0)
      throw std::invalid_argument("model: rope needs an even head_size (got " +
                                  std::to_string(config.head_size) + ")");
    if (pe == "learned") require_positive(config.max_len, "max_len");
    return std::make_shared<TransformerModel>(config);
  }
  if (arch == "dssm") {
    require_positive(config.dssm_state, "dssm_state");
    require_positive(config.dssm_expand, "dssm_expand");
    parse_dssm_eigen(config.dssm_eigen);  // real | signed | complex | complex-unit, else throws
    return std::make_shared<DssmModel>(config);
  }
  return std::make_shared<LstmModel>(config);
}

}  // namespace goose::core
