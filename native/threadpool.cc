// Persistent worker threads for parallelRun. A job lives in a shared_ptr: the caller and any
// worker that picked it up hand out task indices from one atomic counter, and the caller waits
// only for tasks to finish, never for every worker to show up. That matters on a busy machine:
// a worker the OS has descheduled simply takes no tasks, instead of stalling the call for a time
// slice. Idle workers spin for a short while (the next kernel call usually follows within
// microseconds), then sleep on a condition variable.
#include "threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace slm {
namespace {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

struct Job {
  TaskFn fn;
  void* ctx;
  int64_t nTasks;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  Job(TaskFn f, void* c, int64_t n) : fn(f), ctx(c), nTasks(n) {}

  // Runs tasks until none are left. Indices past nTasks are never run, so a worker that
  // arrives after the caller returned touches only this (still owned) Job.
  void drain() {
    int64_t finished = 0;
    for (;;) {
      const int64_t t = next.fetch_add(1, std::memory_order_relaxed);
      if (t >= nTasks) break;
      fn(ctx, t);
      finished++;
    }
    if (finished) done.fetch_add(finished, std::memory_order_acq_rel);
  }
};

class Pool {
 public:
  Pool() {
    int n = int(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("SLM_THREADS")) {
      const int v = std::atoi(env);
      if (v > 0) n = v;
    }
    threads_ = std::max(1, std::min(n, 256));
    active_.store(threads_);
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this, i] { workerLoop(i); });
    for (auto& w : workers_) w.detach();  // the pool lives for the whole process
  }

  int capacity() const { return threads_; }
  int threads() const { return active_.load(std::memory_order_relaxed); }
  int setThreads(int n) { return active_.exchange(std::max(1, std::min(n, threads_))); }

  void run(int64_t nTasks, TaskFn fn, void* ctx) {
    // One job at a time; a concurrent caller (another JS thread) runs its tasks inline.
    std::unique_lock<std::mutex> busy(runMu_, std::try_to_lock);
    if (!busy.owns_lock() || workers_.empty() || threads() <= 1) {
      for (int64_t t = 0; t < nTasks; t++) fn(ctx, t);
      return;
    }
    auto job = std::make_shared<Job>(fn, ctx, nTasks);
    bool wake;
    {
      std::lock_guard<std::mutex> lk(mu_);
      current_ = job;
      generation_.fetch_add(1, std::memory_order_release);
      wake = sleeping_ > 0;
    }
    if (wake) cv_.notify_all();
    job->drain();
    // Tasks other threads claimed may still be running; wait for those only.
    for (int spins = 0; job->done.load(std::memory_order_acquire) < nTasks; spins++) {
      if (spins < 4096) cpuRelax();
      else std::this_thread::yield();
    }
    std::lock_guard<std::mutex> lk(mu_);
    if (current_ == job) current_.reset();
  }

 private:
  // Worker `index` (1-based: the caller is thread 0) takes tasks only while index < threads().
  void workerLoop(int index) {
    uint64_t seen = 0;
    for (;;) {
      // Spin for about 100 microseconds before sleeping; a worker setPoolThreads has left out
      // goes straight to sleep, so it does not take a core from the threads at work.
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; index < threads() && generation_.load(std::memory_order_acquire) == seen; i++) {
        cpuRelax();
        if ((i & 255) == 255 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(100)) break;
      }
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        if (generation_.load() == seen) {
          sleeping_++;
          cv_.wait(lk, [&] { return generation_.load() != seen; });
          sleeping_--;
        }
        seen = generation_.load();
        job = current_;
      }
      if (job && index < threads()) job->drain();
    }
  }

  int threads_ = 1;
  std::atomic<int> active_{1};
  std::vector<std::thread> workers_;
  std::mutex mu_, runMu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::shared_ptr<Job> current_;
  int sleeping_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers outlive static destructors
  return *p;
}

}  // namespace

int poolThreads() { return pool().threads(); }
int poolCapacity() { return pool().capacity(); }
int setPoolThreads(int n) { return pool().setThreads(n); }

void parallelRun(int64_t nTasks, TaskFn fn, void* ctx) {
  if (nTasks <= 0) return;
  if (nTasks == 1) {
    fn(ctx, 0);
    return;
  }
  pool().run(nTasks, fn, ctx);
}

}  // namespace slm
