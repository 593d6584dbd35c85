// `gooselab tasks list|show|sample|dfa`: inspect the built-in and user-defined tasks, their
// minimal DFAs and algebra, and sample labelled strings. Text is formatted with fmt and built
// in a string that is printed only on success, so a bad input leaves stdout empty.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "automata/dfa.h"
#include "core/text.h"
#include "experiments/cli_common.h"
#include "experiments/commands.h"
#include "tasks/batch_source.h"
#include "tasks/labeling.h"
#include "tasks/registry.h"
#include "tasks/sampler.h"
#include "tasks/task.h"
#include "tasks/task_facts.h"

namespace goose::experiments {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultLength = 16;
constexpr int64_t kDefaultCount = 8;
constexpr int64_t kMaxSampleLength = 1 << 20;
constexpr int64_t kMaxSampleCount = 1 << 20;
constexpr size_t kTextWidth = 96;
constexpr size_t kLabelWidth = 13;  // `tasks show`'s first column

// `text` wrapped at kTextWidth, continuation lines indented by `indent` spaces.
std::string wrap(const std::string& text, size_t indent) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && indent + line.size() + 1 + word.size() > kTextWidth) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line;
}

// Items joined with `sep`, as many as fit in `budget` characters (at least one), then
// "… N more": a 168-element alphabet stays one readable line (--json keeps the full list).
std::string cut_list(const std::vector<std::string>& items, const std::string& sep, size_t budget) {
  std::string out;
  size_t shown = 0;
  for (; shown < items.size(); ++shown) {
    const std::string next = (shown ? sep : "") + items[shown];
    const size_t tail = shown + 1 < items.size() ? fmt::format(" … {} more", items.size() - shown - 1).size() : 0;
    if (shown > 0 && out.size() + next.size() + tail > budget) break;
    out += next;
  }
  if (shown < items.size()) out += fmt::format(" … {} more", items.size() - shown);
  return out;
}

std::string usage_text() {
  std::string specs;
  for (const tasks::TaskEntry& entry : tasks::task_registry()) specs += (specs.empty() ? "" : ", ") + entry.pattern;
  return fmt::format(
      "usage: gooselab tasks <list|show|sample|dfa> [options]\n"
      "\n"
      "  list [--markdown]       every task family and built-in task (--markdown: the README table)\n"
      "  show SPEC [--json]      alphabet, minimal DFA size, monoid, algebra, sample strings\n"
      "  sample SPEC [options]   labelled samples (--length --count --seed --objective --format)\n"
      "  dfa SPEC [--format]     the task's minimal DFA as JSON or Graphviz dot\n"
      "\n"
      "{}\n"
      "{}\n"
      "Run 'gooselab tasks <subcommand> --help' for details.\n",
      wrap("Task specs: " + specs + " ('gooselab tasks list' describes each).", 0),
      wrap("Objectives: state (DFA state, or the running product for groups, at every position), "
           "accept (accept/reject of every prefix; mod-arith: the value mod 5 so far, none after an "
           "operator), accept-final (the last position only).",
           0));
}

// Symbols joined with spaces, or run together when every symbol is one character; cut to
// `budget` characters when one is given.
std::string join_symbols(const automata::Dfa& dfa, const std::vector<int32_t>& word, size_t budget = SIZE_MAX) {
  if (word.empty()) return "(empty)";
  bool single = true;
  for (const auto& s : dfa.alphabet) single = single && s.size() == 1;
  std::vector<std::string> names;
  for (int32_t s : word) names.push_back(dfa.alphabet[s]);
  return cut_list(names, single ? "" : " ", budget);
}

// `options` plus the hidden positional SPEC, for parsing (help shows `options` only).
po::options_description with_spec(const po::options_description& options) {
  po::options_description all;
  all.add(options).add_options()("spec", po::value<std::string>(), "task spec");
  return all;
}

std::string spec_argument(const po::variables_map& vm, const std::string& command) {
  if (!vm.count("spec"))
    throw std::invalid_argument(command + ": missing SPEC (e.g. gooselab " + command + " parity)");
  return vm["spec"].as<std::string>();
}

// A whole-number option through the one strict parser, within [low, high].
int64_t int_option(const po::variables_map& vm, const std::string& name, int64_t low, int64_t high,
                   const std::string& command) {
  const std::string text = vm[name].as<std::string>();
  int64_t value = 0;
  try {
    value = core::parse_int64(text, command + ": --" + name);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(high == INT64_MAX
                                    ? fmt::format("{}: --{} must be a whole number >= {} (got '{}')", command, name,
                                                  low, text)
                                    : fmt::format("{}: --{} must be a whole number in [{}, {}] (got '{}')", command,
                                                  name, low, high, text));
  }
  if (value < low || value > high)
    throw std::invalid_argument(high == INT64_MAX
                                    ? fmt::format("{}: --{} must be at least {} (got {})", command, name, low, value)
                                    : fmt::format("{}: --{} must be in [{}, {}] (got {})", command, name, low, high, value));
  return value;
}

int list_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")("markdown", po::bool_switch(),
                                                     "print the README's task table (GitHub markdown)");
  if (wants_help(args)) {
    std::cout << help_text("gooselab tasks list [--markdown]",
                           "Lists every task family (spec pattern and language) and every built-in task\n"
                           "(a concrete spec, ready for --task). --markdown prints the table the README's\n"
                           "\"Tasks\" section holds between its tasks-table markers.",
                           options, "gooselab tasks list");
    return 0;
  }
  const po::variables_map vm = parse_options("tasks list", args, options);
  if (vm["markdown"].as<bool>()) {
    std::cout << tasks::task_table_markdown();
    return 0;
  }
  size_t pattern_width = 0, spec_width = 0;
  for (const tasks::TaskEntry& entry : tasks::task_registry()) {
    pattern_width = std::max(pattern_width, entry.pattern.size());
    for (const std::string& spec : entry.builtins) spec_width = std::max(spec_width, spec.size());
  }
  std::string out = "task families (gooselab tasks show SPEC for one task):\n";
  for (const tasks::TaskEntry& entry : tasks::task_registry())
    out += fmt::format("  {:<{}}  {}\n", entry.pattern, pattern_width, wrap(entry.summary, pattern_width + 4));
  out += "built-in tasks:\n";
  for (const std::string& spec : tasks::builtin_specs())
    out += fmt::format("  {:<{}}  {}\n", spec, spec_width, wrap(tasks::make_task(spec).description, spec_width + 4));
  std::cout << out;
  return 0;
}

// Up to `count` strings of length <= max_len ending in `target` states (the longest length
// that has one), for show's samples.
std::vector<std::vector<int32_t>> examples_of(const automata::Dfa& dfa, std::vector<uint8_t> target,
                                              int count, int64_t max_len, uint64_t seed) {
  tasks::CountingSampler sampler(dfa, std::move(target));
  std::vector<std::vector<int32_t>> out;
  tasks::Rng rng(seed);
  for (int64_t n = max_len; n >= 0; --n) {
    if (!sampler.possible(n)) continue;
    for (int i = 0; i < count; ++i) {
      std::vector<int32_t> word(n);
      sampler.sample(n, rng, word.data());
      out.push_back(word);
    }
    break;
  }
  return out;
}

int show_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")("json", po::bool_switch(), "print one JSON object");
  po::positional_options_description positional;
  positional.add("spec", 1);
  if (wants_help(args)) {
    std::cout << help_text(
        "gooselab tasks show SPEC [--json]",
        "Shows a task: alphabet (long ones cut in text, complete in --json), states of the minimal\n"
        "complete DFA, transition monoid size, algebraic class (aperiodic | solvable | non-solvable),\n"
        "commutativity, group order for group tasks, the algebra the theory ranks models by (group\n"
        "kind: trivial < elementary-abelian-2 < abelian < solvable < non-solvable; derived length:\n"
        "0 trivial, 1 abelian, -1 non-solvable; whether every input symbol has period <= 2, and\n"
        "whether each is an involution or idempotent), and sample strings (accepted and rejected,\n"
        "length <= 8).",
        options, "gooselab tasks show group:A4xZ5 --json");
    return 0;
  }
  const po::variables_map vm = parse_options("tasks show", args, with_spec(options), positional);
  const tasks::Task task = tasks::make_task(spec_argument(vm, "tasks show"));
  const tasks::TaskFacts facts = tasks::analyse_task(task);
  const automata::Dfa& dfa = task.dfa;
  std::vector<uint8_t> accepting(dfa.accepting.begin(), dfa.accepting.end()), rejecting(dfa.num_states);
  for (int q = 0; q < dfa.num_states; ++q) rejecting[q] = !dfa.accepting[q];
  const auto accepted = examples_of(dfa, accepting, 3, 8, 1);
  const auto rejected = examples_of(dfa, rejecting, 3, 8, 2);
  const std::string cls = automata::to_string(facts.algebraic_class);
  std::string out;
  if (vm["json"].as<bool>()) {
    json j;
    j["spec"] = task.spec;
    j["description"] = task.description;
    j["alphabet"] = dfa.alphabet;
    j["alphabet_size"] = facts.alphabet_size;
    j["states"] = facts.states;
    j["monoid_size"] = facts.monoid_size;
    j["class"] = cls;
    j["commutative"] = facts.commutative;
    j["group_kind"] = facts.group_kind;
    j["derived_length"] = facts.derived_length;
    j["inputs_period_le2"] = facts.inputs_period_le2;
    j["inputs_involution_or_idempotent"] = facts.inputs_involution_or_idempotent;
    if (facts.group_order) {
      j["order"] = *facts.group_order;
      j["group"] = task.group->name;
    }
    j["accepted"] = json::array();
    j["rejected"] = json::array();
    for (const auto& w : accepted) j["accepted"].push_back(join_symbols(dfa, w));
    for (const auto& w : rejected) j["rejected"].push_back(join_symbols(dfa, w));
    out = j.dump() + "\n";
  } else {
    int num_accepting = 0;
    for (uint8_t a : dfa.accepting) num_accepting += a;
    const auto row = [&out](const std::string& label, const std::string& value) {
      out += fmt::format("{:<{}}{}\n", label, kLabelWidth, value);
    };
    const size_t budget = kTextWidth - kLabelWidth;
    row("task", task.spec);
    row("description", wrap(task.description, kLabelWidth));
    const std::string count = fmt::format("{} symbols: ", facts.alphabet_size);
    row("alphabet", count + cut_list(dfa.alphabet, " ", budget - count.size()));
    row("states", fmt::format("{} (minimal complete DFA, {} accepting)", facts.states, num_accepting));
    row("monoid", fmt::format("{} elements, {}, {}", facts.monoid_size, cls,
                              facts.commutative ? "commutative" : "non-commutative"));
    if (facts.group_order) row("group", fmt::format("{}, order {}", task.group->name, *facts.group_order));
    row("group kind", fmt::format("{}, derived length {}{}", facts.group_kind, facts.derived_length,
                                  facts.derived_length < 0 ? " (not solvable)" : ""));
    row("inputs", fmt::format("period <= 2: {}; involution or idempotent: {}", facts.inputs_period_le2 ? "yes" : "no",
                              facts.inputs_involution_or_idempotent ? "yes" : "no"));
    for (const auto& [label, words] : {std::pair{"accepted", &accepted}, std::pair{"rejected", &rejected}}) {
      if (words->empty()) row(label, "(none of length <= 8)");
      for (size_t i = 0; i < words->size(); ++i) row(i ? "" : label, join_symbols(dfa, (*words)[i], budget));
    }
  }
  std::cout << out;
  return 0;
}

int sample_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "length", po::value<std::string>()->default_value(std::to_string(kDefaultLength)),
      "symbols per sample (>= 1)")("count", po::value<std::string>()->default_value(std::to_string(kDefaultCount)),
                                   "number of samples (>= 1)")(
      "seed", po::value<std::string>()->default_value("1"), "random seed >= 0 (same seed, same output)")(
      "objective", po::value<std::string>()->default_value("state"), "state | accept | accept-final")(
      "format", po::value<std::string>()->default_value("text"), "text | jsonl");
  po::positional_options_description positional;
  positional.add("spec", 1);
  if (wants_help(args)) {
    std::cout << help_text(
        "gooselab tasks sample SPEC [--length N] [--count K] [--seed S] [--objective O] [--format F]",
        "Prints labelled samples exactly as training batches draw them. state: uniform strings\n"
        "(mod-arith, dyck: uniform among strings that never enter the dead state), label = DFA\n"
        "state / running product. accept, accept-final: balanced classes; for accept/reject tasks\n"
        "half positives (uniform among accepted strings), a quarter uniform negatives, a quarter\n"
        "hard negatives (one symbol substituted in a positive). Text: kind, symbols, labels\n"
        "('-' = unlabelled), tab-separated. jsonl: kind, symbols, labels (names), tokens and\n"
        "targets as in a batch (BOS = 1 first, symbol i = token 2+i, target -100 = unlabelled).",
        options, "gooselab tasks sample tomita:3 --length 12 --count 4 --seed 7 --objective accept");
    return 0;
  }
  const std::string command = "tasks sample";
  const po::variables_map vm = parse_options(command, args, with_spec(options), positional);
  const std::string spec = spec_argument(vm, command);
  const int64_t length = int_option(vm, "length", 1, kMaxSampleLength, command);
  const int64_t count = int_option(vm, "count", 1, kMaxSampleCount, command);
  const uint64_t seed = static_cast<uint64_t>(int_option(vm, "seed", 0, INT64_MAX, command));
  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "jsonl")
    throw std::invalid_argument("tasks sample: --format must be text or jsonl (got '" + format + "')");
  const tasks::Objective objective = tasks::parse_objective(vm["objective"].as<std::string>());
  const tasks::TaskBatchSource source(tasks::make_task(spec), objective);
  const tasks::Task& task = source.task();
  std::string out;
  if (format == "text")
    out += fmt::format("# {}, objective {}, length {}, seed {}\n", spec, tasks::to_string(objective), length, seed);
  for (const tasks::Example& ex : source.examples(count, length, length, seed)) {
    if (format == "text") {
      std::vector<std::string> symbols, labels;
      for (int32_t s : ex.symbols) symbols.push_back(task.dfa.alphabet[s]);
      for (int64_t l : ex.labels) labels.push_back(tasks::class_name(task, objective, l));
      out += fmt::format("{}\t{}\t{}\n", tasks::to_string(ex.kind), fmt::join(symbols, " "), fmt::join(labels, " "));
    } else {
      json j;
      j["kind"] = tasks::to_string(ex.kind);
      j["symbols"] = json::array();
      j["labels"] = json::array();
      j["tokens"] = json::array({core::kBosToken});
      j["targets"] = json::array({core::kIgnoreIndex});
      for (size_t i = 0; i < ex.symbols.size(); ++i) {
        j["symbols"].push_back(task.dfa.alphabet[ex.symbols[i]]);
        j["labels"].push_back(tasks::class_name(task, objective, ex.labels[i]));
        j["tokens"].push_back(core::kFirstSymbolToken + ex.symbols[i]);
        j["targets"].push_back(ex.labels[i]);
      }
      out += j.dump() + "\n";
    }
  }
  std::cout << out;
  return 0;
}

int dfa_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")("format", po::value<std::string>()->default_value("json"),
                                                     "json | dot");
  po::positional_options_description positional;
  positional.add("spec", 1);
  if (wants_help(args)) {
    std::cout << help_text("gooselab tasks dfa SPEC [--format json|dot]",
                           "Prints the task's minimal complete DFA: JSON (readable back with dfa:PATH.json)\n"
                           "or Graphviz dot. Group tasks number states by group element.",
                           options, "gooselab tasks dfa tomita:3 --format dot | dot -Tpng > tomita3.png");
    return 0;
  }
  const po::variables_map vm = parse_options("tasks dfa", args, with_spec(options), positional);
  const std::string format = vm["format"].as<std::string>();
  if (format != "json" && format != "dot")
    throw std::invalid_argument("tasks dfa: --format must be json or dot (got '" + format + "')");
  const tasks::Task task = tasks::make_task(spec_argument(vm, "tasks dfa"));
  std::string text = format == "json" ? automata::dfa_to_json(task.dfa) : automata::dfa_to_dot(task.dfa);
  if (text.empty() || text.back() != '\n') text += '\n';
  std::cout << text;
  return 0;
}

}  // namespace

int tasks_command(const Args& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << usage_text();
    return 0;
  }
  if (args.empty())
    throw std::invalid_argument("tasks: missing subcommand: list, show, sample or dfa (try: gooselab tasks --help)");
  const std::string sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (sub == "list") return list_command(rest);
  if (sub == "show") return show_command(rest);
  if (sub == "sample") return sample_command(rest);
  if (sub == "dfa") return dfa_command(rest);
  throw std::invalid_argument("tasks: unknown subcommand '" + sub + "' (list, show, sample or dfa; try: gooselab tasks --help)");
}

}  // namespace goose::experiments
