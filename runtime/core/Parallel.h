//===- Parallel.h - a small reusable thread pool ----------------*- C++ -*-===//
//
// parallelFor splits [0, n) into chunks run by a process-wide pool of worker
// threads plus the calling thread. Work below `grain` items per chunk stays
// on the calling thread, so small tensors never pay for waking workers. Calls
// from inside a parallel region (or while another thread holds the pool) run
// inline: the pool never deadlocks and never oversubscribes.
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_RUNTIME_CORE_PARALLEL_H
#define GPTQ_RUNTIME_CORE_PARALLEL_H

#include <cstdint>
#include <type_traits>
#include <utility>

namespace gptq::rt {

/// Threads parallelFor may use (workers + caller); at least 1.
int parallelThreads();
/// Sets the number of threads (n <= 0: hardware concurrency).
void setParallelThreads(int n);

/// OpenBLAS's thread count as first seen by the runtime (OPENBLAS_NUM_THREADS
/// or the number of cores, unless a program set it before): what the GPTQ
/// solver gives BLAS and LAPACK, so that its results do not depend on the
/// solver's own thread setting.
int defaultBlasThreads();

/// Sets OpenBLAS's thread count for the guard's lifetime and restores it.
/// The executor runs BLAS single-threaded inside its own parallel loops (two
/// pools spinning on two cores starve each other); the GPTQ solver gives
/// BLAS and LAPACK all its threads.
class ScopedBlasThreads {
public:
  explicit ScopedBlasThreads(int threads);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads &) = delete;
  ScopedBlasThreads &operator=(const ScopedBlasThreads &) = delete;

private:
  int saved_;
};

namespace detail {
using RangeFn = void (*)(void *ctx, int64_t begin, int64_t end);
void parallelForImpl(int64_t n, int64_t grain, RangeFn fn, void *ctx);
} // namespace detail

/// Calls fn(begin, end) over disjoint chunks covering [0, n), each of at
/// least `grain` items (except possibly the last). fn must not fail.
template <typename F> void parallelFor(int64_t n, int64_t grain, F &&fn) {
  if (n <= 0)
    return;
  using Fn = std::remove_reference_t<F>;
  detail::parallelForImpl(
      n, grain,
      [](void *ctx, int64_t b, int64_t e) { (*static_cast<Fn *>(ctx))(b, e); },
      const_cast<void *>(static_cast<const void *>(&fn)));
}

} // namespace gptq::rt

#endif // GPTQ_RUNTIME_CORE_PARALLEL_H
