#pragma once
// Prospective areas: the connected regions of the classes raster at or above a class, as ranked
// target polygons in any OGR vector format, with a QGIS style.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/output_set.hpp"
#include "geoprosp/io/raster_output.hpp"

namespace geoprosp {

struct AreasRequest {
  std::string classes;      // Byte raster: 0 background, 1 low, 2 moderate, 3 high, 255 nodata
  std::string probability;  // Float32 raster, 0..1, on the same grid
  // Used only without `classes`: the classes then follow from the probability (like ClassOf).
  std::vector<double> class_breaks;
  // Optional: one Float32 band per element, described by the element's name, on the same grid: each
  // element's contribution to the output (geoprosp-map --explain). The areas then name the elements
  // that drive them.
  std::string contributions;
  std::vector<DepositPoint> deposits;  // in the rasters' CRS; those outside the grid are ignored
  std::string output;                  // the OGR driver follows the extension (AreasFormats()), GPKG without one
  int min_class = 2;                   // 1 low, 2 moderate, 3 high
  std::string min_size = "4cells";     // regions smaller than this are dropped: "10cells", "0.5km2"
  bool overwrite = false;              // used only without an OutputSet
  // Optional, from the map run, one per cell of the rasters' grid: kCellExcluded cells are left out
  // of the areas (as nodata); with `applicability`, kCellOutside marks cells beyond the model's
  // applicability and each area gets its outside_share.
  std::vector<uint8_t> cell_flags;
  bool applicability = false;
};

// An element's mean contribution over an area's cells.
struct ElementContribution {
  std::string element;
  double mean = 0;
};

// At most three elements with the largest absolute mean contribution, largest first, each with its
// sign: "As+ Sb+ Au-". Elements whose mean is exactly 0 are left out.
std::vector<ElementContribution> TopElements(const std::vector<std::string>& elements,
                                             const std::vector<double>& means);
std::string TopElementsText(const std::vector<ElementContribution>& top);

struct TargetArea {
  int rank = 0;       // 1 = most prospective; also the area's id
  int max_class = 0;  // the highest class inside
  int64_t cells = 0;
  double area_km2 = 0;
  double high_share = 0;  // share of the cells in the high class
  double mean_prob = 0, max_prob = 0;
  double outside_share = 0;                       // share of the cells beyond the model's applicability
  std::vector<std::string> deposits;              // names of the deposits inside
  std::vector<ElementContribution> top_elements;  // with request.contributions (TopElements)
  double cx = 0, cy = 0;                          // centroid in the rasters' CRS
  double lon = 0, lat = 0;                        // centroid in WGS84 (NaN without a CRS)
};

struct AreasSummary {
  std::vector<TargetArea> areas;  // by rank
  double area_km2 = 0;
  double valid_share = 0;  // of the valid (non-nodata) cells
  int deposits_captured = 0, deposits_total = 0;
  bool applicability = false;  // the areas' outside_share is known
  int mostly_outside = 0;      // areas with more than half their cells outside applicability
};

// "low", "moderate", "high" or 1..3; anything else is a UsageError for --areas-min-class.
int ParseMinClass(const std::string& text);

// The option checks DelineateAreas makes first, and the staging of its outputs (the layer and its
// QGIS style, <output>.qml) in `outputs`, for callers that want them before their heavy work.
// Returns where the layer is staged.
std::string CheckAreasRequest(const AreasRequest& request, OutputSet& outputs);

// Writes the areas and their style where `outputs` staged them; the caller commits.
AreasSummary DelineateAreas(const AreasRequest& request, OutputSet& outputs, const Progress& progress);
// The same, committed at once (request.overwrite applies).
AreasSummary DelineateAreas(const AreasRequest& request, const Progress& progress);

// "N target areas, X km² (Y % of the valid area), capturing D of T known deposits".
std::string DescribeAreas(const AreasSummary& summary);

// The vector formats --areas writes, by extension: each holds the polygons, their fields and their
// CRS. A path without an extension is a GeoPackage; any other extension is a UsageError.
struct VectorFormat {
  std::string extension, driver;
  std::vector<std::string> layer_options;
};
const std::vector<VectorFormat>& AreasFormats();  // those whose driver is missing here are refused
std::vector<std::string> AreasExtensions();
const VectorFormat& AreasFormatFor(const std::string& path);

}  // namespace geoprosp
