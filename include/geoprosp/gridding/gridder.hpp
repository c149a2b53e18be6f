#pragma once
// Points to cells with GDAL's gridding API (GDALGridContextCreate/Process), as gdal_grid does it:
// the same algorithm string, node positions and strips give the same bytes.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gdal_alg.h>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

// The algorithm by its parts; AlgorithmText() writes it in gdal_grid's -a syntax.
struct GridMethod {
  std::string method = "invdistnn";  // invdist | invdistnn | nearest | average | linear
  double power = 2;                  // invdist, invdistnn
  double smoothing = 0;              // invdist, invdistnn
  int max_points = 12;               // invdist, invdistnn (0: all within the radius)
  int min_points = 0;                // invdist, invdistnn, average
};
const std::vector<std::string>& GridMethodNames();

// gdal_grid's -a string for `method` with search radius `radius` (> 0; for linear, the nearest-point
// fallback outside the triangles) and nodata -9999, e.g. "invdistnn:power=2:smoothing=0:radius=150:...".
std::string AlgorithmText(const GridMethod& method, double radius);

// An algorithm string parsed by GDAL (the parser gdal_grid uses). Only interpolations are accepted
// (invdist, invdistnn, nearest, average, linear), not data metrics; nodata is always -9999.
class GridAlgorithm {
 public:
  explicit GridAlgorithm(const std::string& text);  // throws UsageError naming --algorithm
  ~GridAlgorithm();
  GridAlgorithm(const GridAlgorithm&) = delete;
  GridAlgorithm& operator=(const GridAlgorithm&) = delete;

  GDALGridAlgorithm id() const { return id_; }
  const void* options() const { return options_; }
  const std::string& text() const { return text_; }  // as given, with ":nodata=-9999" added when absent
  std::string name() const;                          // "invdistnn"
  // The radius of the circle outside which no point counts, or infinity when points at any distance
  // may (no radius, an ellipse, or linear inside its triangles).
  double SearchRadius() const;

 private:
  std::string text_;
  GDALGridAlgorithm id_ = GGA_InverseDistanceToAPower;
  void* options_ = nullptr;
};

// One element's points in the grid's CRS. Values follow SampleElement's convention (<= 0 below detection).
struct ElementPoints {
  std::vector<double> x, y, value;
  double unknown_limit = 0;  // what a below-detection value of unknown limit counts as
};

struct GriddedCells {
  int64_t valid = 0;            // cells with a concentration (below-detection cells included)
  int64_t below_detection = 0;  // cells written as 0
  int64_t nodata = 0;           // farther than the maximum distance from any point, or left empty by the algorithm
};

// Receives one element's rows [first_row, first_row + rows) of Float32 concentrations (ppm).
using StripWriter = std::function<void(size_t element, int first_row, int rows, const float* values)>;

// Grids every element onto `grid` (north-up), strip by strip:
// - the value is the algorithm's interpolation of the points, a below-detection point counting as
//   half its detection limit;
// - a cell is written as 0 (below detection, which the clr step replaces) where below-detection
//   points carry at least half of the interpolation weight: the same algorithm run on 1 for those
//   points and 0 for the others gives that share;
// - a cell is nodata (kElementNodata) where no point lies within `max_distance` (GDAL's nearest
//   neighbour search with that radius; not needed when the algorithm's own search radius is no
//   larger), or where the algorithm leaves it empty.
std::vector<GriddedCells> GridElements(const std::vector<ElementPoints>& elements, const Grid& grid,
                                       const GridAlgorithm& algorithm, double max_distance, const StripWriter& write,
                                       const Progress& progress);

// Rows per strip: the whole grid up to 16 MiB of Float32 cells per strip (gdal_grid's work buffer).
int StripRows(const Grid& grid);

}  // namespace geoprosp
