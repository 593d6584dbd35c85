// `gooselab inspect --run DIR`: a run's diagnostics (experiments/inspect.h) as inspect.json,
// a figure (analysis/plot_inspect.py) and a short summary.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/files.h"
#include "core/text.h"
#include "core/threads.h"
#include "experiments/cli_common.h"
#include "experiments/commands.h"
#include "experiments/inspect.h"

namespace goose::experiments {

int inspect_command(const Args& args) {
  po::options_description options("options");
  options.add_options()
      ("run", po::value<std::string>()->value_name("DIR"), "run directory (trained or constructed)")
      ("task", po::value<std::string>(), "inspect on this task instead of the run's (same vocabulary)")
      ("lengths", po::value<std::string>(), "lengths of the data, e.g. 16,32,64,128 (default: training length ×1, 2, 4, 8)")
      ("count", po::value<int64_t>()->default_value(64), "sequences per length")
      ("long-length", po::value<int64_t>()->default_value(0), "length of the state-norm curve (default: the longest of --lengths)")
      ("checkpoint", po::value<std::string>()->default_value("best"), "best | last")
      ("seed", po::value<uint64_t>()->default_value(20261129), "seed of the data")
      ("out", po::value<std::string>(), "where to write the JSON (default DIR/inspect.json)")
      ("no-plot", po::bool_switch(), "skip the figure (DIR/inspect.png, analysis/plot_inspect.py)")
      ("json", po::bool_switch(), "print the JSON instead of the summary")
      ("threads", po::value<int>()->default_value(1), "intra-op threads")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu | cuda | cuda:N | auto")
      ("help,h", "show this help");
  if (wants_help(args)) {
    std::cout << help_text("gooselab inspect --run DIR [--lengths LIST] [options]",
                           "What a model does on real data. RWKV-7: the special eigenvalue λ* of every token's\n"
                           "transition per layer and head (fractions below 0, −0.9, −1), decays and rates, and\n"
                           "the WKV state norm versus position; diagonal SSMs: the eigenvalues; LSTM: forget-gate\n"
                           "saturation; Transformer: attention entropy versus length.",
                           options, "gooselab inspect --run runs/s5-rwkv7 --lengths 16,32,64,128");
    return 0;
  }
  const po::variables_map vm = parse_options("inspect", args, options);
  if (!vm.count("run")) throw std::invalid_argument("inspect: --run DIR is required (try: gooselab inspect --help)");
  const std::string run = vm["run"].as<std::string>();
  InspectOptions o;
  if (vm.count("task")) o.task = vm["task"].as<std::string>();
  if (vm.count("lengths")) o.lengths = core::parse_length_list(vm["lengths"].as<std::string>(), "--lengths");
  o.count = vm["count"].as<int64_t>();
  o.long_length = vm["long-length"].as<int64_t>();
  o.checkpoint = vm["checkpoint"].as<std::string>();
  o.seed = vm["seed"].as<uint64_t>();
  o.device = vm["device"].as<std::string>();
  if (o.checkpoint != "best" && o.checkpoint != "last") throw std::invalid_argument("inspect: --checkpoint must be best or last");
  if (o.count < 1) throw std::invalid_argument("inspect: --count must be positive (got " + std::to_string(o.count) + ")");
  if (o.long_length < 0) throw std::invalid_argument("inspect: --long-length must be >= 0");
  const int threads = vm["threads"].as<int>();
  if (threads < 1) throw std::invalid_argument("inspect: --threads must be >= 1");
  core::set_intra_op_threads(threads);

  const nlohmann::json report = inspect_run(run, o);
  const std::string out = vm.count("out") ? vm["out"].as<std::string>() : (std::filesystem::path(run) / "inspect.json").string();
  core::write_json_atomic(out, report);
  if (vm["json"].as<bool>()) {
    std::cout << report.dump(2) << "\n";
  } else {
    fmt::print("{} ({} {}, {} step {}, task {})\n", run, report["variant"].get<std::string>(), report["arch"].get<std::string>(),
               std::filesystem::path(report["checkpoint"].get<std::string>()).filename().string(),
               report["step"].get<int64_t>(), report["task"].get<std::string>());
    for (const auto& line : report["summary"]) fmt::print("  {}\n", line.get<std::string>());
    fmt::print("JSON: {}\n", out);
  }
  if (!vm["no-plot"].as<bool>()) {
    const std::string png = (std::filesystem::path(out).parent_path() / "inspect.png").string();
    const std::string note = run_analysis_script("plot_inspect.py", {out, png});
    if (!vm["json"].as<bool>()) fmt::print("{}\n", note);
  }
  return 0;
}

}  // namespace goose::experiments
