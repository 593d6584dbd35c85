// Shared command-line helpers for the gooselab subcommands (Boost.Program_options):
// parsing that turns unknown options, bad values and stray arguments into
// std::invalid_argument, and uniform --help text with defaults and an example.
#pragma once
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "experiments/commands.h"

namespace goose::experiments {

namespace po = boost::program_options;

// True when --help or -h is among args (checked before parsing, so help always works).
bool wants_help(const Args& args);

// Parses args against options and positionals. Every Program_options error (unknown
// option, bad value, missing argument, too many positionals) becomes
// std::invalid_argument("<command>: <what> (try: gooselab <command> --help)").
po::variables_map parse_options(const std::string& command, const Args& args,
                                const po::options_description& options,
                                const po::positional_options_description& positional =
                                    po::positional_options_description());

// The source tree (GOOSE_SOURCE_DIR in the environment, else the tree this binary was built
// from), for analysis/ scripts and study files.
std::string source_dir();

// Runs analysis/SCRIPT with Debian's /usr/bin/python3 (matplotlib, pandas) on ARGS; returns
// "figure: <last arg>" or a note saying why there is none (never an error: figures are extra).
std::string run_analysis_script(const std::string& script, const std::vector<std::string>& args);

// "usage: <usage>\n\n<summary>\n\n<options with defaults>\nexample:\n  <example>\n"
std::string help_text(const std::string& usage, const std::string& summary,
                      const po::options_description& options, const std::string& example);

}  // namespace goose::experiments
