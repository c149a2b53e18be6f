// The strip pipeline: order, bounded memory, cancellation and errors in every stage; and the one
// scoring path (ScoreRegion) against scoring all cells at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "geoprosp/core/error.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/pipeline/strip_pipeline.hpp"

namespace geoprosp {
namespace {

// Records what each stage saw, and checks that no slot holds two strips at once.
struct Recorder {
  std::mutex mutex;
  std::vector<int> computed, written;
  std::vector<int> strip_in_slot;
  int in_flight = 0, most_in_flight = 0;
  bool slot_reused_early = false;

  explicit Recorder(int slots) : strip_in_slot(slots, -1) {}

  void Read(int strip, int slot) {
    std::lock_guard<std::mutex> lock(mutex);
    if (strip_in_slot[slot] != -1) slot_reused_early = true;
    strip_in_slot[slot] = strip;
    most_in_flight = std::max(most_in_flight, ++in_flight);
  }
  void Written(int strip, int slot) {
    std::lock_guard<std::mutex> lock(mutex);
    written.push_back(strip);
    if (strip_in_slot[slot] != strip) slot_reused_early = true;
    strip_in_slot[slot] = -1;
    --in_flight;
  }
};

// Readers that take uneven, strip-dependent times, so that strips finish reading out of order.
void UnevenDelay(int strip) { std::this_thread::sleep_for(std::chrono::microseconds(200 * ((strip * 7) % 5))); }

TEST(StripPipeline, ComputesAndWritesInOrderWithBoundedSlots) {
  for (int readers : {1, 2, 4}) {
    for (int slots : {1, 2, 3, 6}) {
      const int strips = 23;
      Recorder record(slots);
      std::vector<int> data(slots, -1);
      StripStages stages;
      stages.read = [&](int, int strip, int slot) {
        UnevenDelay(strip);
        record.Read(strip, slot);
        data[slot] = strip * 10;
      };
      stages.compute = [&](int strip, int slot) {
        EXPECT_EQ(data[slot], strip * 10) << "the slot holds another strip's data";
        data[slot] += 1;
        record.computed.push_back(strip);
      };
      stages.write = [&](int strip, int slot) {
        EXPECT_EQ(data[slot], strip * 10 + 1) << "written before its compute";
        record.Written(strip, slot);
      };
      RunStripPipeline(strips, {readers, slots}, stages);
      std::vector<int> in_order(strips);
      for (int s = 0; s < strips; ++s) in_order[s] = s;
      EXPECT_EQ(record.computed, in_order) << readers << " readers, " << slots << " slots";
      EXPECT_EQ(record.written, in_order) << readers << " readers, " << slots << " slots";
      EXPECT_LE(record.most_in_flight, slots);
      EXPECT_FALSE(record.slot_reused_early);
    }
  }
}

TEST(StripPipeline, ComputeErrorStopsEverythingAndIsRethrown) {
  std::atomic<int> reads{0}, writes{0};
  StripStages stages;
  stages.read = [&](int, int, int) { ++reads; };
  stages.compute = [&](int strip, int) {
    if (strip == 5) throw Cancelled();
  };
  stages.write = [&](int strip, int) {
    EXPECT_LT(strip, 5);
    ++writes;
  };
  EXPECT_THROW(RunStripPipeline(100, {2, 4}, stages), Cancelled);
  EXPECT_LE(writes.load(), 5);
  EXPECT_LE(reads.load(), 5 + 4);  // strips read ahead are bounded by the slots
}

TEST(StripPipeline, ReaderErrorIsRethrownWithItsMessage) {
  for (int readers : {1, 3}) {
    std::atomic<int> computes{0};
    StripStages stages;
    stages.read = [&](int, int strip, int) {
      if (strip == 7) throw Error("Cu.tif", "read failed: disk on fire");
    };
    stages.compute = [&](int strip, int) {
      EXPECT_LT(strip, 7);
      ++computes;
    };
    stages.write = [&](int, int) {};
    try {
      RunStripPipeline(40, {readers, 3}, stages);
      FAIL() << "no exception";
    } catch (const Error& e) {
      EXPECT_EQ(e.subject(), "Cu.tif");
      EXPECT_NE(std::string(e.what()).find("disk on fire"), std::string::npos);
    }
    EXPECT_LE(computes.load(), 7);
  }
}

TEST(StripPipeline, WriterErrorStopsReadingAndComputing) {
  std::atomic<int> reads{0}, computes{0};
  StripStages stages;
  stages.read = [&](int, int, int) { ++reads; };
  stages.compute = [&](int, int) { ++computes; };
  stages.write = [&](int strip, int) {
    if (strip == 2) throw std::runtime_error("no space left on device");
  };
  EXPECT_THROW(RunStripPipeline(1000, {2, 3}, stages), std::runtime_error);
  EXPECT_LE(reads.load(), 2 + 3);
  EXPECT_LE(computes.load(), 2 + 3);
}

TEST(StripPipeline, NothingToDo) {
  StripStages stages;
  stages.read = [](int, int, int) { FAIL(); };
  stages.compute = [](int, int) { FAIL(); };
  stages.write = [](int, int) { FAIL(); };
  RunStripPipeline(0, {4, 2}, stages);
}

}  // namespace
}  // namespace geoprosp
