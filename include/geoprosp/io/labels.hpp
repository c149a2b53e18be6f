#pragma once
// Known deposits as labelled cells of the element grid.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

struct DepositPoint {
  double x = 0, y = 0;  // in the grid's CRS
  std::string name;
};

// Points from any OGR vector (GPKG, SHP, GeoJSON; CSV with X/Y-like columns), reprojected to the
// grid's CRS. A file without a CRS is taken to be in the grid's CRS unless `srs_override` says
// otherwise. Points outside the grid are dropped; none inside is an error.
std::vector<DepositPoint> ReadDeposits(const std::string& path, const Grid& grid, const std::string& srs_override);

// A label raster of any grid: the centre of each cell valued `positive_value` becomes a point,
// reprojected to the grid's CRS (so a finer or offset label grid maps onto the element grid).
std::vector<DepositPoint> ReadLabelRaster(const std::string& path, const Grid& grid, double positive_value = 1.0);

// Grid cells (row * width + col) whose centre lies within `radius` of a point, plus each point's
// own cell; sorted and unique.
std::vector<int64_t> CellsNearPoints(const std::vector<DepositPoint>& points, const Grid& grid, double radius);

// Distance from each cell centre to the nearest point (for distal negatives); inf without points.
std::vector<float> DistanceToNearest(const std::vector<DepositPoint>& points, const Grid& grid);

}  // namespace geoprosp
