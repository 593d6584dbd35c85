// Running the real `gooselab` binary from tests: its path (GOOSELAB_BIN, set by ctest; a test
// fails, not skips, when it is missing), a command's exit code, stdout and stderr, and a
// child process the test can kill, and a run with extra environment that reports a death by
// signal. Exports gooselab_binary(), CliOutput, run_gooselab(), ChildOutput, run_gooselab_args(),
// run_gooselab_all(),
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

struct ChildOutput {
  int code = -1;    // exit status; -1 when killed by a signal
  int signal = 0;   // the signal that killed it, 0 when it exited
  std::string out;  // stdout
  std::string err;  // stderr
};
// `gooselab ARGS` without a shell (so a death by signal is the child's own, not a shell's exit
// code 128+N), with `env` ("NAME=VALUE" each) added to this process's environment.
ChildOutput run_gooselab_args(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
// Every command (each `gooselab ARGS` as run_gooselab_args runs it), `jobs` at a time; the
// outputs in the order of the commands. Thread-safe, for independent commands only.
std::vector<ChildOutput> run_gooselab_all(const std::vector<std::vector<std::string>>& commands, int jobs = 2);

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
