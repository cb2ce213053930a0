//===- TaskPool.cpp - threads of the quantization code --------------------===//

#include "runtime/quant/TaskPool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GPTQ_CPU_RELAX() _mm_pause()
#else
#define GPTQ_CPU_RELAX() ((void)0)
#endif

namespace gptq::rt::quant {
namespace {

/// True on pool workers and on a caller while it runs tasks.
thread_local bool tlsInPool = false;

int hardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : int(n);
}

class Pool {
public:
  ~Pool() {
    std::lock_guard<std::mutex> c(callMutex_);
    stopWorkers();
  }

  int threads() const { return wanted_.load(std::memory_order_relaxed); }

  void setThreads(int n) {
    if (n <= 0)
      n = hardwareThreads();
    std::lock_guard<std::mutex> c(callMutex_);
    if (n == wanted_.load())
      return;
    wanted_.store(n);
    stopWorkers();
  }

  void run(int64_t numTasks, int threads, detail::TaskFn fn, void *ctx) {
    threads = std::min<int64_t>({int64_t(threads), int64_t(this->threads()),
                                 numTasks});
    if (threads <= 1 || tlsInPool || !callMutex_.try_lock()) {
      for (int64_t t = 0; t < numTasks; ++t)
        fn(ctx, t);
      return;
    }
    std::unique_lock<std::mutex> call(callMutex_, std::adopt_lock);
    startWorkers(this->threads() - 1);
    fn_ = fn;
    ctx_ = ctx;
    numTasks_ = numTasks;
    participants_ = threads - 1;
    next_.store(0, std::memory_order_relaxed);
    busy_.store(int(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    tlsInPool = true;
    work();
    tlsInPool = false;
    // Workers finish within a task's time: spin briefly, then sleep.
    for (int i = 0; i < 4000 && busy_.load(std::memory_order_acquire) != 0; ++i)
      GPTQ_CPU_RELAX();
    if (busy_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return busy_.load() == 0; });
    }
  }

private:
  void work() {
    for (;;) {
      int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= numTasks_)
        return;
      fn_(ctx_, t);
    }
  }

  void startWorkers(int n) {
    if (int(workers_.size()) == n)
      return;
    stopWorkers();
    stop_ = false;
    // Workers start from the generation current now, before the caller
    // publishes its job: a worker thread that only gets scheduled after
    // that must still see the job as new.
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i)
      workers_.emplace_back([this, i, gen] { workerLoop(i, gen); });
  }

  void stopWorkers() {
    if (workers_.empty())
      return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
    workers_.clear();
    stop_ = false;
  }

  void workerLoop(int index, uint64_t seen) {
    tlsInPool = true;
    for (;;) {
      // Back-to-back calls (one per block of the solver, one per kernel
      // call) find the worker awake; idle workers sleep.
      bool woke = false;
      for (int i = 0; i < 20000; ++i) {
        if (generation_.load(std::memory_order_acquire) != seen) {
          woke = true;
          break;
        }
        GPTQ_CPU_RELAX();
      }
      if (!woke) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return stop_ || generation_.load(std::memory_order_acquire) != seen;
        });
        if (stop_)
          return;
      }
      seen = generation_.load(std::memory_order_acquire);
      if (index < participants_)
        work();
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  std::atomic<int> wanted_{hardwareThreads()};
  std::mutex callMutex_; // held by the caller of a parallel run
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> busy_{0};
  std::atomic<int64_t> next_{0};
  detail::TaskFn fn_ = nullptr;
  void *ctx_ = nullptr;
  int64_t numTasks_ = 0;
  int participants_ = 0;
};

Pool &pool() {
  static Pool *p = new Pool(); // never destroyed: workers may outlive statics
  return *p;
}

} // namespace

int quantThreads() { return pool().threads(); }
void setQuantThreads(int n) { pool().setThreads(n); }

namespace detail {
void runTasksImpl(int64_t numTasks, int threads, TaskFn fn, void *ctx) {
  pool().run(numTasks, threads, fn, ctx);
}
} // namespace detail

} // namespace gptq::rt::quant
