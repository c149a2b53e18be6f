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
  std::string explain;  // each element's contribution to every cell's output, one band per element
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
  int readers = 0;
  int batch_size = 65536;
  bool overwrite = false;
  bool raw_score = false;
  // Target areas and the quick-look map, made from the rasters once they are written.
  std::string areas;
  std::string areas_min_class = "moderate";
  std::string areas_min_size = "4cells";
  std::string quicklook;
  // Where the model extrapolates, and what the classes and areas may cover.
  std::string applicability;
  std::string mask;
  bool mask_outside_applicability = false;
};

struct MapSummary {
  std::vector<std::string> elements;
  int width = 0, height = 0;
  int64_t valid_cells = 0;
  int64_t nonfinite_cells = 0;
  ReplacementCounts replaced;
  std::array<int64_t, 4> class_cells{};
  int64_t excluded_cells = 0;  // valid cells left out of the classes and areas (--mask, --mask-outside-...)
  int64_t outside_cells = -1;  // valid cells beyond the applicability threshold (-1: not computed)
  double applicability_threshold = 0;
  std::string engine;
  std::string model_hash;
  double seconds = 0;
  std::optional<AreasSummary> areas;  // with --areas
};

MapSummary RunMap(const MapOptions& options, const Progress& progress);
// Where --applicability FILE puts its mask: FILE's name with "_outside" before the extension.
std::string ApplicabilityMaskPath(const std::string& applicability);
Command<MapOptions> MapCommand();

}  // namespace geoprosp
