#pragma once
// geoprosp-map: element rasters -> probability and classified prospective-area rasters.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geoprosp/apps/deposit_options.hpp"
#include "geoprosp/core/cli.hpp"
#include "geoprosp/features/composition.hpp"
#include "geoprosp/products/areas.hpp"

namespace geoprosp {

struct MapOptions : CommonOptions, DepositOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string classes;
  std::string sd;
  std::string model;
  std::string elements;
  std::string align_to;
  std::string resampling = "bilinear";
  std::string format = "GTiff";
  std::vector<std::string> creation_options;
  std::vector<double> class_breaks;
  std::string zero_replace;
  std::string srcwin;
  std::string tile;
  std::string engine = "auto";
  std::string device = "cpu";
  int threads = 0;
  int batch_size = 65536;
  bool overwrite = false;
  // Target areas and the quick-look map, made from the rasters once they are written.
  std::string areas;
  std::string areas_min_class = "moderate";
  std::string areas_min_size = "4cells";
  std::string quicklook;
};

struct MapSummary {
  std::vector<std::string> elements;
  int width = 0, height = 0;
  int64_t valid_cells = 0;
  int64_t nonfinite_cells = 0;
  ReplacementCounts replaced;
  std::array<int64_t, 4> class_cells{};
  std::string engine;
  std::string model_hash;
  double seconds = 0;
  std::optional<AreasSummary> areas;  // with --areas
};

MapSummary RunMap(const MapOptions& options, const Progress& progress);
Command<MapOptions> MapCommand();

// The part of the raster a run maps: the whole, --srcwin or --tile (0-based i/n, row bands).
struct PixelWindow {
  int x0 = 0, y0 = 0, width = 0, height = 0;
};
PixelWindow ResolveWindow(const std::string& srcwin, const std::string& tile, int width, int height);

// Writes the mean of every member's probabilities to `mean[0..n)` and, with several members, their
// standard deviation to `spread[0..n)` (zeros with one member).
class Scorer;
void ScoreMembers(const std::vector<std::unique_ptr<Scorer>>& scorers, const float* features, const float* adjacency,
                  bool per_cell, int64_t n, std::vector<float>& member_scores, float* mean, float* spread);

// Class of each probability given ascending low/moderate/high thresholds.
uint8_t ClassOf(float probability, const std::vector<double>& breaks);

}  // namespace geoprosp
