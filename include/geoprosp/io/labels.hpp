#pragma once
// Known deposits as labelled cells of the element grid.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

struct DepositPoint {
  double x = 0, y = 0;  // in the grid's CRS
  std::string name;
};

// Where known deposits come from (--deposits, --deposits-srs, --x-field, --y-field).
struct DepositSource {
  std::string path;
  std::string srs;               // CRS of the coordinates when the file declares none
  std::string x_field, y_field;  // coordinate columns; empty: the geometries, or a recognised pair
};

// The coordinate column pairs recognised in tables without geometries, in order of preference
// (case-insensitive; "*" stands for the same text in both names of a pair).
const std::vector<std::pair<std::string, std::string>>& KnownCoordinateColumns();

// Points from any OGR vector (GPKG, SHP, GeoJSON, ...) or table (CSV, spreadsheets) with coordinate
// columns, reprojected to the grid's CRS. A file without a CRS is taken to be in the grid's CRS
// (in WGS 84 for longitude/latitude columns) unless `source.srs` says otherwise. Points outside the
// grid are dropped; none inside is an error.
std::vector<DepositPoint> ReadDeposits(const DepositSource& source, const Grid& grid);

// A label raster of any grid: the centre of each cell valued `positive_value` (after GDAL's scale and
// offset) becomes a point, reprojected to the grid's CRS (so a finer or offset label grid maps onto
// the element grid).
std::vector<DepositPoint> ReadLabelRaster(const std::string& path, const Grid& grid, double positive_value = 1.0);

// The commodity of known deposits, when it can be told: the elements `stated` names (--commodity),
// else those the file's commodity columns name (columns whose name holds "commo", e.g. COMMODITY or
// SITE_COMMO, or TARGET_COM*), else an element symbol in the file's name (au_sites.csv).
struct Commodity {
  std::vector<std::string> elements;
  std::string from;  // where it was found, for messages
};
Commodity DepositCommodity(const std::string& path, const std::string& stated);

// Warns (a GDAL warning) about each input that is the commodity itself: a model that reads the
// commodity's own concentration learns where it was measured high, not what predicts it. Returns
// the number of such inputs.
int WarnAboutCommodityInputs(const RasterStack& stack, const Commodity& commodity);

// Grid cells (row * width + col) whose centre lies within `radius` of a point, plus each point's
// own cell; sorted and unique.
std::vector<int64_t> CellsNearPoints(const std::vector<DepositPoint>& points, const Grid& grid, double radius);

// Distance from each cell centre to the nearest point (for distal negatives); inf without points.
std::vector<float> DistanceToNearest(const std::vector<DepositPoint>& points, const Grid& grid);

}  // namespace geoprosp
