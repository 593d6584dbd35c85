// TaskBatchSource (see batch_source.h): per-sequence seeded generation, labelling, padding.
#include "tasks/batch_source.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "tasks/labeling.h"

namespace goose::tasks {
namespace {

constexpr uint64_t kChanceSeed = 0x5EED0C4A4CEull;

void check_range(int64_t batch_size, int64_t min_len, int64_t max_len) {
  if (batch_size < 1)
    throw std::invalid_argument("batch size must be at least 1 (got " + std::to_string(batch_size) + ")");
  if (min_len < 1)
    throw std::invalid_argument("sequence length must be at least 1 (got " + std::to_string(min_len) + ")");
  if (max_len < min_len)
    throw std::invalid_argument("maximum length " + std::to_string(max_len) + " is below minimum " +
                                std::to_string(min_len));
}

}  // namespace

std::string to_string(SampleKind kind) {
  switch (kind) {
    case SampleKind::Uniform: return "uniform";
    case SampleKind::Live: return "live";
    case SampleKind::Positive: return "positive";
    case SampleKind::Negative: return "negative";
    case SampleKind::HardNegative: return "hard-negative";
    case SampleKind::Class: return "class";
  }
  return "?";
}

TaskBatchSource::TaskBatchSource(Task task, Objective objective)
    : task_(std::move(task)), objective_(objective) {
  const automata::Dfa& dfa = task_.dfa;
  binary_ = task_.outputs.empty();
  if (objective_ == Objective::State) {
    if (task_.live_only) live_sampler_ = std::make_unique<CountingSampler>(dfa, live_states(dfa));
    chance_ = task_.group ? 1.0 / task_.group->order() : measure_chance(512, 1, 64, kChanceSeed);
  } else {
    for (int c = 0; c < task_.num_outputs(); ++c) {
      std::vector<uint8_t> target(dfa.num_states);
      for (int q = 0; q < dfa.num_states; ++q) target[q] = task_.output_of(q) == c;
      class_samplers_.push_back(std::make_unique<CountingSampler>(dfa, std::move(target)));
    }
    chance_ = 1.0 / task_.num_outputs();
  }
}

int64_t TaskBatchSource::num_classes() const { return tasks::num_classes(task_, objective_); }

std::string TaskBatchSource::describe() const {
  return "task " + task_.spec + " (" + task_.description + "), objective " + to_string(objective_) +
         ", " + std::to_string(num_classes()) + " classes, vocabulary " + std::to_string(vocab_size());
}

std::vector<int64_t> TaskBatchSource::usable_lengths(int64_t min_len, int64_t max_len) const {
  std::vector<int64_t> lengths;
  if (objective_ == Objective::State) return lengths;  // every length; drawn directly
  for (int64_t n = min_len; n <= max_len; ++n) {
    bool all = true;
    for (const auto& s : class_samplers_) all = all && s->possible(n);
    if (all) lengths.push_back(n);
  }
  if (!lengths.empty()) return lengths;
  const std::string task = "task " + task_.spec;
  if (min_len == max_len) {
    for (int c = task_.num_outputs() - 1; c >= 0; --c)
      if (!class_samplers_[c]->possible(min_len)) {
        const std::string what = binary_ ? (c ? "positive" : "negative")
                                         : "labelled string with label " + task_.output_names[c] + " of";
        throw std::invalid_argument(task + " has no " + what + (binary_ ? " string of" : "") +
                                    " length " + std::to_string(min_len));
      }
  }
  throw std::invalid_argument(task + " has no length in [" + std::to_string(min_len) + ", " +
                              std::to_string(max_len) + "] with strings of every label (" +
                              (binary_ ? "positive and negative" : "all classes") + ")");
}

namespace {

// One sequence's stream: its length is the first draw, its content the following ones.
struct Draw {
  Rng rng;
  int64_t length;
};

Draw start_sequence(uint64_t seed, int64_t index, int64_t min_len, int64_t max_len,
                    const std::vector<int64_t>& lengths) {
  Draw d{Rng(mix_seed(seed, static_cast<uint64_t>(index))), 0};
  if (lengths.empty())
    d.length = min_len + d.rng.below(static_cast<uint32_t>(max_len - min_len + 1));
  else
    d.length = lengths[d.rng.below(static_cast<uint32_t>(lengths.size()))];
  return d;
}

}  // namespace

std::vector<Example> TaskBatchSource::examples(int64_t count, int64_t min_len, int64_t max_len,
                                               uint64_t seed) const {
  check_range(count, min_len, max_len);
  const std::vector<int64_t> lengths = usable_lengths(min_len, max_len);
  std::vector<Example> out(count);
  std::vector<int32_t> scratch(max_len);
  for (int64_t i = 0; i < count; ++i) {
    Draw d = start_sequence(seed, i, min_len, max_len, lengths);
    Example& ex = out[i];
    ex.symbols.resize(d.length);
    const int64_t n = d.length;
    int32_t* sym = ex.symbols.data();
    if (objective_ == Objective::State) {
      if (live_sampler_ && live_sampler_->sample(n, d.rng, sym)) {
        ex.kind = SampleKind::Live;
      } else {
        sample_uniform_states<int32_t>(task_.dfa, n, d.rng, sym, nullptr);
        ex.kind = SampleKind::Uniform;
      }
    } else if (!binary_) {
      const int c = static_cast<int>(i % task_.num_outputs());
      class_samplers_[c]->sample(n, d.rng, sym);
      ex.kind = SampleKind::Class;
    } else if (i % 2 == 0) {
      class_samplers_[1]->sample(n, d.rng, sym);
      ex.kind = SampleKind::Positive;
    } else {
      ex.kind = SampleKind::Negative;
      if (i % 4 == 3) {
        class_samplers_[1]->sample(n, d.rng, scratch.data());
        if (hard_negative(task_.dfa, scratch.data(), n, d.rng, sym)) ex.kind = SampleKind::HardNegative;
      }
      if (ex.kind == SampleKind::Negative) class_samplers_[0]->sample(n, d.rng, sym);
    }
    ex.labels = label_word(task_, objective_, ex.symbols);
  }
  return out;
}

core::Batch TaskBatchSource::sample(int64_t batch_size, int64_t min_len, int64_t max_len,
                                    uint64_t seed) const {
  check_range(batch_size, min_len, max_len);
  core::Batch batch;
  const bool fast = objective_ == Objective::State && !live_sampler_;
  std::vector<Example> slow;
  std::vector<Draw> draws;
  int64_t longest = 0;
  if (fast) {
    draws.reserve(batch_size);
    for (int64_t i = 0; i < batch_size; ++i) {
      draws.push_back(start_sequence(seed, i, min_len, max_len, {}));
      longest = std::max(longest, draws.back().length);
    }
  } else {
    slow = examples(batch_size, min_len, max_len, seed);
    for (const Example& ex : slow) longest = std::max<int64_t>(longest, ex.symbols.size());
  }
  const int64_t width = longest + 1;
  batch.tokens = torch::full({batch_size, width}, core::kPadToken, torch::kInt64);
  batch.targets = torch::full({batch_size, width}, core::kIgnoreIndex, torch::kInt64);
  batch.lengths = torch::empty({batch_size}, torch::kInt64);
  int64_t* tokens = batch.tokens.data_ptr<int64_t>();
  int64_t* targets = batch.targets.data_ptr<int64_t>();
  int64_t* lengths = batch.lengths.data_ptr<int64_t>();
  for (int64_t i = 0; i < batch_size; ++i) {
    int64_t* tok = tokens + i * width;
    int64_t* tgt = targets + i * width;
    tok[0] = core::kBosToken;
    if (fast) {
      const int64_t n = draws[i].length;
      sample_uniform_states<int64_t>(task_.dfa, n, draws[i].rng, tok + 1, tgt + 1);
      for (int64_t t = 1; t <= n; ++t) tok[t] += 2;
      lengths[i] = n;
    } else {
      const Example& ex = slow[i];
      const int64_t n = static_cast<int64_t>(ex.symbols.size());
      for (int64_t t = 0; t < n; ++t) {
        tok[t + 1] = 2 + ex.symbols[t];
        tgt[t + 1] = ex.labels[t];
      }
      lengths[i] = n;
    }
  }
  return batch;
}

double TaskBatchSource::measure_chance(int64_t count, int64_t min_len, int64_t max_len,
                                       uint64_t seed) const {
  std::map<int64_t, int64_t> freq;
  int64_t total = 0;
  for (const Example& ex : examples(count, min_len, max_len, seed))
    for (int64_t label : ex.labels)
      if (label != core::kIgnoreIndex) {
        ++freq[label];
        ++total;
      }
  int64_t best = 0;
  for (const auto& kv : freq) best = std::max(best, kv.second);
  return total ? static_cast<double>(best) / total : 0.0;
}

std::unique_ptr<core::BatchSource> make_batch_source(const Task& task, Objective objective) {
  return std::make_unique<TaskBatchSource>(task, objective);
}

}  // namespace goose::tasks
