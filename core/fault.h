// Crash points for the tests that kill a run at every write (DESIGN.md: a killed run loses
// nothing). With GOOSE_FAULT=NAME or NAME@K in the environment, the K-th (default first)
// time the process reaches the point NAME it sends itself SIGKILL: a real kill, no cleanup,
// no flag the code could honour. Without the variable a point costs one branch.
// Exports fault_point(), fault_due(), die_now().
#pragma once

namespace goose::core {

// Names used: "before-rename" (a temporary file written, not yet renamed into place),
// "checkpoint-written", "metrics-line-written", "metrics-half-line" (append_line writes half
// its line first), "result-written".
void fault_point(const char* name);
// Counts one arrival at `name`; true when this arrival is the one that must die (for writers
// that first leave something half done, then call die_now()).
bool fault_due(const char* name);
[[noreturn]] void die_now();

}  // namespace goose::core
