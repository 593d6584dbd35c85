// `gooselab train` (one model on one task into a run directory) and `gooselab eval`
// (a trained run at any lengths), plus the option resolution they share with compare.
#include "experiments/cli_train.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/program_options.hpp>

#include "core/checkpoint.h"
#include "core/metrics.h"
#include "core/run_dir.h"
#include "experiments/cli_common.h"
#include "tasks/task.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;

std::string trim_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Options that do not change what a run computes, so a resumed run may change them.
const std::set<std::string> kSessionOptions = {"config", "resume", "force", "threads", "progress", "out"};

po::options_description train_options() {
  const core::ModelConfig m;
  const core::TrainConfig t;
  po::options_description task("task and model");
  task.add_options()
      ("task", po::value<std::string>(), "task spec, e.g. parity, tomita:3, group:S5@transpositions (see: gooselab tasks list)")
      ("objective", po::value<std::string>()->default_value("state"), "state | accept | accept-final")
      ("model", po::value<std::string>()->default_value(m.arch), "rwkv7 | transformer | dssm | lstm")
      ("layers", po::value<int64_t>()->default_value(m.layers), "layers")
      ("dim", po::value<int64_t>()->default_value(m.dim), "model width")
      ("head-size", po::value<int64_t>()->default_value(m.head_size), "RWKV-7 / Transformer head width")
      ("relaxed", po::bool_switch(), "RWKV-7: in-context rate a in (0,2) instead of (0,1)")
      ("no-decay-clamp", po::bool_switch(), "RWKV-7: decay w in (0,1] instead of the released (0.545,1)")
      ("pos", po::value<std::string>()->default_value(m.pos_encoding), "Transformer positions: rope | learned | sinusoidal | none")
      ("signed", po::bool_switch(), "diagonal SSM: eigenvalues in (-1,1) instead of (0,1)")
      ("dssm-state", po::value<int64_t>()->default_value(m.dssm_state), "diagonal SSM state per channel")
      ("kernel", po::value<std::string>()->default_value(m.kernel), "recurrence kernels: auto | reference | cpu | cuda | loop");
  po::options_description training("training");
  training.add_options()
      ("train-len", po::value<std::string>()->default_value(std::to_string(t.train_min_len) + ".." + std::to_string(t.train_max_len)), "training lengths A..B (symbols), or one length")
      ("eval-len", po::value<std::string>()->default_value(""), "evaluation lengths besides the training range, e.g. 40,80,256")
      ("steps", po::value<int64_t>()->default_value(t.steps), "step budget")
      ("batch", po::value<int64_t>()->default_value(t.batch_size), "batch size")
      ("lr", po::value<double>()->default_value(t.lr, trim_number(t.lr)), "peak learning rate (AdamW)")
      ("wd", po::value<double>()->default_value(t.weight_decay, trim_number(t.weight_decay)), "weight decay (matrices only)")
      ("beta1", po::value<double>()->default_value(t.beta1, trim_number(t.beta1)), "AdamW beta1")
      ("beta2", po::value<double>()->default_value(t.beta2, trim_number(t.beta2)), "AdamW beta2")
      ("warmup", po::value<int64_t>()->default_value(t.warmup), "linear warm-up steps, then cosine decay")
      ("min-lr", po::value<double>()->default_value(t.min_lr_fraction, trim_number(t.min_lr_fraction)), "final learning rate as a fraction of --lr")
      ("clip", po::value<double>()->default_value(t.clip, trim_number(t.clip)), "gradient norm clip (0 = off)")
      ("train-size", po::value<int64_t>()->default_value(t.train_size), "fixed training set size (0 = fresh samples every step)")
      ("eval-every", po::value<int64_t>()->default_value(t.eval_every), "steps between evaluations and checkpoints")
      ("eval-count", po::value<int64_t>()->default_value(t.eval_count), "sequences per length in periodic evaluations")
      ("final-count", po::value<int64_t>()->default_value(t.final_eval_count), "sequences per length in the final evaluation")
      ("target-acc", po::value<double>()->default_value(t.target_acc, trim_number(t.target_acc)), "stop at this validation sequence accuracy (0 = never)")
      ("seed", po::value<uint64_t>()->default_value(t.seed), "seed of initialisation and data");
  po::options_description run("run");
  run.add_options()
      ("out", po::value<std::string>(), "run directory")
      ("config", po::value<std::string>(), "JSON file of options (same names); the command line overrides it")
      ("resume", po::bool_switch(), "continue the run in --out from its last.pt")
      ("force", po::bool_switch(), "start over in a non-empty --out")
      ("threads", po::value<int>()->default_value(1), "intra-op threads (1 is fastest for small models; run several runs at once to use more cores)")
      ("progress", po::value<std::string>()->default_value(t.progress), "auto | lines | off")
      ("help,h", "show this help");
  po::options_description all;
  all.add(task).add(training).add(run);
  return all;
}

const char* kTrainUsage = "gooselab train --task SPEC --out DIR [options]";
const char* kTrainSummary =
    "Trains one model on one task into a run directory: config.json, metrics.jsonl,\n"
    "last.pt, best.pt and result.json. A killed run continues with --resume.";
const char* kTrainExample =
    "gooselab train --task parity --model lstm --layers 1 --dim 64 --train-len 3..40 "
    "--eval-len 64,128,256 --steps 1000 --batch 32 --out runs/parity-lstm";

// A JSON object of options -> "--name=value" arguments (true switches as "--name").
Args json_to_args(const nlohmann::json& object, const std::string& where) {
  if (!object.is_object()) throw std::invalid_argument(where + " must hold a JSON object of options");
  Args args;
  for (const auto& item : object.items()) {
    const std::string name = "--" + item.key();
    const nlohmann::json& value = item.value();
    if (value.is_boolean()) {
      if (value.get<bool>()) args.push_back(name);
    } else if (value.is_string()) {
      args.push_back(name + "=" + value.get<std::string>());
    } else if (value.is_number_integer() || value.is_number_unsigned()) {
      args.push_back(name + "=" + value.dump());
    } else if (value.is_number_float()) {
      std::ostringstream text;
      text.precision(17);
      text << value.get<double>();
      args.push_back(name + "=" + text.str());
    } else if (value.is_array()) {
      std::string joined;
      for (const auto& element : value) {
        if (!element.is_number_integer()) throw std::invalid_argument(where + ": option '" + item.key() + "' must be a list of integers");
        joined += (joined.empty() ? "" : ",") + element.dump();
      }
      args.push_back(name + "=" + joined);
    } else {
      throw std::invalid_argument(where + ": option '" + item.key() + "' has an unusable value " + value.dump());
    }
  }
  return args;
}

void store_layer(const std::string& where, const Args& args, const po::options_description& options,
                 po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(args).options(options).run(), vm);
  } catch (const po::error& e) {
    throw std::invalid_argument(where + ": " + e.what() + " (try: gooselab train --help)");
  }
}

// The resolved options by their command-line names: what config.json records and what
// eval and --resume read back.
nlohmann::json options_json(const po::variables_map& vm) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& item : vm) {
    const std::string& name = item.first;
    if (name == "help" || name == "config") continue;
    const boost::any& value = item.second.value();
    if (value.type() == typeid(std::string)) out[name] = boost::any_cast<std::string>(value);
    else if (value.type() == typeid(int64_t)) out[name] = boost::any_cast<int64_t>(value);
    else if (value.type() == typeid(uint64_t)) out[name] = boost::any_cast<uint64_t>(value);
    else if (value.type() == typeid(int)) out[name] = boost::any_cast<int>(value);
    else if (value.type() == typeid(double)) out[name] = boost::any_cast<double>(value);
    else if (value.type() == typeid(bool)) out[name] = boost::any_cast<bool>(value);
  }
  return out;
}

TrainSetup setup_from_vm(const po::variables_map& vm) {
  TrainSetup s;
  if (!vm.count("task")) throw std::invalid_argument("train: --task is required (try: gooselab train --help)");
  s.task = vm["task"].as<std::string>();
  s.objective = vm["objective"].as<std::string>();
  tasks::parse_objective(s.objective);  // validates
  core::ModelConfig& m = s.model;
  m.arch = vm["model"].as<std::string>();
  if (m.arch != "rwkv7" && m.arch != "transformer" && m.arch != "dssm" && m.arch != "lstm")
    throw std::invalid_argument("unknown model '" + m.arch + "' for --model (try: rwkv7, transformer, dssm, lstm)");
  m.layers = vm["layers"].as<int64_t>();
  m.dim = vm["dim"].as<int64_t>();
  m.head_size = vm["head-size"].as<int64_t>();
  m.rwkv_relaxed = vm["relaxed"].as<bool>();
  m.rwkv_decay_clamp = !vm["no-decay-clamp"].as<bool>();
  m.pos_encoding = vm["pos"].as<std::string>();
  m.dssm_eigen = vm["signed"].as<bool>() ? "signed" : "real";
  m.dssm_state = vm["dssm-state"].as<int64_t>();
  m.kernel = vm["kernel"].as<std::string>();
  core::TrainConfig& t = s.train;
  std::tie(t.train_min_len, t.train_max_len) = core::parse_length_range(vm["train-len"].as<std::string>(), "--train-len");
  t.eval_lengths = core::parse_length_list(vm["eval-len"].as<std::string>(), "--eval-len");
  t.steps = vm["steps"].as<int64_t>();
  t.batch_size = vm["batch"].as<int64_t>();
  t.lr = vm["lr"].as<double>();
  t.weight_decay = vm["wd"].as<double>();
  t.beta1 = vm["beta1"].as<double>();
  t.beta2 = vm["beta2"].as<double>();
  t.warmup = vm["warmup"].as<int64_t>();
  t.min_lr_fraction = vm["min-lr"].as<double>();
  t.clip = vm["clip"].as<double>();
  t.train_size = vm["train-size"].as<int64_t>();
  t.eval_every = vm["eval-every"].as<int64_t>();
  t.eval_count = vm["eval-count"].as<int64_t>();
  t.final_eval_count = vm["final-count"].as<int64_t>();
  t.target_acc = vm["target-acc"].as<double>();
  t.seed = vm["seed"].as<uint64_t>();
  t.out_dir = vm.count("out") ? vm["out"].as<std::string>() : "";
  t.resume = vm["resume"].as<bool>();
  t.force = vm["force"].as<bool>();
  t.progress = vm["progress"].as<std::string>();
  s.threads = vm["threads"].as<int>();
  if (s.threads < 1) throw std::invalid_argument("--threads must be >= 1 (got " + std::to_string(s.threads) + ")");
  core::validate(t);
  s.options = options_json(vm);
  return s;
}

}  // namespace

std::string source_dir() {
  if (const char* env = std::getenv("GOOSE_SOURCE_DIR")) return env;
  // Set by CMake; not __FILE__, which ccache's base_dir makes relative to the build folder.
  return GOOSE_SOURCE_DIR;
}

TrainSetup resolve_train_setup(const Args& args) {
  const po::options_description options = train_options();
  po::variables_map vm;
  store_layer("train", args, options, vm);  // first stored wins: the command line
  if (vm.count("config")) {
    const std::string path = vm["config"].as<std::string>();
    store_layer("train: --config " + path, json_to_args(core::read_json(path), path), options, vm);
  }
  nlohmann::json stored;
  if (vm["resume"].as<bool>() && vm.count("out")) {
    const std::string path = (fs::path(vm["out"].as<std::string>()) / "config.json").string();
    if (core::file_exists(path)) {
      stored = core::read_json(path).value("options", nlohmann::json::object());
      nlohmann::json layer = stored;
      for (const auto& name : kSessionOptions) layer.erase(name);
      store_layer("train: --resume " + path, json_to_args(layer, path), options, vm);
    }
  }
  po::notify(vm);
  TrainSetup setup = setup_from_vm(vm);
  for (const auto& item : stored.items()) {
    if (kSessionOptions.count(item.key()) || !setup.options.contains(item.key())) continue;
    if (setup.options[item.key()] != item.value())
      throw std::invalid_argument("--resume: --" + item.key() + " " + setup.options[item.key()].dump() +
                                  " differs from the run's " + item.value().dump() +
                                  " (drop it, or start over with --force)");
  }
  return setup;
}

TrainSetup setup_from_options(const nlohmann::json& options) {
  const po::options_description description = train_options();
  nlohmann::json layer = options;
  for (const auto& name : kSessionOptions) layer.erase(name);
  po::variables_map vm;
  store_layer("run config", json_to_args(layer, "config.json"), description, vm);
  po::notify(vm);
  return setup_from_vm(vm);
}

core::TrainResult run_training(const TrainSetup& setup) {
  const tasks::Task task = tasks::make_task(setup.task);
  const auto source = tasks::make_batch_source(task, tasks::parse_objective(setup.objective));
  core::ModelConfig model_config = setup.model;
  model_config.vocab_size = source->vocab_size();
  model_config.num_classes = source->num_classes();
  const auto model = core::make_seeded_model(model_config, setup.train.seed);
  nlohmann::json info = {{"options", setup.options}, {"task", task.spec},
                         {"task_description", task.description}, {"objective", setup.objective}};
  return core::train(*model, *source, setup.train, info);
}

int train_command(const Args& args) {
  if (wants_help(args)) {
    std::cout << help_text(kTrainUsage, kTrainSummary, train_options(), kTrainExample);
    return 0;
  }
  const TrainSetup setup = resolve_train_setup(args);
  if (setup.train.out_dir.empty()) throw std::invalid_argument("train: --out DIR is required (try: gooselab train --help)");
  torch::set_num_threads(setup.threads);
  core::TrainResult result;
  try {
    result = run_training(setup);
  } catch (const core::TrainingDiverged& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  std::printf("%s: %lld steps (%s), %.1f s, %.0f tokens/s, %lld parameters\n",
              setup.train.out_dir.c_str(), (long long)result.steps, result.stop_reason.c_str(),
              result.wall_seconds, result.tokens_per_second, (long long)result.num_parameters);
  std::printf("  train lengths %lld..%lld: seq acc %.4f  token acc %.4f\n",
              (long long)result.validation.min_len, (long long)result.validation.max_len,
              result.validation.sequence_accuracy, result.validation.token_accuracy);
  for (const auto& point : result.per_length)
    std::printf("  length %5lld: seq acc %.4f  token acc %.4f\n", (long long)point.min_len,
                point.sequence_accuracy, point.token_accuracy);
  return 0;
}

// ---- eval ------------------------------------------------------------------------------

int eval_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("run", po::value<std::string>(), "run directory (from gooselab train)")
      ("task", po::value<std::string>(), "evaluate on this task instead of the run's (same alphabet)")
      ("lengths", po::value<std::string>(), "lengths to evaluate, e.g. 40,80,256,1024")
      ("count", po::value<int64_t>()->default_value(1000), "sequences per length")
      ("checkpoint", po::value<std::string>()->default_value("best"), "best | last (best falls back to last)")
      ("seed", po::value<uint64_t>()->default_value(20261126), "seed of the evaluation data")
      ("batch", po::value<int64_t>()->default_value(250), "sequences per forward pass")
      ("threads", po::value<int>()->default_value(1), "intra-op threads")
      ("json", po::bool_switch(), "print JSON instead of a table")
      ("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab eval --run DIR --lengths LIST [options]",
                           "Evaluates a trained run's checkpoint on fresh seeded data: token and sequence\n"
                           "accuracy per length, including lengths far beyond training.",
                           options, "gooselab eval --run runs/parity-lstm --lengths 40,256,1024 --count 500");
    return 0;
  }
  const po::variables_map vm = parse_options("eval", args, options);
  if (!vm.count("run")) throw std::invalid_argument("eval: --run DIR is required (try: gooselab eval --help)");
  if (!vm.count("lengths")) throw std::invalid_argument("eval: --lengths LIST is required (try: gooselab eval --help)");
  const std::string run = vm["run"].as<std::string>();
  const std::vector<int64_t> lengths = core::parse_length_list(vm["lengths"].as<std::string>(), "--lengths");
  if (lengths.empty()) throw std::invalid_argument("eval: --lengths is empty");
  const int64_t count = vm["count"].as<int64_t>();
  const int64_t batch = vm["batch"].as<int64_t>();
  if (count <= 0 || batch <= 0) throw std::invalid_argument("eval: --count and --batch must be positive");
  const std::string which = vm["checkpoint"].as<std::string>();
  if (which != "best" && which != "last") throw std::invalid_argument("eval: --checkpoint must be best or last (got '" + which + "')");
  const int threads = vm["threads"].as<int>();
  if (threads < 1) throw std::invalid_argument("eval: --threads must be >= 1");

  const std::string config_path = (fs::path(run) / "config.json").string();
  if (!core::file_exists(config_path)) throw std::invalid_argument("eval: " + run + " is not a run directory (no config.json)");
  const nlohmann::json config = core::read_json(config_path);
  if (!config.contains("options")) throw std::invalid_argument("eval: " + config_path + " has no \"options\"");
  TrainSetup setup = setup_from_options(config["options"]);
  if (vm.count("task")) setup.task = vm["task"].as<std::string>();
  std::string checkpoint = (fs::path(run) / (which + ".pt")).string();
  if (!core::file_exists(checkpoint)) checkpoint = (fs::path(run) / "last.pt").string();
  if (!core::file_exists(checkpoint)) throw std::invalid_argument("eval: " + run + " has no checkpoint (best.pt or last.pt)");

  torch::set_num_threads(threads);
  const tasks::Task task = tasks::make_task(setup.task);
  const auto source = tasks::make_batch_source(task, tasks::parse_objective(setup.objective));
  core::ModelConfig model_config = setup.model;
  model_config.vocab_size = source->vocab_size();
  model_config.num_classes = source->num_classes();
  const int64_t stored_vocab = config.value("model", nlohmann::json::object()).value("vocab_size", model_config.vocab_size);
  const int64_t stored_classes = config.value("model", nlohmann::json::object()).value("num_classes", model_config.num_classes);
  if (stored_vocab != model_config.vocab_size || stored_classes != model_config.num_classes)
    throw std::invalid_argument("eval: task '" + setup.task + "' has " + std::to_string(model_config.vocab_size) +
                                " tokens and " + std::to_string(model_config.num_classes) + " classes; the run's model has " +
                                std::to_string(stored_vocab) + " and " + std::to_string(stored_classes));
  const auto model = core::make_seeded_model(model_config, setup.train.seed);
  const core::TrainState state = core::load_checkpoint(checkpoint, *model, nullptr);
  const auto points = core::evaluate_lengths(*model, *source, lengths, count, batch, vm["seed"].as<uint64_t>());

  if (vm["json"].as<bool>()) {
    nlohmann::json out = {{"run", run}, {"task", setup.task}, {"checkpoint", checkpoint},
                          {"step", state.step}, {"count", count}, {"seed", vm["seed"].as<uint64_t>()},
                          {"chance_accuracy", source->chance_accuracy(setup.train.train_min_len, setup.train.train_max_len)}};
    nlohmann::json list = nlohmann::json::array();
    for (const auto& point : points) list.push_back(core::to_json(point));
    out["lengths"] = list;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%s  (%s, step %lld, task %s, %lld sequences per length)\n", run.c_str(),
              fs::path(checkpoint).filename().c_str(), (long long)state.step, setup.task.c_str(), (long long)count);
  std::printf("%8s  %9s  %9s  %10s\n", "length", "seq acc", "token acc", "scaled tok");
  for (const auto& point : points)
    std::printf("%8lld  %9.4f  %9.4f  %10.4f\n", (long long)point.min_len, point.sequence_accuracy,
                point.token_accuracy, point.scaled_token_accuracy);
  return 0;
}

}  // namespace goose::experiments
