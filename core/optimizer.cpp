// AdamW for the training loop (see optimizer.h): FusedAdamW's one-pass update over raw fp32
// buffers, and TrainOptimizer, which builds the parameter groups and picks the implementation.
#include "core/optimizer.h"

#include <ATen/record_function.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace goose::core {

namespace {

using torch::optim::AdamWOptions;
using torch::optim::AdamWParamState;

// The key torch's optimisers use for a parameter's state: the TensorImpl address, as a string
// in LibTorch 1.x (c10::guts::to_string, i.e. operator<<) and as the pointer in 2.x.
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;
    out << p.unsafeGetTensorImpl();
    return out.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

bool usable(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous();
}

// Σ g² in double over one gradient, in index order (deterministic).
double sum_of_squares(const torch::Tensor& g) {
  const float* p = g.data_ptr<float>();
  const int64_t n = g.numel();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += double(p[i]) * double(p[i]);
  return sum;
}

}  // namespace

// ---------------------------------------------------------------------------------------
torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  clip_and_step(0.0);
  return loss;
}

void FusedAdamW::clear_grads() {
  for (auto& group : param_groups_)
    for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
}

double FusedAdamW::clip_and_step(double max_norm) {
  RECORD_FUNCTION("fused_adamw", std::vector<c10::IValue>());
  torch::NoGradGuard no_grad;
  // The total gradient norm, as clip_grad_norm_ defines it, accumulated in double.
  double squares = 0;
  for (auto& group : param_groups_)
    for (auto& p : group.params()) {
      const auto& g = p.grad();
      if (!g.defined()) continue;
      if (!usable(g) || !usable(p))
        throw std::invalid_argument(
            "FusedAdamW: parameters and gradients must be contiguous CPU fp32 tensors");
      squares += sum_of_squares(g);
    }
  const double norm = std::sqrt(squares);
  if (!std::isfinite(norm)) return norm;
  const float scale =
      max_norm > 0 ? float(std::min(1.0, max_norm / (norm + 1e-6))) : 1.0f;

  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdamWOptions&>(group.options());
    const double lr = options.lr(), wd = options.weight_decay(), eps = options.eps();
    const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
    if (options.amsgrad()) throw std::invalid_argument("FusedAdamW: amsgrad is not supported");
    for (auto& p : group.params()) {
      const auto& g = p.grad();
      if (!g.defined()) continue;
      const auto key = state_key(state_, p);
      auto found = state_.find(key);
      if (found == state_.end()) {
        auto fresh = std::make_unique<AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        found = state_.emplace(key, std::move(fresh)).first;
      }
      auto& state = static_cast<AdamWParamState&>(*found->second);
      if (!usable(state.exp_avg()) || !usable(state.exp_avg_sq()) ||
          state.exp_avg().numel() != p.numel() || state.exp_avg_sq().numel() != p.numel())
        throw std::invalid_argument("FusedAdamW: the moment buffers do not match the parameter");
      state.step(state.step() + 1);
      const double bias1 = 1 - std::pow(beta1, double(state.step()));
      const double bias2 = 1 - std::pow(beta2, double(state.step()));
      // The same float constants the reference's tensor operations round their scalars to.
      const float decay = float(1 - lr * wd), b1 = float(beta1), b2 = float(beta2);
      const float one_b1 = float(1 - beta1), one_b2 = float(1 - beta2);
      const float sqrt_bias2 = float(std::sqrt(bias2)), epsf = float(eps);
      const float step_size = float(lr / bias1);
      const bool decayed = wd != 0;
      float* __restrict w = p.data_ptr<float>();
      float* __restrict m = state.exp_avg().data_ptr<float>();
      float* __restrict v = state.exp_avg_sq().data_ptr<float>();
      const float* __restrict gp = g.data_ptr<float>();
      const int64_t n = p.numel();
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        const float gi = gp[i] * scale;
        float wi = decayed ? w[i] * decay : w[i];
        const float mi = m[i] * b1 + one_b1 * gi;
        const float vi = v[i] * b2 + one_b2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        wi -= step_size * (mi / (std::sqrt(vi) / sqrt_bias2 + epsf));
        w[i] = wi;
      }
    }
  }
  return norm;
}

// ---------------------------------------------------------------------------------------
TrainOptimizer::TrainOptimizer(SequenceModel& model, const TrainConfig& c, OptimizerImpl impl) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  bool all_cpu_fp32 = true;
  for (auto& group : model.parameter_groups()) {
    if (group.params.empty()) continue;
    for (const auto& p : group.params) {
      all_cpu_fp32 = all_cpu_fp32 && usable(p);
      parameters_.push_back(p);
    }
    auto options = std::make_unique<AdamWOptions>(c.lr * group.lr_scale);
    options->betas({c.beta1, c.beta2}).eps(c.adam_eps).weight_decay(group.weight_decay ? c.weight_decay : 0.0);
    groups.emplace_back(std::move(group.params), std::move(options));
    scales_.push_back(group.lr_scale);
  }
  AdamWOptions defaults(c.lr);
  defaults.betas({c.beta1, c.beta2}).eps(c.adam_eps).weight_decay(0.0);
  if (impl == OptimizerImpl::Fused && !all_cpu_fp32)
    throw std::invalid_argument("the fused AdamW takes contiguous CPU fp32 parameters only");
  if (impl == OptimizerImpl::Fused || (impl == OptimizerImpl::Auto && all_cpu_fp32)) {
    auto fused = std::make_unique<FusedAdamW>(std::move(groups), defaults);
    fused_ = fused.get();
    adamw_ = std::move(fused);
  } else {
    adamw_ = std::make_unique<torch::optim::AdamW>(std::move(groups), defaults);
  }
}

void TrainOptimizer::set_learning_rate(double lr) {
  auto& groups = adamw_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i)
    static_cast<AdamWOptions&>(groups[i].options()).lr(lr * scales_[i]);
}

void TrainOptimizer::zero_grad() {
  if (fused_) fused_->clear_grads();
  else adamw_->zero_grad();
}

double TrainOptimizer::clip_and_step(double max_norm) {
  if (fused_) return fused_->clip_and_step(max_norm);
  double norm = 0;
  if (max_norm > 0) norm = torch::nn::utils::clip_grad_norm_(parameters_, max_norm);
  if (!std::isfinite(norm)) return norm;
  adamw_->step();
  return norm;
}

std::unique_ptr<TrainOptimizer> make_optimizer(SequenceModel& model, const TrainConfig& config,
                                               OptimizerImpl impl) {
  return std::make_unique<TrainOptimizer>(model, config, impl);
}

}  // namespace goose::core
