//===- ThreadPool.cpp - the kernels' parallel loops ---------------*- C++ -*-===//
//
// Halide's do_par_for for the compiled kernels: a pool whose threads stay
// awake, spinning, for a while after each parallel loop, so that the next
// loop (microseconds later in a decode step, which runs ~100 kernels) starts
// on every core at once. With Halide 14's own pool a decode step's short
// loops ran on about one core: xfc-kernel-bench's attentionDecode took 11.3
// us on 2 threads against 11.7 on 1. A thread sleeps once it has found no
// work for kSpin; nested parallel loops, and loops started while another
// thread's loop runs, run serially in their caller.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace xfrt {

namespace {

constexpr auto kSpin = std::chrono::milliseconds(2);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

thread_local bool insideTask = false;

int runSerially(void *uc, halide_task_t task, int min, int size, uint8_t *closure) {
  for (int i = 0; i < size; ++i)
    if (int r = task(uc, min + i, closure))
      return r;
  return 0;
}

class KernelThreadPool {
public:
  /// `threads` in all, the caller of a loop included.
  void resize(int threads) {
    std::lock_guard<std::mutex> lock(dispatch); // not while a loop runs
    int wanted = std::max(0, threads - 1);
    // A new thread starts from the current generation: reading it itself, it
    // could miss a loop posted before it first ran.
    uint64_t now = generation.load();
    for (int i = created; i < wanted; ++i)
      std::thread([this, i, now] { work(i, now); }).detach();
    created = std::max(created, wanted);
    enabled.store(wanted);
  }

  int parFor(void *uc, halide_task_t task, int min, int size, uint8_t *closure) {
    if (size <= 1 || insideTask || enabled.load(std::memory_order_relaxed) == 0 ||
        !dispatch.try_lock())
      return runSerially(uc, task, min, size, closure);
    job = {uc, task, min, size, closure};
    next.store(0, std::memory_order_relaxed);
    done.store(0, std::memory_order_relaxed);
    result.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(sleep);
      live.store(true);
      generation.fetch_add(1);
      if (sleepers > 0)
        wake.notify_all();
    }
    runTasks();
    while (done.load(std::memory_order_acquire) < size)
      cpuRelax();
    // No worker may still read this job when the next one is written.
    live.store(false);
    while (active.load() != 0)
      cpuRelax();
    int r = result.load();
    dispatch.unlock();
    return r;
  }

private:
  struct Job {
    void *uc;
    halide_task_t task;
    int min, size;
    uint8_t *closure;
  };

  void runTasks() {
    insideTask = true;
    for (int i; (i = next.fetch_add(1)) < job.size;) {
      if (int r = job.task(job.uc, job.min + i, job.closure)) {
        int none = 0;
        result.compare_exchange_strong(none, r);
      }
      done.fetch_add(1, std::memory_order_release);
    }
    insideTask = false;
  }

  void work(int index, uint64_t seen) {
    for (;;) {
      auto deadline = std::chrono::steady_clock::now() + kSpin;
      uint64_t g;
      for (unsigned n = 1; (g = generation.load(std::memory_order_acquire)) == seen; ++n) {
        cpuRelax();
        if (n % 256 == 0 && std::chrono::steady_clock::now() > deadline) {
          std::unique_lock<std::mutex> lock(sleep);
          ++sleepers;
          wake.wait(lock, [&] { return generation.load() != seen; });
          --sleepers;
          deadline = std::chrono::steady_clock::now() + kSpin;
        }
      }
      seen = g;
      if (index >= enabled.load())
        continue; // fewer threads asked for since this one started
      active.fetch_add(1);
      if (live.load() && generation.load() == g)
        runTasks();
      active.fetch_sub(1);
    }
  }

  std::mutex dispatch; // one loop at a time
  int created = 0;
  std::atomic<int> enabled{0};
  Job job{};
  std::atomic<int> next{0}, done{0}, result{0}, active{0};
  std::atomic<bool> live{false};
  std::atomic<uint64_t> generation{0};
  std::mutex sleep;
  std::condition_variable wake;
  int sleepers = 0; // guarded by `sleep`
};

KernelThreadPool &pool() {
  static auto *p = new KernelThreadPool(); // never destroyed: its threads are detached
  return *p;
}

} // namespace

int kernelParFor(void *userContext, halide_task_t task, int min, int size, uint8_t *closure) {
  return pool().parFor(userContext, task, min, size, closure);
}

void resizeKernelThreadPool(int threads) { pool().resize(threads); }

} // namespace xfrt
