// The code version recorded beside every run (never inside its identity): `git describe
// --always --dirty` of the source tree at build time, written into a generated header by
// every build (cmake/write_version.cmake), so a fresh clone records its real commit.
// Exports code_version().
#pragma once
#include <string>

namespace goose::core {

std::string code_version();  // e.g. "a49339b" or "a49339b-dirty"; "unknown" without git

}  // namespace goose::core
