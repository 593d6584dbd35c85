// `gooselab tasks list|show|sample|dfa`: inspect the built-in and user-defined tasks, their
// minimal DFAs and algebra, and sample labelled strings. Output is built in a string and
// printed only on success, so a bad input leaves stdout empty.
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "automata/dfa.h"
#include "experiments/cli_common.h"
#include "experiments/commands.h"
#include "tasks/analysis.h"
#include "tasks/batch_source.h"
#include "tasks/labeling.h"
#include "tasks/sampler.h"
#include "tasks/task.h"

namespace goose::experiments {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultLength = 16;
constexpr int64_t kDefaultCount = 8;
constexpr uint64_t kDefaultSeed = 1;
constexpr int64_t kMaxSampleLength = 1 << 20;
constexpr int64_t kMaxSampleCount = 1 << 20;

const char* kTasksUsage =
    "usage: gooselab tasks <list|show|sample|dfa> [options]\n"
    "\n"
    "  list                    every built-in task and spec pattern, one line each\n"
    "  show SPEC [--json]      alphabet, minimal DFA size, monoid, algebraic class, samples\n"
    "  sample SPEC [options]   labelled samples (--length --count --seed --objective --format)\n"
    "  dfa SPEC [--format]     the task's minimal DFA as JSON or Graphviz dot\n"
    "\n"
    "Task specs: parity, even-pairs, cycle-nav[:N], mod-arith, tomita:1..7, dyck:K:D,\n"
    "regex:EXPR[@ALPHABET], dfa:PATH.json, group:NAME[@INPUTS]. Objectives: state (DFA state,\n"
    "or the running product for groups, at every position), accept (accept/reject of every\n"
    "prefix; mod-arith: the value mod 5 so far, none after an operator), accept-final (the\n"
    "last position only). Run 'gooselab tasks <subcommand> --help' for details.\n";

// Symbols joined with spaces, or run together when every symbol is one character.
std::string join_symbols(const automata::Dfa& dfa, const std::vector<int32_t>& word) {
  bool single = true;
  for (const auto& s : dfa.alphabet) single = single && s.size() == 1;
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    if (!single && i) out += ' ';
    out += dfa.alphabet[word[i]];
  }
  return word.empty() ? "(empty)" : out;
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

int list_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab tasks list", "Lists every built-in task and spec pattern.",
                           options, "gooselab tasks list");
    return 0;
  }
  parse_options("tasks list", args, options);
  std::ostringstream out;
  out << "built-in tasks:\n";
  for (const auto& t : tasks::builtin_tasks())
    out << "  " << std::left << std::setw(38) << t.spec << " " << t.description << "\n";
  out << "spec patterns:\n";
  for (const auto& t : tasks::task_spec_patterns())
    out << "  " << std::left << std::setw(38) << t.spec << " " << t.description << "\n";
  std::cout << out.str();
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
    std::cout << help_text("gooselab tasks show SPEC [--json]",
                           "Shows a task: alphabet, states of the minimal complete DFA, transition\n"
                           "monoid size, algebraic class (aperiodic | solvable | non-solvable),\n"
                           "commutativity, group order for group tasks, and sample strings\n"
                           "(accepted and rejected, length <= 8).",
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
  std::ostringstream out;
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
    if (facts.group_order) {
      j["order"] = *facts.group_order;
      j["group"] = task.group->name;
    }
    j["accepted"] = json::array();
    j["rejected"] = json::array();
    for (const auto& w : accepted) j["accepted"].push_back(join_symbols(dfa, w));
    for (const auto& w : rejected) j["rejected"].push_back(join_symbols(dfa, w));
    out << j.dump() << "\n";
  } else {
    std::string alphabet;
    for (const auto& s : dfa.alphabet) alphabet += (alphabet.empty() ? "" : " ") + s;
    int num_accepting = 0;
    for (uint8_t a : dfa.accepting) num_accepting += a;
    out << "task         " << task.spec << "\n"
        << "description  " << task.description << "\n"
        << "alphabet     " << facts.alphabet_size << " symbols: " << alphabet << "\n"
        << "states       " << facts.states << " (minimal complete DFA, " << num_accepting
        << " accepting)\n"
        << "monoid       " << facts.monoid_size << " elements, " << cls << ", "
        << (facts.commutative ? "commutative" : "non-commutative") << "\n";
    if (facts.group_order) out << "group        " << task.group->name << ", order " << *facts.group_order << "\n";
    out << "accepted     ";
    for (size_t i = 0; i < accepted.size(); ++i) out << (i ? "  |  " : "") << join_symbols(dfa, accepted[i]);
    out << (accepted.empty() ? "(none of length <= 8)" : "") << "\nrejected     ";
    for (size_t i = 0; i < rejected.size(); ++i) out << (i ? "  |  " : "") << join_symbols(dfa, rejected[i]);
    out << (rejected.empty() ? "(none of length <= 8)" : "") << "\n";
  }
  std::cout << out.str();
  return 0;
}

int sample_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "length", po::value<int64_t>()->default_value(kDefaultLength), "symbols per sample (>= 1)")(
      "count", po::value<int64_t>()->default_value(kDefaultCount), "number of samples (>= 1)")(
      "seed", po::value<uint64_t>()->default_value(kDefaultSeed), "random seed (same seed, same output)")(
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
        "('-' = unlabelled). jsonl: kind, symbols, labels (names), tokens and targets as in a\n"
        "batch (BOS = 1 first, symbol i = token 2+i, target -100 = unlabelled).",
        options, "gooselab tasks sample tomita:3 --length 12 --count 4 --seed 7 --objective accept");
    return 0;
  }
  const po::variables_map vm = parse_options("tasks sample", args, with_spec(options), positional);
  const std::string spec = spec_argument(vm, "tasks sample");
  const int64_t length = vm["length"].as<int64_t>();
  const int64_t count = vm["count"].as<int64_t>();
  const uint64_t seed = vm["seed"].as<uint64_t>();
  const std::string format = vm["format"].as<std::string>();
  if (length < 1 || length > kMaxSampleLength)
    throw std::invalid_argument("tasks sample: --length must be in [1, " + std::to_string(kMaxSampleLength) +
                                "] (got " + std::to_string(length) + ")");
  if (count < 1 || count > kMaxSampleCount)
    throw std::invalid_argument("tasks sample: --count must be in [1, " + std::to_string(kMaxSampleCount) +
                                "] (got " + std::to_string(count) + ")");
  if (format != "text" && format != "jsonl")
    throw std::invalid_argument("tasks sample: --format must be text or jsonl (got '" + format + "')");
  const tasks::Objective objective = tasks::parse_objective(vm["objective"].as<std::string>());
  const tasks::TaskBatchSource source(tasks::make_task(spec), objective);
  const tasks::Task& task = source.task();
  std::ostringstream out;
  if (format == "text")
    out << "# " << spec << ", objective " << tasks::to_string(objective) << ", length " << length
        << ", seed " << seed << "\n";
  for (const tasks::Example& ex : source.examples(count, length, length, seed)) {
    if (format == "text") {
      out << tasks::to_string(ex.kind) << "\t";
      for (size_t i = 0; i < ex.symbols.size(); ++i) out << (i ? " " : "") << task.dfa.alphabet[ex.symbols[i]];
      out << "\t";
      for (size_t i = 0; i < ex.labels.size(); ++i)
        out << (i ? " " : "") << tasks::class_name(task, objective, ex.labels[i]);
      out << "\n";
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
        j["tokens"].push_back(2 + ex.symbols[i]);
        j["targets"].push_back(ex.labels[i]);
      }
      out << j.dump() << "\n";
    }
  }
  std::cout << out.str();
  return 0;
}

int dfa_command(const Args& args) {
  po::options_description options("options");
  options.add_options()("help,h", "show this help")(
      "format", po::value<std::string>()->default_value("json"), "json | dot");
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
    std::cout << kTasksUsage;
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
  throw std::invalid_argument("tasks: unknown subcommand '" + sub + "' (list, show, sample or dfa)");
}

}  // namespace goose::experiments
