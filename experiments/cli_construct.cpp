// `gooselab construct SPEC --out DIR`: hand-set RWKV-7 weights (theory/construction.h) written
// as an ordinary run directory (config.json, best.pt, last.pt) plus construction.json, so that
// eval and every other reader of run directories load it like a trained run.
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/checkpoint.h"
#include "core/files.h"
#include "core/run_directory.h"
#include "core/version.h"
#include "experiments/cli_common.h"
#include "experiments/run.h"
#include "tasks/task.h"
#include "theory/construction.h"

namespace goose::experiments {

int construct_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("spec", po::value<std::string>()->value_name("SPEC"), "task spec (gooselab tasks list), also positional")
      ("out", po::value<std::string>()->value_name("DIR"), "run directory to write")
      ("objective", po::value<std::string>(), "state | accept | accept-final (default: state for group word "
                                              "problems, accept for languages)")
      ("kind", po::value<std::string>()->default_value("auto"),
       "auto | swap (one layer: inputs that are transpositions) | regular (four layers: any DFA whose "
       "co-automaton is small enough) | cascade (three layers: mod-arith)")
      ("rate", po::value<std::string>()->default_value("relaxed"),
       "the rate range the same weights run under: relaxed (a = 2σ, the construction's) | released (a = σ, "
       "where it fails) | stable")
      ("decay", po::value<std::string>()->default_value("clamped"), "clamped | unclamped (w = 1 in both)")
      ("dim", po::value<int64_t>()->default_value(0), "width, 0 = the narrowest that fits")
      ("kernel", po::value<std::string>()->default_value("auto"), "auto | reference | cpu | cuda | loop")
      ("force", po::bool_switch(), "overwrite a non-empty --out")
      ("help,h", "show this help");
  po::positional_options_description positional;
  positional.add("spec", 1);
  if (wants_help(args)) {
    std::cout << help_text(
        "gooselab construct SPEC --out DIR [options]",
        "Builds RWKV-7 weights by hand that compute the task exactly (paper/constructions.md):\n"
        "  swap     one layer; every input a transposition of the group's points (group:S5@transpositions)\n"
        "           or a swap of two DFA states (parity): BOS writes one row per tracked point, a swap\n"
        "           token reflects it with I - 2κ̂κ̂ᵀ (w = 1, a = 2), sign heads read it out;\n"
        "  regular  four layers for a regular language: position parity, position phase, a ring buffer\n"
        "           with lookups, and the execution of the co-automaton by copies.\n"
        "  cascade  three layers for mod-arith: counters of the digits' exponents (Z4, exact) and of the\n"
        "           completed terms (Z5), a register reset at + and -, and detectors for the value.\n"
        "Writes an ordinary run directory (config.json, best.pt, last.pt) and construction.json, so\n"
        "gooselab eval evaluates it like a trained run. A task the construction does not cover, or one\n"
        "too large for the width, is an error and writes nothing.",
        options, "gooselab construct group:S5@transpositions --out runs/s5-construct && "
                 "gooselab eval --run runs/s5-construct --lengths 1000,100000 --count 100");
    return 0;
  }
  const po::variables_map vm = parse_options("construct", args, options, positional);
  if (!vm.count("spec")) throw std::invalid_argument("construct: a task SPEC is required (try: gooselab construct --help)");
  if (!vm.count("out")) throw std::invalid_argument("construct: --out DIR is required (try: gooselab construct --help)");
  const std::string spec = vm["spec"].as<std::string>(), out = vm["out"].as<std::string>();
  const bool force = vm["force"].as<bool>();

  const tasks::Task task = tasks::make_task(spec);
  const std::string objective_name =
      vm.count("objective") ? vm["objective"].as<std::string>() : (task.group ? "state" : "accept");
  const tasks::Objective objective = tasks::parse_objective(objective_name);
  theory::ConstructOptions construct_options;
  construct_options.kind = vm["kind"].as<std::string>();
  construct_options.dim = vm["dim"].as<int64_t>();
  const theory::ConstructionPlan plan = theory::plan_construction(task, objective, construct_options);

  core::RunConfig config;
  config.task.task = spec;
  config.task.objective = objective_name;
  config.model = plan.model;
  core::set_field(config, "rwkv_rate", vm["rate"].as<std::string>());
  core::set_field(config, "rwkv_decay", vm["decay"].as<std::string>());
  core::set_field(config, "kernel", vm["kernel"].as<std::string>());
  core::validate(config);
  if (!force && !core::dir_is_empty(out))
    throw std::invalid_argument("construct: " + out + " is not empty (use --force to overwrite it)");

  PreparedRun run = prepare_run(config);
  auto* model = dynamic_cast<core::Rwkv7Model*>(run.model.get());
  if (model == nullptr || run.model->config().vocab_size != plan.model.vocab_size ||
      run.model->config().num_classes != plan.model.num_classes)
    throw std::logic_error("construct: the task's batches disagree with the construction's vocabulary or classes");
  plan.build(*model);

  Session session;
  session.out_dir = out;
  session.force = force;
  nlohmann::json description = plan.description;
  description["format"] = 1;
  description["rwkv_rate"] = config.model.rwkv_rate;
  description["rwkv_decay"] = config.model.rwkv_decay;
  description["num_parameters"] = model->num_parameters();
  description["code_version"] = core::code_version();
  description["trained"] = false;

  core::RunDirectory dir(out);
  dir.create(run_config_json(config, run, session), force);
  core::TrainState state;
  core::save_checkpoint(dir.last_checkpoint(), *model, nullptr, state);
  core::save_checkpoint(dir.best_checkpoint(), *model, nullptr, state);
  core::write_json_atomic(out + "/construction.json", description);
  fmt::print("{}: {} construction of {} (objective {}): {} layer{}, width {}, head size {}, {} parameters, rate {}\n",
             out, plan.kind, spec, objective_name, config.model.layers, config.model.layers == 1 ? "" : "s",
             config.model.dim, config.model.head_size, model->num_parameters(), config.model.rwkv_rate);
  return 0;
}

}  // namespace goose::experiments
