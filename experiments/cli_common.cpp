// Shared command-line helpers (see cli_common.h).
#include "experiments/cli_common.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace goose::experiments {

std::string source_dir() {
  if (const char* env = std::getenv("GOOSE_SOURCE_DIR")) return env;
  // Set by CMake; not __FILE__, which ccache's base_dir makes relative to the build folder.
  return GOOSE_SOURCE_DIR;
}

bool wants_help(const Args& args) {
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

po::variables_map parse_options(const std::string& command, const Args& args,
                                const po::options_description& options,
                                const po::positional_options_description& positional) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::invalid_argument(command + ": " + e.what() + " (try: gooselab " + command + " --help)");
  }
  return vm;
}

std::string help_text(const std::string& usage, const std::string& summary,
                      const po::options_description& options, const std::string& example) {
  std::ostringstream out;
  out << "usage: " << usage << "\n\n" << summary << "\n\n" << options << "\nexample:\n  " << example << "\n";
  return out.str();
}

}  // namespace goose::experiments
