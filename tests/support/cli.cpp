// Running the gooselab binary from tests (see cli.h).
#include "tests/support/cli.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace goose::testing {

namespace fs = std::filesystem;

std::string gooselab_binary() {
  const char* bin = std::getenv("GOOSELAB_BIN");
  if (bin == nullptr || *bin == '\0')
    throw std::runtime_error("GOOSELAB_BIN is not set: run the CLI tests through ctest");
  if (::access(bin, X_OK) != 0) throw std::runtime_error(std::string("GOOSELAB_BIN ") + bin + " is not an executable");
  return bin;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CliOutput run_gooselab(const std::string& arguments) {
  static std::atomic<int> counter{0};
  const std::string base = (fs::temp_directory_path() / ("goose_cli_" + std::to_string(::getpid()) + "_" +
                                                         std::to_string(counter++))).string();
  const std::string command = "'" + gooselab_binary() + "' " + arguments + " >" + base + ".out 2>" + base + ".err";
  CliOutput output;
  const int status = std::system(command.c_str());
  output.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  output.out = slurp(base + ".out");
  output.err = slurp(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return output;
}

pid_t spawn_gooselab(const std::vector<std::string>& args) {
  const std::string binary = gooselab_binary();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ = (fs::temp_directory_path() /
           ("goose_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++))).string();
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code error;
  fs::remove_all(path_, error);
}

}  // namespace goose::testing
