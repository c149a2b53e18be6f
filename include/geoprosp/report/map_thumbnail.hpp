#pragma once
// The final map as a thumbnail for the report: a PNG made through GDAL, base64, with the deposits.
#include <cstdint>
#include <vector>

#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/report/svg_plot.hpp"

namespace geoprosp {

// A probability map as a PNG (invalid cells transparent, Ramp colours), base64, with the deposit
// points in its pixel coordinates. Grids longer than `max_side` cells are subsampled.
svg::MapThumbnail ProbabilityThumbnail(const std::vector<float>& probability_per_cell,
                                       const std::vector<uint8_t>& valid, const Grid& grid,
                                       const std::vector<DepositPoint>& deposits, int max_side = 800);

}  // namespace geoprosp
