//===- Parallel.cpp - a small reusable thread pool --------------*- C++ -*-===//

#include "runtime/core/Parallel.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace gptq::rt {
namespace {

/// True on pool workers, and on a caller while it runs a parallel region.
thread_local bool tlsInParallel = false;

class Pool {
public:
  ~Pool() { stopWorkers(); }

  int threads() {
    std::lock_guard<std::mutex> g(configMutex_);
    return wanted_;
  }

  void setThreads(int n) {
    if (n <= 0)
      n = defaultThreads();
    std::lock_guard<std::mutex> c(callMutex_);
    std::lock_guard<std::mutex> g(configMutex_);
    if (n == wanted_)
      return;
    wanted_ = n;
    stopWorkers();
  }

  void run(int64_t n, int64_t grain, detail::RangeFn fn, void *ctx) {
    int threads = this->threads();
    grain = std::max<int64_t>(grain, 1);
    if (threads <= 1 || n < 2 * grain || tlsInParallel ||
        !callMutex_.try_lock()) {
      fn(ctx, 0, n);
      return;
    }
    std::unique_lock<std::mutex> call(callMutex_, std::adopt_lock);
    startWorkers(threads);
    // A few chunks per thread balance uneven chunks without tiny pieces.
    int64_t chunks = std::min<int64_t>(n / grain, (int64_t)threads * 4);
    int64_t chunkSize = (n + chunks - 1) / chunks;
    chunks = (n + chunkSize - 1) / chunkSize;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return active_ == 0; });
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      chunkSize_ = chunkSize;
      numChunks_ = chunks;
      next_.store(0, std::memory_order_relaxed);
      remaining_ = chunks;
      ++generation_;
    }
    wake_.notify_all();
    tlsInParallel = true;
    int64_t mine = work(fn, ctx, n, chunkSize, chunks);
    tlsInParallel = false;
    std::unique_lock<std::mutex> lock(mutex_);
    remaining_ -= mine;
    done_.wait(lock, [&] { return remaining_ == 0 && active_ == 0; });
  }

private:
  static int defaultThreads() {
    unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : (int)hc;
  }

  /// Runs chunks until none is left; returns how many this thread ran.
  int64_t work(detail::RangeFn fn, void *ctx, int64_t n, int64_t chunkSize,
               int64_t chunks) {
    int64_t ran = 0;
    for (;;) {
      int64_t c = next_.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks)
        return ran;
      int64_t b = c * chunkSize;
      fn(ctx, b, std::min(n, b + chunkSize));
      ++ran;
    }
  }

  void workerLoop() {
    tlsInParallel = true;
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen = generation_;
    }
    for (;;) {
      detail::RangeFn fn;
      void *ctx;
      int64_t n, chunkSize, chunks;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_)
          return;
        seen = generation_;
        if (remaining_ == 0)
          continue; // woke up after the job was already done
        ++active_;
        fn = fn_;
        ctx = ctx_;
        n = n_;
        chunkSize = chunkSize_;
        chunks = numChunks_;
      }
      int64_t ran = work(fn, ctx, n, chunkSize, chunks);
      std::lock_guard<std::mutex> lock(mutex_);
      remaining_ -= ran;
      --active_;
      if (active_ == 0)
        done_.notify_all();
    }
  }

  void startWorkers(int threads) {
    if ((int)workers_.size() == threads - 1)
      return;
    stopWorkers();
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = false;
    for (int i = 0; i + 1 < threads; ++i)
      workers_.emplace_back([this] { workerLoop(); });
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
    workers_.clear();
  }

  std::mutex callMutex_;   // one parallel region at a time
  std::mutex configMutex_; // guards wanted_
  int wanted_ = defaultThreads();

  std::mutex mutex_; // guards everything below
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  detail::RangeFn fn_ = nullptr;
  void *ctx_ = nullptr;
  int64_t n_ = 0, chunkSize_ = 1, numChunks_ = 0;
  int64_t remaining_ = 0;
  int active_ = 0;
  std::atomic<int64_t> next_{0};
};

Pool &pool() {
  static Pool *p = new Pool(); // never destroyed: workers may outlive statics
  return *p;
}

} // namespace

int parallelThreads() { return pool().threads(); }

int defaultBlasThreads() {
  static const int initial = openblas_get_num_threads();
  return initial;
}

ScopedBlasThreads::ScopedBlasThreads(int threads)
    : saved_((defaultBlasThreads(), openblas_get_num_threads())) {
  if (threads > 0 && threads != saved_)
    openblas_set_num_threads(threads);
}

ScopedBlasThreads::~ScopedBlasThreads() {
  if (openblas_get_num_threads() != saved_)
    openblas_set_num_threads(saved_);
}

void setParallelThreads(int n) { pool().setThreads(n); }

void detail::parallelForImpl(int64_t n, int64_t grain, RangeFn fn, void *ctx) {
  pool().run(n, grain, fn, ctx);
}

} // namespace gptq::rt
