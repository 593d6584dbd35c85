// Exact constructions: hand-set weights of an ordinary one- or four-layer RWKV-7 that track a
// permutation word problem (swap: group word problems whose inputs are transpositions, and
// DFAs whose symbols each swap two states) or recognise a regular language (regular: the
// four-layer pipeline of paper/constructions.md; cascade: three layers for mod-arith). Exports ConstructOptions, ConstructionPlan,
// plan_construction().
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "core/rwkv7.h"
#include "tasks/task.h"

namespace goose::theory {

struct ConstructOptions {
  std::string kind = "auto";  // auto (swap when it covers the task, cascade for mod-arith, else regular)
                              // | swap | regular | cascade
  int64_t dim = 0;            // 0: the narrowest width that fits; else exactly this (at least that)
};

// Width beyond which a construction is refused: it would not evaluate at useful lengths here.
constexpr int64_t kMaxConstructionDim = 4096;

struct ConstructionPlan {
  std::string kind;          // "swap" | "regular" | "cascade"
  core::ModelConfig model;   // arch rwkv7, layers, dim, head_size, low-rank sizes, rwkv_rate relaxed,
                             // vocab_size and num_classes of the task's batches
  nlohmann::json description;  // what construction.json says: the layout, factors and sizes
  // Sets every weight of a model built from `model` (any rate and decay setting; the weights do
  // not change with them). Throws std::logic_error if the model's sizes differ.
  std::function<void(core::Rwkv7Model&)> build;
};

// Throws std::invalid_argument with one line naming why: a task or objective the chosen
// construction does not cover, or a width too small (options.dim) or too large.
ConstructionPlan plan_construction(const tasks::Task& task, tasks::Objective objective,
                                   const ConstructOptions& options);

}  // namespace goose::theory
