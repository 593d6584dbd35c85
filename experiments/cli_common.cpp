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

std::string run_analysis_script(const std::string& script, const std::vector<std::string>& args) {
  const std::string path = source_dir() + "/analysis/" + script;
  if (std::system("test -x /usr/bin/python3 && /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") != 0)
    return "note: no figure (needs /usr/bin/python3 with matplotlib)";
  std::string command = "/usr/bin/python3 '" + path + "'";
  for (const auto& a : args) command += " '" + a + "'";
  if (std::system((command + " >/dev/null").c_str()) != 0) return "note: the figure failed (" + command + ")";
  return "figure: " + args.back();
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
