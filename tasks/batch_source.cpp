// TaskBatchSource (see batch_source.h): per-sequence seeded generation, labelling, padding,
// and the chance level of the data it draws.
#include "tasks/batch_source.h"

#include <algorithm>
#include <stdexcept>

#include "automata/dfa_build.h"
#include "core/seed.h"
#include "tasks/labeling.h"

namespace goose::tasks {
namespace {

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
  if (dfa.num_symbols() < 1)
    throw std::invalid_argument("task " + task_.spec + " has no input symbols (an empty alphabet)");
  binary_ = task_.outputs.empty();
  if (objective_ == Objective::State) {
    if (task_.live_only) live_sampler_ = std::make_unique<CountingSampler>(dfa, automata::live_states(dfa));
    uniform_chance_ = std::make_unique<UniformStateChance>(dfa);
  } else {
    for (int c = 0; c < task_.num_outputs(); ++c) {
      std::vector<uint8_t> target(dfa.num_states);
      for (int q = 0; q < dfa.num_states; ++q) target[q] = task_.output_of(q) == c;
      class_samplers_.push_back(std::make_unique<CountingSampler>(dfa, std::move(target)));
    }
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
  Draw d{Rng(core::mix_seed(seed, static_cast<uint64_t>(index))), 0};
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
      for (int64_t t = 1; t <= n; ++t) tok[t] += core::kFirstSymbolToken;
      lengths[i] = n;
    } else {
      const Example& ex = slow[i];
      const int64_t n = static_cast<int64_t>(ex.symbols.size());
      for (int64_t t = 0; t < n; ++t) {
        tok[t + 1] = core::kFirstSymbolToken + ex.symbols[t];
        tgt[t + 1] = ex.labels[t];
      }
      lengths[i] = n;
    }
  }
  return batch;
}

TaskBatchSource::ChanceSums TaskBatchSource::length_chance(int64_t n) const {
  const auto cached = chance_cache_.find(n);
  if (cached != chance_cache_.end()) return cached->second;
  const automata::Dfa& dfa = task_.dfa;
  ChanceSums sums;
  if (objective_ == Objective::State) {
    if (live_sampler_ && live_sampler_->possible(n)) {
      for_each_state_distribution(dfa, {live_sampler_.get()}, n,
                                  [&](int64_t, const std::vector<std::vector<double>>& dists) {
                                    sums.correct += *std::max_element(dists[0].begin(), dists[0].end());
                                  });
    } else {  // examples() draws uniform strings when no live string has this length
      sums.correct = uniform_chance_->best_sum(n);
    }
    sums.labelled = static_cast<double>(n);
  } else if (objective_ == Objective::AcceptFinal) {
    sums.correct = 1.0 / task_.num_outputs();  // one labelled position, classes balanced
    sums.labelled = 1;
  } else if (!binary_) {
    // Class c (a share 1/C of the sequences) is uniform among the strings whose last label is c.
    const int classes = task_.num_outputs();
    std::vector<const CountingSampler*> kinds;
    for (const auto& s : class_samplers_) kinds.push_back(s.get());
    std::vector<double> p(classes);
    for_each_state_distribution(dfa, kinds, n, [&](int64_t, const std::vector<std::vector<double>>& dists) {
      std::fill(p.begin(), p.end(), 0.0);
      for (int c = 0; c < classes; ++c)
        for (int q = 0; q < dfa.num_states; ++q)
          if (task_.output_of(q) >= 0) p[task_.output_of(q)] += dists[c][q] / classes;
      sums.correct += *std::max_element(p.begin(), p.end());
      for (double x : p) sums.labelled += x;
    });
  } else {
    // Half positives, a quarter uniform negatives (both exact), a quarter hard negatives
    // (Monte-Carlo, drawn exactly as examples() draws them).
    std::vector<double> hard_accept(n + 1, 0.0);
    const int64_t draws = std::clamp<int64_t>((int64_t{1} << 21) / n, 256, 4096);
    Rng rng(core::mix_seed(kChanceSeed, static_cast<uint64_t>(n)));
    std::vector<int32_t> positive(n), word(n);
    for (int64_t i = 0; i < draws; ++i) {
      class_samplers_[1]->sample(n, rng, positive.data());
      if (!hard_negative(dfa, positive.data(), n, rng, word.data())) class_samplers_[0]->sample(n, rng, word.data());
      int q = dfa.start;
      for (int64_t t = 1; t <= n; ++t) {
        q = dfa.next(q, word[t - 1]);
        hard_accept[t] += dfa.accepting[q];
      }
    }
    for_each_state_distribution(
        dfa, {class_samplers_[1].get(), class_samplers_[0].get()}, n,
        [&](int64_t t, const std::vector<std::vector<double>>& dists) {
          double accept = 0.25 * hard_accept[t] / static_cast<double>(draws);
          for (int q = 0; q < dfa.num_states; ++q)
            if (dfa.accepting[q]) accept += 0.5 * dists[0][q] + 0.25 * dists[1][q];
          sums.correct += std::max(accept, 1.0 - accept);
        });
    sums.labelled = static_cast<double>(n);
  }
  chance_cache_[n] = sums;
  return sums;
}

double TaskBatchSource::chance_accuracy(int64_t min_len, int64_t max_len) const {
  check_range(1, min_len, max_len);
  double correct = 0, labelled = 0;
  if (objective_ == Objective::State && !live_sampler_) {
    // Lengths uniform in [min, max]; every position labelled.
    for (int64_t n = min_len; n <= max_len; ++n) {
      correct += uniform_chance_->best_sum(n);
      labelled += static_cast<double>(n);
    }
    return correct / labelled;
  }
  std::vector<int64_t> lengths = usable_lengths(min_len, max_len);
  if (lengths.empty())  // the state objective draws every length
    for (int64_t n = min_len; n <= max_len; ++n) lengths.push_back(n);
  std::lock_guard<std::mutex> lock(chance_mutex_);
  for (int64_t n : lengths) {
    const ChanceSums sums = length_chance(n);
    correct += sums.correct;
    labelled += sums.labelled;
  }
  return labelled > 0 ? correct / labelled : 0.0;
}

std::unique_ptr<core::BatchSource> make_batch_source(const Task& task, Objective objective) {
  return std::make_unique<TaskBatchSource>(task, objective);
}

}  // namespace goose::tasks
