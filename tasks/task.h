// A Task: the language's minimal DFA (and group) behind a spec ("parity", "tomita:3",
// "regex:(ab)*", "dfa:F.json", "group:S5", ...; the families are in tasks/registry.h), plus the
// labelled batches core trains on. Exports Objective, Task, make_task(), make_batch_source().
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "automata/dfa.h"
#include "automata/group.h"
#include "core/batch.h"

namespace goose::tasks {

// state: the DFA state (group: the running product) at every position;
// accept: accept/reject of every prefix; accept-final: accept/reject at the end only.
enum class Objective { State, Accept, AcceptFinal };
Objective parse_objective(const std::string& name);  // invalid_argument on anything else
std::string to_string(Objective objective);

struct Task {
  std::string spec;         // as given
  std::string description;  // one line
  automata::Dfa dfa;        // minimal complete DFA over the task's input symbols
  std::optional<automata::FiniteGroup> group;  // group word problems
  int num_symbols() const { return dfa.num_symbols(); }

  // Added by tasks/: the accept-style label of each DFA state (objectives accept and
  // accept-final). Empty = accepting[] (0 reject, 1 accept). mod-arith uses the value of
  // the expression read so far (5 classes) and -1 (unlabelled) after an operator.
  std::vector<int32_t> outputs;
  std::vector<std::string> output_names;  // empty = {"reject", "accept"}
  // Sample state-objective strings uniformly among those that never enter the dead state
  // (formatted inputs: mod-arith, dyck), instead of uniformly among all strings.
  bool live_only = false;

  int num_outputs() const { return output_names.empty() ? 2 : static_cast<int>(output_names.size()); }
  int output_of(int state) const { return outputs.empty() ? dfa.accepting[state] : outputs[state]; }
};

// The task a spec names, built by its registry entry (tasks/registry.cpp). Throws
// std::invalid_argument ("unknown task 'x' (try: gooselab tasks list)", bad regex, ...).
Task make_task(const std::string& spec);

// Labelled batches of the task (tokens: BOS, then core::kFirstSymbolToken + symbol index).
// For accept objectives the batches are balanced positives / negatives (hard negatives included).
std::unique_ptr<core::BatchSource> make_batch_source(const Task& task, Objective objective);

}  // namespace goose::tasks
