// The build's code version (see version.h).
#include "core/version.h"

#include "goose_version.h"  // generated into the build tree at every build

namespace goose::core {

std::string code_version() { return kGooseCodeVersion; }

}  // namespace goose::core
