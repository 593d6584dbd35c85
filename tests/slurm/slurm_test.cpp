// Sweeps on a real Slurm: a private single-node cluster (Debian slurm-wlm + munge) started
// for the test in a temporary directory, as root, with its own config, ports and munge
// socket; `gooselab sweep slurm --submit` runs a study on it (a job array; a search as waves
// chained by advance jobs); `collect` must give the rows of a local run of the same study.
// The test stops exactly the daemons it started, by their pids. Not root: it skips, saying why.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/cli.h"

namespace goose::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The slurm.conf of a private cluster (the recipe verified on this machine kind).
const char* kSlurmConf = R"(ClusterName=gooselab-test
SlurmctldHost=@HOST@
SlurmUser=root
SlurmdUser=root
SlurmctldPort=@CTLD_PORT@
SlurmdPort=@SLURMD_PORT@
AuthType=auth/munge
AuthInfo=socket=@DIR@/munge/run/munge.socket
StateSaveLocation=@DIR@/state
SlurmdSpoolDir=@DIR@/spool
SlurmctldPidFile=@DIR@/slurmctld.pid
SlurmdPidFile=@DIR@/slurmd.pid
SlurmctldLogFile=@DIR@/log/slurmctld.log
SlurmdLogFile=@DIR@/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=@HOST@ CPUs=@CPUS@ State=UNKNOWN
PartitionName=debug Nodes=@HOST@ Default=YES MaxTime=INFINITE State=UP
)";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string shell(const std::string& command) {
  std::string out;
  if (std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  return out;
}

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"})
    if (::access((std::string(dir) + "/" + name).c_str(), X_OK) == 0) return std::string(dir) + "/" + name;
  return "";
}

// munged + slurmctld + slurmd in one temporary directory; stopped by the pids they wrote.
class PrivateSlurm {
 public:
  // "" when running, else why not.
  std::string start() {
    if (::geteuid() != 0) return "not root: a private Slurm needs slurmd as root";
    for (const char* program : {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"})
      if (find_program(program).empty()) return std::string(program) + " not found (scripts/setup installs slurm-wlm and munge)";
    dir_ = std::make_unique<TempDir>("slurm");
    const std::string d = dir_->path();
    for (const char* sub : {"state", "spool", "log", "munge/run", "munge/lib", "munge/log", "munge/etc"})
      fs::create_directories(d + "/" + sub);
    {
      std::ofstream key(d + "/munge/etc/munge.key", std::ios::binary);
      std::random_device random;
      for (int i = 0; i < 1024; ++i) key.put(char(random() & 0xff));
    }
    ::chmod((d + "/munge/etc/munge.key").c_str(), 0400);
    ::chmod((d + "/munge").c_str(), 0700);
    const std::string munged = find_program("munged") + " --force --key-file=" + d + "/munge/etc/munge.key --socket=" + d +
                               "/munge/run/munge.socket --pid-file=" + d + "/munge/run/munged.pid --log-file=" + d +
                               "/munge/log/munged.log --seed-file=" + d + "/munge/lib/munged.seed";
    if (std::system(munged.c_str()) != 0) return "munged did not start: " + shell("cat " + d + "/munge/log/munged.log");
    std::string host = shell("hostname -s");
    host.erase(std::remove(host.begin(), host.end(), '\n'), host.end());
    std::string conf = replace_all(kSlurmConf, "@HOST@", host);
    conf = replace_all(conf, "@DIR@", d);
    conf = replace_all(conf, "@CPUS@", std::to_string(std::max(1u, std::thread::hardware_concurrency())));
    conf = replace_all(conf, "@CTLD_PORT@", std::to_string(free_port()));
    conf = replace_all(conf, "@SLURMD_PORT@", std::to_string(free_port()));
    std::ofstream(d + "/slurm.conf") << conf;
    ::setenv("SLURM_CONF", (d + "/slurm.conf").c_str(), 1);
    if (std::system((find_program("slurmctld") + " -f " + d + "/slurm.conf").c_str()) != 0)
      return "slurmctld did not start: " + shell("tail -5 " + d + "/log/slurmctld.log");
    if (std::system((find_program("slurmd") + " -f " + d + "/slurm.conf").c_str()) != 0)
      return "slurmd did not start: " + shell("tail -5 " + d + "/log/slurmd.log");
    for (int i = 0; i < 60; ++i) {  // the node comes up idle within a few seconds
      if (shell("sinfo -h -o %t").find("idle") != std::string::npos) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return "the node never became idle: " + shell("sinfo; tail -5 " + d + "/log/slurmctld.log");
  }

  // Waits until no job is queued or running.
  bool wait_idle(int seconds) {
    for (int i = 0; i < seconds * 2; ++i) {
      if (shell("squeue -h -o %i").empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  std::string log(const std::string& name) const { return dir_ ? slurp(dir_->path() + "/log/" + name) : ""; }

  ~PrivateSlurm() {
    if (!dir_) return;
    const std::string d = dir_->path();
    for (const std::string pid_file : {d + "/slurmd.pid", d + "/slurmctld.pid", d + "/munge/run/munged.pid"}) {
      const long pid = std::atol(slurp(pid_file).c_str());
      if (pid <= 0) continue;
      ::kill(pid_t(pid), SIGTERM);
      for (int i = 0; i < 50 && ::kill(pid_t(pid), 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (::kill(pid_t(pid), 0) == 0) ::kill(pid_t(pid), SIGKILL);
    }
    ::unsetenv("SLURM_CONF");
  }

 private:
  std::unique_ptr<TempDir> dir_;
};

std::string fixture(const std::string& name) {
  const char* source = std::getenv("GOOSE_SOURCE_DIR");
  if (source == nullptr) throw std::runtime_error("GOOSE_SOURCE_DIR not set (run through ctest)");
  return std::string(source) + "/tests/fixtures/studies/" + name;
}

json comparable_results(const std::string& dir) {
  json rows = json::parse(slurp(dir + "/results.json"));
  for (auto& row : rows)
    for (const char* key : {"wall_seconds", "tokens_per_second", "code_version"}) row.erase(key);
  std::vector<json> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return sorted;
}

TEST(Slurm, JobArraysGiveTheRowsOfALocalSweep) {
  PrivateSlurm slurm;
  const std::string why = slurm.start();
  if (!why.empty()) GTEST_SKIP() << "no private Slurm: " << why;
  TempDir work("slurm_sweeps");
  for (const std::string study : {"tiny.toml", "tiny-search.toml"}) {
    SCOPED_TRACE(study);
    const std::string cluster = work / (study + "-cluster"), local = work / (study + "-local");
    const CliOutput submitted = run_gooselab("sweep slurm " + fixture(study) + " --out " + cluster +
                                             " --runs-per-task 2 --max-parallel 2 --time 00:10:00 --submit");
    ASSERT_EQ(submitted.code, 0) << submitted.err;
    EXPECT_NE(submitted.out.find("submitted: job "), std::string::npos) << submitted.out;
    const std::string script = slurp(cluster + "/slurm/wave-0.sbatch");
    EXPECT_NE(script.find("#SBATCH --array=0-1%2"), std::string::npos) << script;
    EXPECT_NE(script.find("sweep worker"), std::string::npos) << script;
    ASSERT_TRUE(slurm.wait_idle(240)) << slurm.log("slurmctld.log");
    const CliOutput status = run_gooselab("sweep status " + cluster);
    EXPECT_NE(status.out.find(", 0 failed, 0 interrupted, 0 pending"), std::string::npos)
        << status.out << shell("cat " + cluster + "/slurm/logs/*");
    ASSERT_EQ(run_gooselab("sweep collect " + cluster).code, 0);
    const CliOutput here = run_gooselab("sweep run " + fixture(study) + " --jobs 2 --progress off --out " + local);
    ASSERT_EQ(here.code, 0) << here.err;
    EXPECT_EQ(comparable_results(cluster), comparable_results(local));
  }
  // The search ran as waves chained by advance jobs: waves 1 and 2 were written by them.
  EXPECT_TRUE(fs::exists(work / "tiny-search.toml-cluster/slurm/wave-1.json"));
  EXPECT_TRUE(fs::exists(work / "tiny-search.toml-cluster/slurm/wave-2.json"));
}

}  // namespace
}  // namespace goose::testing
