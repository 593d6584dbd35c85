// Running the real `gooselab` binary from tests: its path (GOOSELAB_BIN, set by ctest; a test
// fails, not skips, when it is missing), a command's exit code, stdout and stderr, and a
// child process the test can kill. Exports gooselab_binary(), CliOutput, run_gooselab(),
// spawn_gooselab(), slurp(), TempDir.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace goose::testing {

// GOOSELAB_BIN; throws std::runtime_error (failing the test) when unset or not executable.
std::string gooselab_binary();

struct CliOutput {
  int code = -1;    // exit status; -1 when killed by a signal
  std::string out;  // stdout
  std::string err;  // stderr
};
// `gooselab ARGUMENTS` through the shell (ARGUMENTS is one shell-quoted string).
CliOutput run_gooselab(const std::string& arguments);

// Starts gooselab with `args` (no shell) as a child whose stdout and stderr go to /dev/null;
// returns its pid.
pid_t spawn_gooselab(const std::vector<std::string>& args);
// waitpid; returns the exit code, or -signal when killed.
int wait_child(pid_t pid);

std::string slurp(const std::string& path);

// A fresh temporary directory, removed when the object goes.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace goose::testing
