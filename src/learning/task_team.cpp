#include "task_team.hpp"

#include <chrono>

#include "geoprosp/core/error.hpp"

namespace geoprosp::learning {
namespace {

// A hint to the CPU that this thread spins (x86 PAUSE), so that the spin costs less.
inline void Pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

void TaskTeam::Backoff(int spins) {
  Pause();
  if (spins > 20000) std::this_thread::yield();
}

TaskTeam::TaskTeam(int threads) {
  for (int worker = 1; worker < threads; ++worker) workers_.emplace_back([this, worker] { Work(worker); });
}

TaskTeam::~TaskTeam() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void TaskTeam::Run(int count, const std::function<void(int, int)>& task) {
  if (count <= 0) return;
  if (count > 0xffff) throw Error("training", "too many tasks in one round");
  task_ = &task;
  done_.store(0, std::memory_order_relaxed);
  bool sleeping = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    state_.store(generation_ << 32 | uint64_t(count) << 16, std::memory_order_release);
    sleeping = sleepers_ > 0;
  }
  if (sleeping) wake_.notify_all();
  int index = 0;
  while (Claim(generation_, &index)) {
    task(index, 0);
    done_.fetch_add(1, std::memory_order_release);
  }
  // The tasks still running are a chunk of work each (up to ~0.1 ms): wait for them on the CPU. A
  // yield here would hand the core to any other runnable process (even a niced one) for a whole time
  // slice, while the worker finishes; yield only after a long wait (the worker was descheduled).
  const auto start = std::chrono::steady_clock::now();
  for (int spins = 0; done_.load(std::memory_order_acquire) < count; ++spins) {
    Pause();
    if (spins % 256 == 255 && std::chrono::steady_clock::now() - start > std::chrono::milliseconds(2))
      std::this_thread::yield();
  }
}

bool TaskTeam::Claim(uint64_t generation, int* index) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s >> 32 != generation || (s & 0xffff) >= ((s >> 16) & 0xffff)) return false;
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      *index = static_cast<int>(s & 0xffff);
      return true;
    }
  }
}

void TaskTeam::Work(int worker) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t generation = state_.load(std::memory_order_acquire) >> 32;
    const auto start = std::chrono::steady_clock::now();
    for (int spins = 0; generation == seen; ++spins) {
      Pause();
      if (spins % 64 == 63 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(200)) break;
      generation = state_.load(std::memory_order_acquire) >> 32;
    }
    if (generation == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleepers_;
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      --sleepers_;
      if (stop_) return;
      generation = generation_;
    }
    seen = generation;
    int index = 0;
    while (Claim(generation, &index)) {  // a claimed task keeps the caller waiting, so task_ is this round's
      (*task_)(index, worker);
      done_.fetch_add(1, std::memory_order_release);
    }
  }
}

}  // namespace geoprosp::learning
