#include "geoprosp/pipeline/strip_pipeline.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace geoprosp {
namespace {

class Pipeline {
 public:
  Pipeline(int strips, const PipelineSettings& settings, const StripStages& stages)
      : strips_(strips), stages_(stages), slot_of_(strips, -1), read_done_(strips, 0) {
    for (int slot = std::max(1, settings.slots) - 1; slot >= 0; --slot) free_slots_.push_back(slot);
  }

  void Run(int readers) {
    std::vector<std::thread> threads;
    try {
      for (int r = 0; r < readers; ++r) threads.emplace_back([this, r] { ReadLoop(r); });
      threads.emplace_back([this] { WriteLoop(); });
    } catch (...) {  // a thread could not be started
      Fail(std::current_exception());
    }
    ComputeLoop();
    for (auto& thread : threads) thread.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void Fail(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = error;
      stop_ = true;
    }
    changed_.notify_all();
  }

  void ReadLoop(int reader) {
    for (;;) {
      int strip, slot;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || next_to_read_ >= strips_ || !free_slots_.empty(); });
        if (stop_ || next_to_read_ >= strips_) return;
        strip = next_to_read_++;
        slot = free_slots_.back();
        free_slots_.pop_back();
        slot_of_[strip] = slot;
      }
      try {
        stages_.read(reader, strip, slot);
      } catch (...) {
        Fail(std::current_exception());
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        read_done_[strip] = 1;
      }
      changed_.notify_all();
    }
  }

  void ComputeLoop() {
    for (int strip = 0; strip < strips_; ++strip) {
      int slot;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || read_done_[strip]; });
        if (stop_) return;
        slot = slot_of_[strip];
      }
      try {
        stages_.compute(strip, slot);
      } catch (...) {
        Fail(std::current_exception());
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        computed_ = strip + 1;
      }
      changed_.notify_all();
    }
  }

  void WriteLoop() {
    for (int strip = 0; strip < strips_; ++strip) {
      int slot;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || computed_ > strip; });
        if (stop_) return;
        slot = slot_of_[strip];
      }
      try {
        stages_.write(strip, slot);
      } catch (...) {
        Fail(std::current_exception());
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        free_slots_.push_back(slot);
      }
      changed_.notify_all();
    }
  }

  const int strips_;
  const StripStages& stages_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> free_slots_;
  std::vector<int> slot_of_;
  std::vector<char> read_done_;
  int next_to_read_ = 0;
  int computed_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace

void RunStripPipeline(int strips, const PipelineSettings& settings, const StripStages& stages) {
  if (strips <= 0) return;
  Pipeline(strips, settings, stages).Run(std::clamp(settings.readers, 1, strips));
}

}  // namespace geoprosp
