#pragma once
// Scored strips into rasters: the probability, the classified prospective areas, the ensemble's
// spread, the applicability distance and mask and the elements' contributions, each a RasterOutput
// (staged by the run's OutputSet until committed).
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "geoprosp/io/polygon_mask.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/pipeline/score_region.hpp"

namespace geoprosp {

// Class of a probability given ascending low/moderate/high thresholds: how many it reaches.
uint8_t ClassOf(float probability, const std::vector<double>& breaks);

// The rasters a map run writes; all but the probability may be null.
struct StripRasters {
  RasterOutput* probability = nullptr;
  RasterOutput* classes = nullptr;
  RasterOutput* spread = nullptr;
  RasterOutput* distance = nullptr;       // applicability distance (needs strips with distances)
  RasterOutput* outside = nullptr;        // 1 where the distance is beyond the threshold, 0 within
  RasterOutput* contributions = nullptr;  // one band per element (needs strips with contributions)
};

// Cells the classes leave out (nodata in the classes raster, flagged kCellExcluded): those whose
// centre lies outside `mask`'s polygons, and with `exclude_outside` those beyond `threshold`.
struct ClassRestriction {
  const PolygonMask* mask = nullptr;
  int x0 = 0, y0 = 0;    // the region's first column and row in the mask's grid
  double threshold = 0;  // the applicability threshold; used when the strips carry distances
  bool exclude_outside = false;
};

class RasterStripSink : public StripSink {
 public:
  // `cell_flags`, when given, receives kCellExcluded and kCellOutside for every cell of the region
  // (`width` x rows), for the products made after the rasters (target areas, quick look).
  RasterStripSink(StripRasters rasters, std::vector<double> breaks, ClassRestriction restriction = {},
                  std::vector<uint8_t>* cell_flags = nullptr);
  void Write(const ScoredStrip& strip) override;
  // Valid cells per class (0 background .. 3 high) that no restriction excluded.
  const std::array<int64_t, 4>& class_cells() const { return class_cells_; }
  int64_t excluded_cells() const { return excluded_cells_; }  // valid cells left out of the classes
  int64_t outside_cells() const { return outside_cells_; }    // valid cells beyond the threshold

 private:
  StripRasters rasters_;
  std::vector<double> breaks_;
  ClassRestriction restriction_;
  std::vector<uint8_t>* cell_flags_;
  std::vector<uint8_t> class_buffer_, outside_buffer_, inside_buffer_;
  std::array<int64_t, 4> class_cells_{};
  int64_t excluded_cells_ = 0, outside_cells_ = 0;
};

}  // namespace geoprosp
