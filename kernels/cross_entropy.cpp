// cross_entropy(): the fused CPU op as an autograd Function, or LibTorch's (see cross_entropy.h).
// logits (rows,K), targets (rows); loss = mean_labelled(lse − logit[target])
#include "kernels/cross_entropy.h"

#include <ATen/record_function.h>

#include "kernels/cross_entropy_cpu.h"
#include "kernels/tensor_checks.h"

namespace goose::kernels {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, Tensor logits, Tensor targets,
                               int64_t ignore_index) {
    RECORD_FUNCTION("cross_entropy_cpu_forward", std::vector<c10::IValue>());
    const int64_t rows = logits.size(0), K = logits.size(1);
    auto lse = torch::empty({rows, 2}, logits.options());
    int64_t count = 0;
    const double sum = cross_entropy_cpu_forward(rows, K, logits.data_ptr<float>(),
                                                 targets.data_ptr<int64_t>(), ignore_index,
                                                 lse.data_ptr<float>(), &count);
    ctx->save_for_backward({logits, targets});
    ctx->saved_data["lse"] = lse;
    ctx->saved_data["count"] = count;
    ctx->saved_data["ignore"] = ignore_index;
    return {torch::tensor(static_cast<float>(sum / double(count)), logits.options())};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    RECORD_FUNCTION("cross_entropy_cpu_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const Tensor &logits = saved[0], &targets = saved[1];
    const int64_t rows = logits.size(0), K = logits.size(1);
    const int64_t count = ctx->saved_data["count"].toInt();
    const float g = grads[0].defined() ? grads[0].item<float>() : 0.f;
    auto dlogits = torch::empty_like(logits);
    cross_entropy_cpu_backward(rows, K, logits.data_ptr<float>(), targets.data_ptr<int64_t>(),
                               ctx->saved_data["ignore"].toInt(),
                               ctx->saved_data["lse"].toTensor().data_ptr<float>(),
                               static_cast<float>(double(g) / double(count)),
                               dlogits.data_ptr<float>());
    return {dlogits, Tensor(), Tensor()};
  }
};

}  // namespace

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets,
                            int64_t ignore_index, bool fused) {
  const bool fits = fused && logits.defined() && logits.dim() == 2 && logits.device().is_cpu() &&
                    logits.scalar_type() == torch::kFloat && targets.defined() &&
                    targets.dim() == 1 && targets.scalar_type() == torch::kLong &&
                    targets.device().is_cpu() && targets.size(0) == logits.size(0) &&
                    logits.size(0) > 0 && logits.size(1) > 0;
  if (!fits)
    return torch::nn::functional::cross_entropy(
        logits, targets, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(ignore_index));
  return CrossEntropyFunction::apply(logits.contiguous(), targets.contiguous(), ignore_index)[0];
}

}  // namespace goose::kernels
