//===- ThreadPool.h - the kernels' parallel loops -----------------*- C++ -*-===//
//
// xfc's pool for the parallel loops of the compiled kernels, installed as
// Halide's do_par_for (setKernelThreads does both). ThreadPool.cpp says why.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_RUNTIME_THREADPOOL_H
#define XF_CODEGEN_RUNTIME_THREADPOOL_H

#include "HalideRuntime.h"

#include <cstdint>

namespace xfrt {

/// Halide's do_par_for: runs task(userContext, i, closure) for every i in
/// [min, min + size) on the pool and the calling thread; returns 0, or the
/// first non-zero result of a task. Serial when the pool has no other
/// thread, when called from inside a task (nested loops), or while another
/// thread's loop runs.
int kernelParFor(void *userContext, halide_task_t task, int min, int size, uint8_t *closure);

/// `threads` in all, the caller of a loop included (1: every loop serial).
/// Not while a loop runs on another thread.
void resizeKernelThreadPool(int threads);

} // namespace xfrt

#endif // XF_CODEGEN_RUNTIME_THREADPOOL_H
