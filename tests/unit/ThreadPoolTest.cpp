//===- ThreadPoolTest.cpp - the kernels' thread pool --------------*- C++ -*-===//
//
// kernelParFor, the do_par_for every compiled kernel's parallel loops run
// on: each index once, errors returned, nested loops and loops from two
// threads at once, and that a loop's tasks do run on two threads at once,
// also after the pool's threads have gone to sleep.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace xfrt;

namespace {

struct Counts {
  std::vector<std::atomic<int>> runs;
  explicit Counts(int n) : runs(n) {}
};

int countTask(void *, int i, uint8_t *closure) {
  reinterpret_cast<Counts *>(closure)->runs[i]++;
  return 0;
}

void expectEachOnce(Counts &c, int min, int size) {
  for (int i = 0; i < (int)c.runs.size(); ++i)
    ASSERT_EQ(c.runs[i].load(), i >= min && i < min + size ? 1 : 0) << "index " << i;
}

TEST(KernelThreadPool, EveryIndexOnce) {
  resizeKernelThreadPool(3);
  for (int size = 0; size < 70; ++size) {
    Counts c(80);
    ASSERT_EQ(kernelParFor(nullptr, countTask, 5, size, reinterpret_cast<uint8_t *>(&c)), 0);
    expectEachOnce(c, 5, size);
  }
}

int failOnSeven(void *, int i, uint8_t *) { return i == 7 ? -3 : 0; }

TEST(KernelThreadPool, ReturnsATasksError) {
  resizeKernelThreadPool(2);
  EXPECT_EQ(kernelParFor(nullptr, failOnSeven, 0, 20, nullptr), -3);
  EXPECT_EQ(kernelParFor(nullptr, failOnSeven, 8, 20, nullptr), 0);
}

int nestedTask(void *, int, uint8_t *closure) {
  auto *inner = reinterpret_cast<std::vector<Counts> *>(closure);
  static std::atomic<int> next{0};
  Counts &c = (*inner)[next++ % inner->size()];
  return kernelParFor(nullptr, countTask, 0, 16, reinterpret_cast<uint8_t *>(&c));
}

TEST(KernelThreadPool, NestedLoopsRunWhole) {
  resizeKernelThreadPool(2);
  std::vector<Counts> inner;
  for (int i = 0; i < 8; ++i)
    inner.emplace_back(16);
  ASSERT_EQ(kernelParFor(nullptr, nestedTask, 0, 8, reinterpret_cast<uint8_t *>(&inner)), 0);
  for (Counts &c : inner)
    expectEachOnce(c, 0, 16);
}

TEST(KernelThreadPool, LoopsFromTwoThreads) {
  resizeKernelThreadPool(2);
  auto loops = [] {
    for (int r = 0; r < 300; ++r) {
      Counts c(33);
      ASSERT_EQ(kernelParFor(nullptr, countTask, 0, 33, reinterpret_cast<uint8_t *>(&c)), 0);
      expectEachOnce(c, 0, 33);
    }
  };
  std::thread other(loops);
  loops();
  other.join();
}

/// Two tasks that each wait (up to 5 s) until both have started: they
/// finish early only when two threads run them at once.
struct Meeting {
  std::atomic<int> arrived{0};
  std::atomic<int> met{0};
};

int meetTask(void *, int, uint8_t *closure) {
  auto *m = reinterpret_cast<Meeting *>(closure);
  m->arrived++;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (m->arrived.load() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  if (m->arrived.load() >= 2)
    m->met++;
  return 0;
}

TEST(KernelThreadPool, TasksRunOnTwoThreadsAtOnce) {
  resizeKernelThreadPool(2);
  for (int pause : {0, 50}) { // 50 ms: the pool's threads have gone to sleep
    std::this_thread::sleep_for(std::chrono::milliseconds(pause));
    Meeting m;
    ASSERT_EQ(kernelParFor(nullptr, meetTask, 0, 2, reinterpret_cast<uint8_t *>(&m)), 0);
    EXPECT_EQ(m.met.load(), 2) << "after a pause of " << pause << " ms";
  }
}

TEST(KernelThreadPool, OneThreadRunsInTheCaller) {
  resizeKernelThreadPool(1);
  static std::thread::id caller;
  caller = std::this_thread::get_id();
  static std::atomic<int> elsewhere{0};
  auto task = [](void *, int, uint8_t *) -> int {
    if (std::this_thread::get_id() != caller)
      elsewhere++;
    return 0;
  };
  ASSERT_EQ(kernelParFor(nullptr, task, 0, 64, nullptr), 0);
  EXPECT_EQ(elsewhere.load(), 0);
  resizeKernelThreadPool(2);
}

} // namespace
