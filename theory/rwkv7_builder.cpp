// Hand-setting an Rwkv7Model (see rwkv7_builder.h): NaN-filled parameters, one-hot residual
// groups, identity LayerNorms, neutral blocks and detector banks for the channel mix.
#include "theory/rwkv7_builder.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace goose::theory {

namespace {

constexpr double kLayerNormEps = 1e-5;  // core::Rwkv7Model's LayerNorms (REFERENCE.md §1)

}  // namespace

core::ModelConfig constructed_config(int64_t vocab, int64_t classes, int64_t layers, int64_t dim,
                                     int64_t head_size, int64_t lora_a) {
  core::ModelConfig m;
  m.arch = "rwkv7";
  m.vocab_size = vocab;
  m.num_classes = classes;
  m.layers = layers;
  m.dim = dim;
  m.head_size = head_size;
  m.rwkv_rate = "relaxed";
  m.rwkv_lora_a = lora_a;
  m.rwkv_init = "simple";
  return m;
}

Rwkv7Builder::Rwkv7Builder(core::Rwkv7Model& model)
    : model_(model),
      dim_(model.config().dim),
      head_size_(model.config().head_size),
      layers_(model.config().layers) {
  torch::NoGradGuard no_grad;
  for (auto& item : model_.named_parameters()) {
    item.value().fill_(std::numeric_limits<float>::quiet_NaN());
    params_[item.key()] = item.value();
  }
  add_group("bias", 1);
}

int64_t Rwkv7Builder::add_group(const std::string& name, int64_t size) {
  if (groups_.count(name)) throw std::logic_error("construction: residual group '" + name + "' added twice");
  if (size < 1) throw std::logic_error("construction: residual group '" + name + "' is empty");
  if (used_ + size > dim_)
    throw std::logic_error("construction: residual group '" + name + "' does not fit in width " +
                           std::to_string(dim_) + " (" + std::to_string(used_) + " channels used)");
  groups_[name] = {used_, size};
  order_.push_back(name);
  used_ += size;
  return groups_[name].first;
}

int64_t Rwkv7Builder::reserve_zero() {
  if (used_ + 1 > dim_) throw std::logic_error("construction: no channel left for a zero channel");
  return used_++;
}

int64_t Rwkv7Builder::channel(const std::string& group, int64_t index) const {
  const auto it = groups_.find(group);
  if (it == groups_.end()) throw std::logic_error("construction: no residual group '" + group + "'");
  if (index < 0 || index >= it->second.second)
    throw std::logic_error("construction: index " + std::to_string(index) + " outside group '" + group + "'");
  return it->second.first + index;
}

int64_t Rwkv7Builder::group_size(const std::string& group) const {
  const auto it = groups_.find(group);
  if (it == groups_.end()) throw std::logic_error("construction: no residual group '" + group + "'");
  return it->second.second;
}

torch::Tensor& Rwkv7Builder::param(const std::string& name) {
  const auto it = params_.find(name);
  if (it == params_.end()) throw std::logic_error("construction: the model has no parameter '" + name + "'");
  return it->second;
}

torch::Tensor& Rwkv7Builder::att(int64_t layer, const std::string& name) {
  return param("blocks." + std::to_string(layer) + ".att." + name);
}

torch::Tensor& Rwkv7Builder::ffn(int64_t layer, const std::string& name) {
  return param("blocks." + std::to_string(layer) + ".ffn." + name);
}

void Rwkv7Builder::identity_layer_norm(const std::string& prefix) {
  torch::NoGradGuard no_grad;
  const double mean = double(groups()) / double(dim_);
  const double var = mean - mean * mean;
  param(prefix + ".weight").fill_(std::sqrt(var + kLayerNormEps));
  param(prefix + ".bias").fill_(mean);
}

void Rwkv7Builder::neutral_block(int64_t layer) {
  torch::NoGradGuard no_grad;
  for (const char* mix : {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) att(layer, mix).zero_();
  // w = 1 exactly under either decay parametrisation (see kSaturated).
  att(layer, "w0").fill_(-kSaturated);
  att(layer, "w1").zero_();
  att(layer, "w2").zero_();
  att(layer, "a0").fill_(-kSaturated);
  att(layer, "a1").zero_();
  att(layer, "a2").zero_();
  if (layer > 0) {  // the value residual: σ(-60) mixes in a negligible share of v_first
    att(layer, "v0").fill_(-kSaturated);
    att(layer, "v1").zero_();
    att(layer, "v2").zero_();
  }
  att(layer, "g1").zero_();  // σ(0) = 1/2 on every rank, times 2 in g2's first row: g = 1
  att(layer, "g2").zero_();
  att(layer, "g2")[0].fill_(2.0);
  att(layer, "k_k").fill_(1.0);
  att(layer, "k_a").zero_();
  att(layer, "r_k").zero_();
  for (const char* linear : {"receptance", "key", "value", "output"})
    att(layer, std::string(linear) + ".weight").zero_();
  att(layer, "ln_x.weight").fill_(1.0);
  att(layer, "ln_x.bias").zero_();
  ffn(layer, "x_k").zero_();
  ffn(layer, "key.weight").zero_();
  ffn(layer, "value.weight").zero_();
}

void Rwkv7Builder::rate(int64_t layer, int64_t slot, const std::vector<int64_t>& features,
                        const std::vector<int64_t>& coords, double logit) {
  torch::NoGradGuard no_grad;
  auto a1 = att(layer, "a1").accessor<float, 2>();
  for (const int64_t f : features) a1[f][slot] = 1.0f;
  auto a2 = att(layer, "a2").accessor<float, 2>();
  for (const int64_t ch : coords) a2[slot][ch] = float(logit);
}

void Rwkv7Builder::sign_head(int64_t layer, int64_t head, int64_t write_feature, int64_t on, int64_t off,
                             int64_t balance) {
  torch::NoGradGuard no_grad;
  const int64_t N = head_size_, base = head * N;
  if (N < 2) throw std::logic_error("construction: a sign head needs head size >= 2");
  std::vector<double> p(N, 0.0);
  for (int64_t i = 0; i < N; ++i) p[i] = i % 2 == 0 ? 1.0 : -1.0;
  if (N % 2 == 1) p[N - 1] = 0.0;  // zero mean
  double energy = 0;
  for (double x : p) energy += x * x;
  const double std_p = std::sqrt(energy / double(N));
  auto value = att(layer, "value.weight").accessor<float, 2>();
  auto output = att(layer, "output.weight").accessor<float, 2>();
  auto gn_w = att(layer, "ln_x.weight").accessor<float, 1>();
  auto gn_b = att(layer, "ln_x.bias").accessor<float, 1>();
  for (int64_t i = 0; i < N; ++i) {
    value[base + i][write_feature] = float(kSignValue * p[i]);
    if (balance >= 0) value[base + i][balance] = float(-kSignValue * p[i]);
    gn_w[base + i] = 1.0f;
    gn_b[base + i] = 1.0f;
    const double q = p[i] / std_p;  // GroupNorm's output direction; Σq = 0, Σq² = N
    output[on][base + i] = float((q + 1.0) / (2.0 * N));
    if (off >= 0) output[off][base + i] = float((1.0 - q) / (2.0 * N));
  }
}

void Rwkv7Builder::one_hot_head(int64_t layer, int64_t head, int64_t size, int64_t first_channel) {
  torch::NoGradGuard no_grad;
  const int64_t N = head_size_, base = head * N;
  if (size > N) throw std::logic_error("construction: a one-hot head of " + std::to_string(size) + " values needs head size >= that");
  const double n = double(N);
  auto output = att(layer, "output.weight").accessor<float, 2>();
  auto gn_w = att(layer, "ln_x.weight").accessor<float, 1>();
  auto gn_b = att(layer, "ln_x.bias").accessor<float, 1>();
  for (int64_t i = 0; i < N; ++i) {
    gn_w[base + i] = float(std::sqrt(1.0 / n - 1.0 / (n * n)));
    gn_b[base + i] = float(1.0 / n);
    if (i < size) output[first_channel + i][base + i] = 1.0f;
  }
}

void Rwkv7Builder::finish() {
  for (const auto& [name, value] : params_)
    if (torch::isnan(value).any().item<bool>())
      throw std::logic_error("construction: parameter '" + name + "' was left unset");
}

void Rwkv7Builder::one_hot_readout(int64_t first_channel, int64_t classes, double scale) {
  torch::NoGradGuard no_grad;
  identity_layer_norm("ln_out");
  auto head = param("head.weight").zero_().accessor<float, 2>();
  for (int64_t k = 0; k < classes; ++k) head[k][first_channel + k] = float(scale);
  finish();
}

// ---------------------------------------------------------------------------------------
MlpBuilder::MlpBuilder(Rwkv7Builder& builder, int64_t layer)
    : builder_(builder), key_(builder.ffn(layer, "key.weight")), value_(builder.ffn(layer, "value.weight")) {}

int64_t MlpBuilder::unit(const std::vector<std::vector<int64_t>>& conditions) {
  if (used_ >= key_.size(0))
    throw std::logic_error("construction: the channel mix has only " + std::to_string(key_.size(0)) +
                           " hidden units");
  torch::NoGradGuard no_grad;
  auto key = key_.accessor<float, 2>();
  const int64_t u = used_++;
  for (const auto& condition : conditions)
    for (const int64_t ch : condition) key[u][ch] += 1.0f;
  key[u][builder_.bias()] += 0.5f - float(conditions.size());  // −(m − ½); the bias unit: +½
  return u;
}

int64_t MlpBuilder::bias_unit() {
  if (bias_unit_ < 0) bias_unit_ = unit({});
  return bias_unit_;
}

void MlpBuilder::output(int64_t unit, int64_t channel, double weight) {
  torch::NoGradGuard no_grad;
  value_.accessor<float, 2>()[channel][unit] += float(4.0 * weight);  // a firing unit is 1/4
}

}  // namespace goose::theory
