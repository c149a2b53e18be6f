#pragma once
// geoprosp-grid: point samples (any OGR source, or a CSV with x/y columns) -> one Float32 raster per
// element, in ppm, ready for geoprosp-map and geoprosp-train.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoprosp/core/cli.hpp"
#include "geoprosp/gridding/cleaning.hpp"
#include "geoprosp/gridding/samples.hpp"
#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

struct GridOptions : CommonOptions {
  std::string samples;
  std::string output;  // a folder: one raster per element
  std::string stack;   // or one multi-band raster
  std::string layer;
  std::string x_field, y_field;
  std::string srs, t_srs;
  std::string elements;
  bool keep_oxides = false;
  double min_coverage = 0.5;
  std::vector<std::string> missing = {"-9999"};
  std::string assume_unit;
  std::string duplicates = "mean";
  std::string survey_column;
  std::string levelling = "median-mad";
  std::string method = "invdistnn";
  double power = 2;
  double smoothing = 0;
  double radius = 0;  // 0: --max-distance
  int max_points = 12;
  int min_points = 0;
  std::string algorithm;  // gdal_grid's -a syntax; replaces the five above
  double cell_size = 0;
  std::vector<double> extent;
  std::string align_to;
  double max_distance = 0;  // 0: 3 x the median spacing of the sample locations
  std::string format = "GTiff";
  std::vector<std::string> creation_options;
  std::string report;
  bool overwrite = false;
};

// What happened to one element, from the rows to the cells.
struct GridElementSummary {
  std::string element;
  std::string oxide_of;
  std::vector<std::string> columns, units;  // source columns, merged in this order
  int64_t rows = 0;                         // rows with coordinates
  int64_t missing = 0, not_numbers = 0, below_detection = 0;
  int64_t levelled = 0;
  std::vector<SurveyLevelling> surveys;
  int64_t duplicates_merged = 0;
  int64_t points = 0, below_detection_points = 0;
  double unknown_limit = 0;  // what a below-detection value of unknown limit counted as (ppm)
  int64_t valid_cells = 0, below_detection_cells = 0, nodata_cells = 0;
  std::string output;  // its file, or "FILE band N"
};

struct GridSummary {
  std::string source, layer, x_field, y_field;
  std::string source_crs, grid_crs;
  int64_t rows = 0, rows_without_coordinates = 0, locations = 0;
  std::vector<GridElementSummary> elements;
  std::vector<DroppedElement> dropped;
  std::vector<std::string> notes;
  Grid grid;
  std::string algorithm;
  double median_spacing = 0, max_distance = 0;
  std::string duplicates, levelling, survey_column;
  std::vector<std::string> outputs;
  double seconds = 0;
};

GridSummary RunGrid(const GridOptions& options, const Progress& progress);
nlohmann::json ToJson(const GridSummary& summary);
Command<GridOptions> GridCommand();

}  // namespace geoprosp
