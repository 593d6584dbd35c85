// The fiber scheduler behind cuda_emulation.h: one block at a time, its threads as ucontext
// fibers run round by round; between rounds, every live thread waits at a barrier (block or
// warp), and the scheduler releases the barriers that are complete.
#include "tests/cuda_emulation/cuda_emulation.h"

#include <ucontext.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <numeric>
#include <random>

uint3 threadIdx;
uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace goose::cuda_emulation {
namespace {

constexpr int kWarpSize = 32;
constexpr size_t kStackBytes = 256 * 1024;

enum class State { Ready, AtSyncthreads, AtShuffle, Done };

struct Fiber {
  ucontext_t context;
  std::unique_ptr<char[]> stack;  // uninitialised: most of it is never touched
  State state = State::Ready;
  float shuffle_value = 0.f;
  int shuffle_delta = 0;
  float shuffle_result = 0.f;
  std::exception_ptr error;
};

struct Scheduler {
  ucontext_t main;
  std::vector<Fiber> fibers;
  int current = -1;
  const std::function<void()>* body = nullptr;
  unsigned char* shared = nullptr;
  size_t shared_capacity = 0;
} g;

void fiber_entry() {
  Fiber& f = g.fibers[g.current];
  try {
    (*g.body)();
  } catch (...) {
    f.error = std::current_exception();
  }
  f.state = State::Done;  // returning resumes uc_link, the scheduler
}

Fiber& current_fiber() {
  if (g.current < 0) throw std::logic_error("cuda emulation: device function called outside a launch");
  return g.fibers[g.current];
}

void wait_at(State s) {
  Fiber& f = current_fiber();
  f.state = s;
  swapcontext(&f.context, &g.main);
}

std::string where() {
  return "block (" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," +
         std::to_string(blockIdx.z) + ")";
}

void set_thread_index(unsigned t) {
  threadIdx.x = t % blockDim.x;
  threadIdx.y = (t / blockDim.x) % blockDim.y;
  threadIdx.z = t / (blockDim.x * blockDim.y);
}

// Releases the complete barriers; returns false when nothing could be released.
bool release_barriers() {
  const int n = static_cast<int>(g.fibers.size());
  int at_sync = 0, done = 0;
  for (const Fiber& f : g.fibers) {
    at_sync += f.state == State::AtSyncthreads;
    done += f.state == State::Done;
  }
  bool released = false;
  if (at_sync == n) {
    for (Fiber& f : g.fibers) f.state = State::Ready;
    return true;
  }
  for (int w = 0; w * kWarpSize < n; ++w) {
    const int lo = w * kWarpSize, hi = std::min(n, lo + kWarpSize);
    int waiting = 0;
    for (int t = lo; t < hi; ++t) waiting += g.fibers[t].state == State::AtShuffle;
    if (waiting == 0) continue;
    if (hi - lo != kWarpSize)
      throw std::runtime_error("cuda emulation: " + where() + ": full-warp shuffle in a warp of " +
                               std::to_string(hi - lo) + " threads");
    if (waiting != kWarpSize) continue;
    for (int t = lo; t < hi; ++t) {
      Fiber& f = g.fibers[t];
      const int src = (t - lo) + f.shuffle_delta;
      f.shuffle_result = src < kWarpSize ? g.fibers[lo + src].shuffle_value : f.shuffle_value;
    }
    for (int t = lo; t < hi; ++t) g.fibers[t].state = State::Ready;
    released = true;
  }
  if (!released && at_sync > 0 && at_sync + done == n)
    throw std::runtime_error("cuda emulation: " + where() + ": __syncthreads() reached by " +
                             std::to_string(at_sync) + " of " + std::to_string(n) +
                             " threads (the others returned)");
  return released;
}

void run_block(const LaunchConfig& config, std::mt19937_64& rng) {
  const unsigned n = config.block.x * config.block.y * config.block.z;
  g.fibers.clear();
  g.fibers.resize(n);
  for (unsigned t = 0; t < n; ++t) {
    Fiber& f = g.fibers[t];
    f.stack.reset(new char[kStackBytes]);
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = &g.main;
    makecontext(&f.context, fiber_entry, 0);
  }
  std::vector<unsigned> order(n);
  std::iota(order.begin(), order.end(), 0u);
  if (config.order == Order::Descending) std::reverse(order.begin(), order.end());
  for (;;) {
    if (config.order == Order::Shuffled) std::shuffle(order.begin(), order.end(), rng);
    for (unsigned t : order) {
      if (g.fibers[t].state != State::Ready) continue;
      set_thread_index(t);
      g.current = static_cast<int>(t);
      swapcontext(&g.main, &g.fibers[t].context);
      g.current = -1;
      if (g.fibers[t].error) {
        try {
          std::rethrow_exception(g.fibers[t].error);
        } catch (const std::exception& e) {
          throw std::runtime_error("cuda emulation: " + where() + " thread " +
                                   std::to_string(t) + ": " + e.what());
        }
      }
    }
    if (std::all_of(g.fibers.begin(), g.fibers.end(),
                    [](const Fiber& f) { return f.state == State::Done; }))
      return;
    if (!release_barriers())
      throw std::runtime_error("cuda emulation: " + where() +
                               ": deadlock (threads wait at barriers that cannot complete)");
  }
}

}  // namespace

void register_dynamic_shared(void* base, size_t bytes) {
  g.shared = static_cast<unsigned char*>(base);
  g.shared_capacity = bytes;
}

void run(const LaunchConfig& config, const std::function<void()>& body) {
  if (config.shared_bytes > kMaxSharedBytes)
    throw std::runtime_error("cuda emulation: the launch asks for " +
                             std::to_string(config.shared_bytes) +
                             " bytes of dynamic shared memory; a block may have " +
                             std::to_string(kMaxSharedBytes));
  if (config.shared_bytes > 0 && config.shared_bytes > g.shared_capacity)
    throw std::logic_error("cuda emulation: no dynamic shared memory registered for this launch");
  if (config.block.x * config.block.y * config.block.z > 1024)
    throw std::runtime_error("cuda emulation: more than 1024 threads per block");
  gridDim = config.grid;
  blockDim = config.block;
  g.body = &body;
  std::mt19937_64 rng(config.seed);
  for (unsigned z = 0; z < config.grid.z; ++z)
    for (unsigned y = 0; y < config.grid.y; ++y)
      for (unsigned x = 0; x < config.grid.x; ++x) {
        blockIdx = uint3{x, y, z};
        if (g.shared) std::memset(g.shared, 0xff, g.shared_capacity);
        run_block(config, rng);
        for (size_t i = config.shared_bytes; i < g.shared_capacity; ++i)
          if (g.shared[i] != 0xff)
            throw std::runtime_error("cuda emulation: " + where() +
                                     ": write past the dynamic shared memory it asked for (" +
                                     std::to_string(config.shared_bytes) + " bytes)");
      }
  g.fibers.clear();
  g.body = nullptr;
}

}  // namespace goose::cuda_emulation

using goose::cuda_emulation::State;
using goose::cuda_emulation::current_fiber;
using goose::cuda_emulation::wait_at;

void __syncthreads() { wait_at(State::AtSyncthreads); }

float __shfl_down_sync(unsigned mask, float value, int delta) {
  if (mask != 0xffffffffu) throw std::runtime_error("cuda emulation: only full-warp shuffles");
  auto& f = current_fiber();
  f.shuffle_value = value;
  f.shuffle_delta = delta;
  wait_at(State::AtShuffle);
  return f.shuffle_result;
}

float atomicAdd(float* address, float value) {
  const float old = *address;
  *address = old + value;
  return old;
}
