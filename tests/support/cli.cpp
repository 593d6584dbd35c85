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
#include <exception>
#include <mutex>
#include <thread>

extern "C" char** environ;

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

ChildOutput run_gooselab_args(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  static std::atomic<int> counter{0};
  const std::string binary = gooselab_binary();
  const std::string base = (fs::temp_directory_path() / ("goose_child_" + std::to_string(::getpid()) + "_" +
                                                         std::to_string(counter++))).string();
  const std::string out_path = base + ".out", err_path = base + ".err";
  // Everything the child needs is prepared before fork(): between fork and exec it calls only
  // async-signal-safe functions, so tests may run several children from several threads.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ChildOutput output;
  if (WIFSIGNALED(status)) output.signal = WTERMSIG(status);
  else if (WIFEXITED(status)) output.code = WEXITSTATUS(status);
  output.out = slurp(out_path);
  output.err = slurp(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return output;
}

std::vector<ChildOutput> run_gooselab_all(const std::vector<std::vector<std::string>>& commands, int jobs) {
  std::vector<ChildOutput> outputs(commands.size());
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> workers;
  for (int j = 0; j < std::max(1, jobs); ++j)
    workers.emplace_back([&] {
      for (size_t i = next++; i < commands.size(); i = next++) {
        try {
          outputs[i] = run_gooselab_args(commands[i]);
        } catch (...) {  // rethrown on the calling thread
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    });
  for (auto& w : workers) w.join();
  if (error) std::rethrow_exception(error);
  return outputs;
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
