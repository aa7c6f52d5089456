// A small persistent thread pool so hot kernels use every core without paying thread creation
// per call. Size = hardware threads, or SLM_THREADS. The calling thread takes part in the work;
// a call made while the pool is busy (another JS thread) runs serially instead of waiting.
// setPoolThreads lowers (or restores) how many of those threads kernels use, at run time, so a
// benchmark can compare 1 and 2 threads in one process.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace slm {

// fn(ctx, task) is called once for every task in [0, nTasks), spread over the pool's threads.
using TaskFn = void (*)(void* ctx, int64_t task);

// Number of threads kernels may use (pool workers + the caller).
int poolThreads();

// Threads the pool was started with (hardware threads, or SLM_THREADS): the most setPoolThreads allows.
int poolCapacity();

// Makes kernels use n threads from now on, n clamped to [1, poolCapacity()]; returns the previous
// count. Not to be called while a kernel runs on another JS thread.
int setPoolThreads(int n);

// Runs fn(ctx, t) for t in [0, nTasks); returns when all are done.
void parallelRun(int64_t nTasks, TaskFn fn, void* ctx);

// Convenience: splits [0, n) into at most poolThreads() * 4 chunks of at least `grain` items
// and calls f(begin, end) for each chunk, in parallel. Small n runs inline.
template <class F>
void parallelFor(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  int64_t threads = poolThreads();
  if (grain < 1) grain = 1;
  int64_t chunks = n / grain;
  if (chunks > threads * 4) chunks = threads * 4;
  if (chunks <= 1 || threads <= 1) {
    f(int64_t(0), n);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  struct Ctx {
    Fn* f;
    int64_t n, chunks;
  } ctx{&f, n, chunks};
  parallelRun(chunks, [](void* c, int64_t t) {
    auto* x = static_cast<Ctx*>(c);
    int64_t b = x->n * t / x->chunks, e = x->n * (t + 1) / x->chunks;
    (*x->f)(b, e);
  }, &ctx);
}

// Runs f(task) for every task in [0, nTasks) in parallel (tasks may be uneven in cost).
template <class F>
void parallelTasks(int64_t nTasks, F&& f) {
  if (nTasks <= 0) return;
  if (nTasks == 1 || poolThreads() <= 1) {
    for (int64_t t = 0; t < nTasks; t++) f(t);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  parallelRun(nTasks, [](void* c, int64_t t) { (*static_cast<Fn*>(c))(t); }, &f);
}

}  // namespace slm
