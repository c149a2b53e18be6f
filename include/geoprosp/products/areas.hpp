#pragma once
// Prospective areas: the connected regions of the classes raster at or above a class, as ranked
// target polygons in any OGR vector format, with a QGIS style.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/raster_output.hpp"

namespace geoprosp {

struct AreasRequest {
  std::string classes;      // Byte raster: 0 background, 1 low, 2 moderate, 3 high, 255 nodata
  std::string probability;  // Float32 raster, 0..1, on the same grid
  // Used only without `classes`: the classes then follow from the probability (like ClassOf).
  std::vector<double> class_breaks;
  std::vector<DepositPoint> deposits;  // in the rasters' CRS; those outside the grid are ignored
  std::string output;                  // the OGR driver follows the extension, GPKG when unknown
  int min_class = 2;                   // 1 low, 2 moderate, 3 high
  std::string min_size = "4cells";     // regions smaller than this are dropped: "10cells", "0.5km2"
  bool overwrite = false;
};

struct TargetArea {
  int rank = 0;       // 1 = most prospective; also the area's id
  int max_class = 0;  // the highest class inside
  int64_t cells = 0;
  double area_km2 = 0;
  double high_share = 0;  // share of the cells in the high class
  double mean_prob = 0, max_prob = 0;
  std::vector<std::string> deposits;  // names of the deposits inside
  double cx = 0, cy = 0;              // centroid in the rasters' CRS
  double lon = 0, lat = 0;            // centroid in WGS84 (NaN without a CRS)
};

struct AreasSummary {
  std::vector<TargetArea> areas;  // by rank
  double area_km2 = 0;
  double valid_share = 0;  // of the valid (non-nodata) cells
  int deposits_captured = 0, deposits_total = 0;
};

// "low", "moderate", "high" or 1..3; anything else is a UsageError for --areas-min-class.
int ParseMinClass(const std::string& text);

// The option checks and output checks DelineateAreas makes first, for callers that want them
// before their own heavy work.
void CheckAreasRequest(const AreasRequest& request, const std::vector<std::string>& inputs);

AreasSummary DelineateAreas(const AreasRequest& request, const Progress& progress);

// "N target areas, X km² (Y % of the valid area), capturing D of T known deposits".
std::string DescribeAreas(const AreasSummary& summary);

// The OGR driver for a vector output path: by extension, GPKG when unknown.
std::string VectorDriverFor(const std::string& path);

}  // namespace geoprosp
