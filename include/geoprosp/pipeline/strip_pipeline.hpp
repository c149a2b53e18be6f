#pragma once
// A bounded, ordered strip pipeline: reader threads fill strips, the calling thread computes them in
// order, one writer thread drains them in order. Plain C++ (no GDAL): the stages are callbacks, and
// each strip lives in one of a fixed number of slots (buffers the caller owns), so memory is bounded
// by the slot count whatever the raster's size.
#include <functional>

namespace geoprosp {

struct PipelineSettings {
  int readers = 1;  // reader threads; each needs its own data source (a GDAL dataset serves one thread)
  int slots = 3;    // strips in flight at most (being read, computed or written)
};

struct StripStages {
  // On a reader thread: fill slot `slot` with strip `strip`. `reader` is 0..readers-1.
  std::function<void(int reader, int strip, int slot)> read;
  // On the calling thread, strips in order. Throwing (Cancelled included) stops the pipeline.
  std::function<void(int strip, int slot)> compute;
  // On the writer thread, strips in order, after their compute.
  std::function<void(int strip, int slot)> write;
};

// Runs `strips` strips through the stages. Strips are given slots in order, so the pipeline never
// deadlocks, and a slot is reused only after its strip is written. The first exception of any
// stage stops every thread (no later strip is read, computed or written) and is rethrown here
// once all threads have finished.
void RunStripPipeline(int strips, const PipelineSettings& settings, const StripStages& stages);

}  // namespace geoprosp
