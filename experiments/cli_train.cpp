// `gooselab train` (one configuration into a run directory) and `gooselab eval` (a trained
// run's checkpoint at any lengths).
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/checkpoint.h"
#include "core/device.h"
#include "core/files.h"
#include "core/metrics.h"
#include "core/run_directory.h"
#include "core/text.h"
#include "core/threads.h"
#include "core/variants.h"
#include "core/version.h"
#include "experiments/cli_common.h"
#include "experiments/run.h"
#include "experiments/run_options.h"

namespace goose::experiments {

namespace {

namespace fs = std::filesystem;

po::options_description session_options() {
  po::options_description run("run");
  run.add_options()
      ("out", po::value<std::string>()->value_name("DIR"), "run directory")
      ("resume", po::bool_switch(), "continue the run in --out from its last checkpoint")
      ("force", po::bool_switch(), "start over in a non-empty --out")
      ("threads", po::value<int>()->default_value(1), "intra-op threads (recorded with the run: results are the same for the same seed, machine and thread count)")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N | auto (a GPU when there is one)")
      ("progress", po::value<std::string>()->default_value("auto"), "auto | lines | off")
      ("help,h", "show this help");
  return run;
}

Session session_from(const po::variables_map& vm) {
  Session s;
  if (vm.count("out")) s.out_dir = vm["out"].as<std::string>();
  s.resume = vm["resume"].as<bool>();
  s.force = vm["force"].as<bool>();
  s.threads = vm["threads"].as<int>();
  s.progress = vm["progress"].as<std::string>();
  s.device = vm["device"].as<std::string>();
  core::parse_device(s.device);  // fails now, before anything is written
  if (s.threads < 1) throw std::invalid_argument("train: --threads must be >= 1 (got " + std::to_string(s.threads) + ")");
  if (s.progress != "auto" && s.progress != "lines" && s.progress != "off")
    throw std::invalid_argument("train: --progress must be auto, lines or off (got '" + s.progress + "')");
  if (s.resume && s.force) throw std::invalid_argument("train: --resume and --force exclude each other");
  return s;
}

void print_point(const char* what, const core::LengthAccuracy& p) {
  fmt::print("  {:<22} seq acc {:.4f}  token acc {:.4f}  scaled {:.4f}\n", what, p.sequence_accuracy,
             p.token_accuracy, p.scaled_token_accuracy);
}

}  // namespace

int train_command(const Args& args) {
  po::options_description options;
  options.add(run_field_options()).add(session_options());
  if (wants_help(args)) {
    std::cout << help_text("gooselab train --task SPEC --out DIR [--variant NAME] [options]",
                           "Trains one model on one task into a run directory: config.json (the resolved\n"
                           "configuration, its run id and the code version), metrics.jsonl, last.pt,\n"
                           "best.pt and result.json. A killed run continues with --resume. Every option\n"
                           "is also a JSON field of the same name with '_' for '-' (--config, study files).",
                           options,
                           "gooselab train --task parity --variant lstm --layers 1 --dim 64 --train-len 3..40 "
                           "--eval-lengths 64,128,256 --steps 1000 --batch-size 32 --out runs/parity-lstm");
    return 0;
  }
  const po::variables_map vm = parse_options("train", args, options);
  const FieldArgs fields = field_args(vm);
  Session session = session_from(vm);
  if (session.out_dir.empty()) throw std::invalid_argument("train: --out DIR is required (try: gooselab train --help)");

  const bool given = !fields.given.empty() || !fields.variant.empty() || !fields.config_file.empty();
  if (session.resume && !core::RunDirectory(session.out_dir).has_config() && !given)
    throw std::invalid_argument("train: --resume: " + session.out_dir + " holds no run to resume (no config.json); "
                                "give the run's options to start it");
  core::RunConfig config;
  if (session.resume && core::RunDirectory(session.out_dir).has_config()) {
    const StoredRun stored = read_run_config(session.out_dir);
    if (!fields.config_file.empty()) throw std::invalid_argument("train: --config and --resume exclude each other");
    if (!stored.legacy) check_same_as_stored(fields, stored.config, session.out_dir);
    config = stored.config;
    for (const auto& [name, text] : fields.given) {  // session-only fields (kernel) may change
      const core::ConfigField& field = core::require_config_field(name, "option");
      if (!field.identity) field.set(config, core::parse_field_text(field, text));
    }
  } else {
    config = resolve_run_config(fields);
  }
  core::validate(config);
  core::set_intra_op_threads(session.threads);
  core::TrainResult result;
  try {
    result = run_training(config, session);
  } catch (const core::TrainingDiverged& e) {
    core::RunDirectory(session.out_dir).write_failure(e.what());
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  fmt::print("{}: run {}, {} steps ({}), {:.1f} s, {:.0f} tokens/s, {} parameters\n", session.out_dir,
             core::run_id(config), result.steps, result.stop_reason, result.wall_seconds,
             result.tokens_per_second, result.num_parameters);
  for (const auto* checkpoint : {&result.selected, &result.last}) {
    if (checkpoint == &result.last && result.last.step == result.selected.step) break;
    fmt::print("{} checkpoint (step {}), test set:\n", checkpoint == &result.selected ? "selected" : "last",
               checkpoint->step);
    print_point(fmt::format("train lengths {}", core::format_length_range(config.train.train_min_len,
                                                                          config.train.train_max_len)).c_str(),
                checkpoint->test_train_lengths);
    for (const auto& point : checkpoint->test) print_point(fmt::format("length {}", point.min_len).c_str(), point);
  }
  return 0;
}

// ---- eval ------------------------------------------------------------------------------

int eval_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("run", po::value<std::string>()->value_name("DIR"), "run directory (from gooselab train)")
      ("task", po::value<std::string>(), "evaluate on this task instead of the run's (same vocabulary and classes)")
      ("lengths", po::value<std::string>(), "lengths to evaluate, e.g. 40,80,256,1024")
      ("count", po::value<int64_t>()->default_value(1000), "sequences per length")
      ("checkpoint", po::value<std::string>()->default_value("best"), "best | last (best falls back to last)")
      ("seed", po::value<std::string>()->default_value("20261126"), "seed of the evaluation data (a non-negative integer)")
      ("batch", po::value<int64_t>()->default_value(250), "sequences per forward pass")
      ("chunk", po::value<int64_t>()->default_value(0),
       "positions per forward pass of a recurrent model (rwkv7, dssm, lstm) on longer sequences, its state "
       "carried between chunks, so memory stays bounded at any length; 0 = max(64, 32768 / batch)")
      ("threads", po::value<int>()->default_value(1), "intra-op threads")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N | auto (a checkpoint loads on either)")
      ("precision", po::value<std::string>()->default_value("fp32"),
       "fp32 | bf16 (autocast of the matrix products to bfloat16; recurrence states stay fp32, as in training)")
      ("json", po::bool_switch(), "print JSON instead of a table")
      ("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab eval --run DIR --lengths LIST [options]",
                           "Evaluates a trained run's checkpoint on fresh seeded data: token and sequence\n"
                           "accuracy per length, including lengths far beyond training. Recurrent models\n"
                           "evaluate long sequences in chunks (--chunk), so memory does not grow with the\n"
                           "length; the Transformer evaluates at most 8192 positions. Runs written by\n"
                           "older gooselab versions (config.json with \"options\") are converted and load too.",
                           options, "gooselab eval --run runs/parity-lstm --lengths 40,256,1024 --count 500");
    return 0;
  }
  const po::variables_map vm = parse_options("eval", args, options);
  if (!vm.count("run")) throw std::invalid_argument("eval: --run DIR is required (try: gooselab eval --help)");
  if (!vm.count("lengths")) throw std::invalid_argument("eval: --lengths LIST is required (try: gooselab eval --help)");
  const std::string run_path = vm["run"].as<std::string>();
  const std::vector<int64_t> lengths = core::parse_length_list(vm["lengths"].as<std::string>(), "--lengths");
  if (lengths.empty()) throw std::invalid_argument("eval: --lengths is empty");
  const int64_t count = vm["count"].as<int64_t>();
  const int64_t batch = vm["batch"].as<int64_t>();
  if (count <= 0) throw std::invalid_argument("eval: --count must be positive (got " + std::to_string(count) + ")");
  if (batch <= 0) throw std::invalid_argument("eval: --batch must be positive (got " + std::to_string(batch) + ")");
  const int64_t chunk = vm["chunk"].as<int64_t>();
  if (chunk < 0) throw std::invalid_argument("eval: --chunk must be >= 0, 0 = automatic (got " + std::to_string(chunk) + ")");
  const std::string which = vm["checkpoint"].as<std::string>();
  if (which != "best" && which != "last") throw std::invalid_argument("eval: --checkpoint must be best or last (got '" + which + "')");
  const int threads = vm["threads"].as<int>();
  if (threads < 1) throw std::invalid_argument("eval: --threads must be >= 1");
  const std::string precision = vm["precision"].as<std::string>();
  if (precision != "fp32" && precision != "bf16")
    throw std::invalid_argument("eval: --precision must be fp32 or bf16 (got '" + precision + "')");
  // Read as text by the field table's seed grammar: Boost reads "-1" as 2^64 - 1 for an unsigned option.
  const uint64_t seed = core::parse_field_text(core::require_config_field("seed", "eval"),
                                               vm["seed"].as<std::string>()).get<uint64_t>();

  const core::RunDirectory dir(run_path);
  StoredRun stored = read_run_config(run_path);
  const std::string trained_task = stored.config.task.task;
  if (vm.count("task")) stored.config.task.task = vm["task"].as<std::string>();
  std::string checkpoint = which == "best" ? dir.best_checkpoint() : dir.last_checkpoint();
  if (!core::file_exists(checkpoint)) checkpoint = dir.last_checkpoint();
  if (!core::file_exists(checkpoint)) throw std::invalid_argument("eval: " + run_path + " has no checkpoint (best.pt or last.pt)");

  core::set_intra_op_threads(threads);
  PreparedRun run = prepare_run(stored.config, vm["device"].as<std::string>());
  const nlohmann::json derived = stored.json.value("derived", stored.json.value("model", nlohmann::json::object()));
  const int64_t stored_vocab = derived.value("vocab_size", run.model->config().vocab_size);
  const int64_t stored_classes = derived.value("num_classes", run.model->config().num_classes);
  if (stored_vocab != run.model->config().vocab_size || stored_classes != run.model->config().num_classes)
    throw std::invalid_argument(fmt::format("eval: task '{}' has {} tokens and {} classes; the run's model (trained on '{}') has {} and {}",
                                            stored.config.task.task, run.model->config().vocab_size,
                                            run.model->config().num_classes, trained_task, stored_vocab, stored_classes));
  const core::TrainState state = core::load_checkpoint(checkpoint, *run.model, nullptr);
  std::vector<core::LengthAccuracy> points;
  {
    const core::AutocastScope autocast(precision == "bf16", run.model->device());
    points = core::evaluate_lengths(*run.model, *run.source, lengths, count, batch, seed, chunk);
  }

  if (vm["json"].as<bool>()) {
    nlohmann::json out = {{"run", run_path}, {"run_id", core::run_id(stored.config)}, {"variant", stored.variant},
                          {"task", stored.config.task.task}, {"checkpoint", checkpoint}, {"step", state.step},
                          {"count", count}, {"seed", seed}, {"precision", precision},
                          {"chunk", core::eval_chunk_positions(chunk, batch)},
                          // What evaluated it, so a long evaluation stays attributable to a commit and a device.
                          {"code_version", core::code_version()}, {"device", run.model->device().str()},
                          {"threads", threads}};
    nlohmann::json list = nlohmann::json::array();
    for (const auto& point : points) list.push_back(core::to_json(point));
    out["lengths"] = list;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  fmt::print("{}  ({}, step {}, task {}, {} sequences per length, {})\n", run_path,
             fs::path(checkpoint).filename().string(), state.step, stored.config.task.task, count, precision);
  fmt::print("{:>8}  {:>9}  {:>9}  {:>10}\n", "length", "seq acc", "token acc", "scaled tok");
  for (const auto& point : points)
    fmt::print("{:>8}  {:>9.4f}  {:>9.4f}  {:>10.4f}\n", point.min_len, point.sequence_accuracy,
               point.token_accuracy, point.scaled_token_accuracy);
  return 0;
}

}  // namespace goose::experiments
