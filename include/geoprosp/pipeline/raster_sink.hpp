#pragma once
// Scored strips into rasters: the probability, the classified prospective areas, the ensemble's
// spread and the elements' contributions, each a RasterOutput (staged by the run's OutputSet until
// committed).
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/pipeline/score_region.hpp"

namespace geoprosp {

// Class of a probability given ascending low/moderate/high thresholds: how many it reaches.
uint8_t ClassOf(float probability, const std::vector<double>& breaks);

class RasterStripSink : public StripSink {
 public:
  // `classes`, `spread` and `contributions` (one band per element) may be null.
  RasterStripSink(RasterOutput& probability, RasterOutput* classes, RasterOutput* spread, RasterOutput* contributions,
                  std::vector<double> breaks);
  void Write(const ScoredStrip& strip) override;
  // Valid cells per class (0 background .. 3 high), over the strips written.
  const std::array<int64_t, 4>& class_cells() const { return class_cells_; }

 private:
  RasterOutput& probability_;
  RasterOutput* classes_;
  RasterOutput* spread_;
  RasterOutput* contributions_;
  std::vector<double> breaks_;
  std::vector<uint8_t> class_buffer_;
  std::array<int64_t, 4> class_cells_{};
};

}  // namespace geoprosp
