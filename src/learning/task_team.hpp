#pragma once
// A team of threads for the fused trainer's rounds of tasks. Built for the baseline instruction set:
// the trainer's kernels (one per instruction set) hand it their tasks.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace geoprosp::learning {

// Runs rounds of tasks on the caller and (threads - 1) workers, which claim task indices in turn.
// Unlike an OpenMP team it never waits for a worker that has not started: on a busy machine a
// descheduled thread would stall every round at the closing barrier (2-thread training at batch 64
// ran 7x slower than 1 thread at a load of 11 on 2 cores). The caller takes every task nobody has
// claimed and waits only for tasks already running. Idle workers spin for a moment (the next round
// usually follows within microseconds), then sleep. Tasks must not throw.
class TaskTeam {
 public:
  explicit TaskTeam(int threads);
  ~TaskTeam();
  TaskTeam(const TaskTeam&) = delete;
  TaskTeam& operator=(const TaskTeam&) = delete;

  // task(index, worker) for every index in [0, count); worker 0 is the caller. Tasks are claimed in
  // index order, so a task may wait (Backoff) for tasks with smaller indices.
  void Run(int count, const std::function<void(int, int)>& task);

  // One step of a spin wait that has spun `spins` times: a PAUSE, and a yield once the wait is long
  // (the thread waited on may have been descheduled).
  static void Backoff(int spins);

 private:
  // state_: generation (32 bits) | task count (16) | next unclaimed index (16).
  bool Claim(uint64_t generation, int* index);
  void Work(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};
  const std::function<void(int, int)>* task_ = nullptr;
  uint64_t generation_ = 0;  // under mutex_
  int sleepers_ = 0;         // under mutex_
  bool stop_ = false;        // under mutex_
};

}  // namespace geoprosp::learning
