// write_file_atomic under real kills: a child process rewrites one large file in a loop,
// alternating two contents, and is SIGKILLed at random moments; the file must always hold one of
// the two whole, never part of one (a sequential test cannot tell an atomic write from a plain one).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "core/files.h"

namespace goose::core {
namespace {

namespace fs = std::filesystem;

int temporaries_in(const std::string& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    count += entry.path().filename().string().find(".tmp.") != std::string::npos;
  return count;
}

TEST(AtomicWrite, KilledWriterLeavesTheOldOrTheNewFileNeverPartOfOne) {
  const std::string dir = (fs::temp_directory_path() / ("goose_atomic_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  make_dirs(dir);
  const std::string target = dir + "/data.bin";
  // Different sizes and bytes: any mixture or truncation of the two is neither.
  const std::string first(4 << 20, 'a'), second((6 << 20) + 7, 'b');
  write_file_atomic(target, first);
  const unsigned seed = 20261201;
  SCOPED_TRACE("kill moments seeded with " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int mid_write = 0;
  const int trials = 24;
  for (int trial = 0; trial < trials; ++trial) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // the writer: never returns, dies by SIGKILL
      ::close(ready[0]);
      const char go = 1;
      if (::write(ready[1], &go, 1) != 1) ::_exit(1);
      for (uint64_t i = 1;; ++i) write_file_atomic(target, i % 2 ? second : first);
    }
    ::close(ready[1]);
    char go = 0;
    ASSERT_EQ(::read(ready[0], &go, 1), 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "trial " << trial;
    const std::string content = read_file(target);
    EXPECT_TRUE(content == first || content == second)
        << "trial " << trial << ": " << content.size() << " bytes, not one of the two whole files ("
        << first.size() << " or " << second.size() << ")";
    if (temporaries_in(dir) > 0) ++mid_write;  // the kill landed inside a write
    remove_temporaries(dir);
    EXPECT_EQ(temporaries_in(dir), 0);
  }
  // Most kills land inside a write (writing dominates the loop); without any such kill this
  // test could not fail.
  EXPECT_GT(mid_write, 0) << "of " << trials << " kills";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace goose::core
