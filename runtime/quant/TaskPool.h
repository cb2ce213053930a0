//===- TaskPool.h - threads of the quantization code ------------*- C++ -*-===//
//
// Internal to runtime/quant. A small persistent pool used by the GPTQ solver
// (column panels of a block) and the fused quantized kernels (column tiles).
// runTasks(n, threads, fn) calls fn(task) for every task in [0, n) on up to
// `threads` threads (the caller included). Tasks are handed out in order from
// an atomic counter; results must not depend on which thread ran a task.
// Calls made while the pool is busy (nested, or from another thread) run
// inline on the calling thread, so the pool never deadlocks.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_QUANT_TASKPOOL_H
#define GPTQ_RUNTIME_QUANT_TASKPOOL_H

#include <cstdint>
#include <type_traits>

namespace gptq::rt::quant {

/// Threads the quantization code uses (default: hardware concurrency).
int quantThreads();
/// Sets it (n <= 0: hardware concurrency).
void setQuantThreads(int n);

namespace detail {
using TaskFn = void (*)(void *ctx, int64_t task);
void runTasksImpl(int64_t numTasks, int threads, TaskFn fn, void *ctx);
} // namespace detail

template <typename F> void runTasks(int64_t numTasks, int threads, F &&fn) {
  if (numTasks <= 0)
    return;
  using Fn = std::remove_reference_t<F>;
  detail::runTasksImpl(
      numTasks, threads,
      [](void *ctx, int64_t t) { (*static_cast<Fn *>(ctx))(t); },
      const_cast<void *>(static_cast<const void *>(&fn)));
}

} // namespace gptq::rt::quant

#endif // GPTQ_RUNTIME_QUANT_TASKPOOL_H
