// Labelings of task strings (see labeling.h).
#include "tasks/labeling.h"

namespace goose::tasks {

void label_word(const Task& task, Objective objective, const int32_t* word, int64_t n, int64_t* labels) {
  const automata::Dfa& dfa = task.dfa;
  int q = dfa.start;
  for (int64_t t = 0; t < n; ++t) {
    q = dfa.next(q, word[t]);
    if (objective == Objective::State) {
      labels[t] = q;
    } else if (objective == Objective::Accept || t == n - 1) {
      const int out = task.output_of(q);
      labels[t] = out < 0 ? core::kIgnoreIndex : out;
    } else {
      labels[t] = core::kIgnoreIndex;
    }
  }
}

std::vector<int64_t> label_word(const Task& task, Objective objective, const std::vector<int32_t>& word) {
  std::vector<int64_t> labels(word.size());
  label_word(task, objective, word.data(), static_cast<int64_t>(word.size()), labels.data());
  return labels;
}

int64_t num_classes(const Task& task, Objective objective) {
  return objective == Objective::State ? task.dfa.num_states : task.num_outputs();
}

std::string class_name(const Task& task, Objective objective, int64_t label) {
  if (label == core::kIgnoreIndex) return "-";
  if (objective == Objective::State) {
    if (!task.dfa.state_names.empty()) return task.dfa.state_names[label];
    return std::to_string(label);
  }
  if (!task.output_names.empty()) return task.output_names[label];
  return label ? "accept" : "reject";
}

}  // namespace goose::tasks
