// Setting an ordinary core::Rwkv7Model's weights by hand: the residual stream as named one-hot
// groups (so every LayerNorm sees the same mean and variance at every position and can be
// made an exact identity), neutral defaults for every knob a construction does not use, and a
// check that no parameter was left unset. Exports Rwkv7Builder, MlpBuilder, kSaturated,
// constructed_config().
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/rwkv7.h"

namespace goose::theory {

// A logit this large saturates the sigmoid in fp32: σ(60) = 1 exactly and σ(-60) ≈ 8.8e-27,
// so a relaxed rate 2σ(±60) is exactly 2 or negligibly above 0, and a decay logit of -60 gives
// w = 1 exactly in both decay parametrisations (exp(-e^{-1/2}·σ(-60)) and exp(-exp(-60))).
constexpr double kSaturated = 60.0;

// The model configuration every construction starts from: RWKV-7 with the relaxed rate (a up to
// 2, for reflections), the cheap "simple" initialisation (every weight is then set by hand) and
// a low-rank a-projection of rank lora_a (the constructions route one feature per rank to it).
core::ModelConfig constructed_config(int64_t vocab, int64_t classes, int64_t layers, int64_t dim,
                                     int64_t head_size, int64_t lora_a);

class Rwkv7Builder {
 public:
  // Every parameter of `model` is set to NaN; finish() fails if one is still NaN.
  explicit Rwkv7Builder(core::Rwkv7Model& model);

  int64_t dim() const { return dim_; }
  int64_t heads() const { return dim_ / head_size_; }
  int64_t head_size() const { return head_size_; }
  int64_t layers() const { return layers_; }

  // The residual stream is a concatenation of one-hot groups: at every position exactly one
  // channel of each group is 1 and the rest are 0, so the stream's mean and variance are the
  // same at every position. The first group is "bias", one channel that is always 1.
  int64_t add_group(const std::string& name, int64_t size);  // first channel; throws when C is full
  // A channel that nothing ever writes: 0 at every position before each LayerNorm, so after it
  // exactly the value every other 0 becomes (the same arithmetic on the same input). A weight
  // w on a feature channel balanced by −w on this one contributes exactly 0 where the feature
  // is 0, instead of w times the LayerNorm's rounding remainder. Not a group (it is never 1).
  int64_t reserve_zero();
  int64_t channel(const std::string& group, int64_t index) const;
  int64_t group_size(const std::string& group) const;
  int64_t groups() const { return static_cast<int64_t>(order_.size()); }
  int64_t channels_used() const { return used_; }
  int64_t bias() const { return 0; }

  // The parameter of that name ("blocks.0.att.key.weight"); throws std::logic_error if unknown.
  torch::Tensor& param(const std::string& name);
  torch::Tensor& att(int64_t layer, const std::string& name);  // blocks.<layer>.att.<name>
  torch::Tensor& ffn(int64_t layer, const std::string& name);  // blocks.<layer>.ffn.<name>

  // LayerNorm `prefix` (.weight, .bias) as the identity on the stream as it is now: with G
  // groups, mean μ = G/C and variance σ² = G/C - μ², so γ = √(σ² + eps), β = μ gives
  // LN(x) = x up to rounding.
  void identity_layer_norm(const std::string& prefix);

  // A block that changes nothing: no token shift (μ = 0), w = 1, rate logits -kSaturated, no
  // value residual, gate g = 1 (g1 = 0, g2's first row 2), κ̂ = normalised k (k_k = 1), write
  // key = k (k_a = 0), no bonus (r_k = 0), zero projections, GroupNorm γ = 1, β = 0, zero
  // channel mix. Constructions then set what they use.
  void neutral_block(int64_t layer);

  // The in-context rate as a switch: rank `slot` of the rate's low-rank path (a1, a2) reads the
  // channels `features` (a condition: their sum is 1 when it holds, 0 when not) and adds `logit`
  // to the rate logit (a0 = −kSaturated) of the state coordinates `coords`: a = 2σ(kSaturated) = 2
  // for logit 2·kSaturated, 2σ(0) = 1 for kSaturated, where the condition holds; ≈ 0 elsewhere.
  void rate(int64_t layer, int64_t slot, const std::vector<int64_t>& features, const std::vector<int64_t>& coords,
            double logit);

  // Readout heads. A sign head's state is rank one, S = kSignValue·p·uᵀ (p a fixed zero-mean
  // ±1 pattern over the head's coordinates, written when the channel `write_feature` is on),
  // and its receptance makes u·r = ±s with s bounded away from 0, so y = ±s·kSignValue·p.
  // GroupNorm turns that into ±p/std(p) + 𝟙 (γ = 1, β = 𝟙, which is orthogonal to p), and
  // the output projection sends it to channel `on` as 1 for + and 0 for −, and to `off` (when
  // ≥ 0) as the complement: a magnitude GroupNorm would erase becomes a one-hot it cannot.
  // `balance` ≥ 0: the write is balanced by that zero channel (reserve_zero), so the value is
  // exactly 0 wherever `write_feature` is 0.
  void sign_head(int64_t layer, int64_t head, int64_t write_feature, int64_t on, int64_t off,
                 int64_t balance = -1);
  // A one-hot head's output is c·e_i for some i < size and c > 0 the same at every position:
  // GroupNorm γ = √(1/N - 1/N²), β = 1/N maps it to e_i, copied to channels first + i.
  void one_hot_head(int64_t layer, int64_t head, int64_t size, int64_t first_channel);
  static constexpr double kSignValue = 64.0;

  // Throws std::logic_error naming the first parameter still NaN.
  void finish();

  // The last step of a construction whose answer is a one-hot over `classes` channels from
  // `first_channel`: ln_out as the identity, head row k = scale on channel first_channel + k,
  // then finish().
  void one_hot_readout(int64_t first_channel, int64_t classes, double scale);

 private:
  core::Rwkv7Model& model_;
  std::map<std::string, torch::Tensor> params_;
  int64_t dim_, head_size_, layers_, used_ = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> groups_;  // name -> (first, size)
  std::vector<std::string> order_;
};

// One channel mix as a bank of detectors: a hidden unit fires when all of its m conditions
// hold; each condition is a set of residual channels whose sum is 1 when it holds and 0 when
// not (one channel of a one-hot group, or several of the same group).
// pre = Σ_conditions Σ_channels x − (m − ½)·x_bias, unit = relu(pre)², 1/4 when all hold and
// exactly 0 otherwise (pre ≤ −½ up to rounding); outputs are weighted ×4, so a firing unit
// adds its weight and the others add exactly nothing.
class MlpBuilder {
 public:
  MlpBuilder(Rwkv7Builder& builder, int64_t layer);
  // Returns the unit index; throws std::logic_error when the 4C hidden units are used up.
  int64_t unit(const std::vector<std::vector<int64_t>>& conditions);
  int64_t bias_unit();  // a unit that is always 1 (conditions: none)
  void output(int64_t unit, int64_t channel, double weight = 1.0);
  int64_t units_used() const { return used_; }

 private:
  Rwkv7Builder& builder_;
  torch::Tensor key_, value_;  // (4C, C) and (C, 4C), zero-initialised by the constructor
  int64_t used_ = 0, bias_unit_ = -1;
};

}  // namespace goose::theory
