#pragma once
// What geoprosp-eval writes from its results: the curves behind the plots, the CSV tables, the
// SVG plots and report.html (one self-contained page). No LibTorch here.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/report/svg_plot.hpp"

namespace geoprosp {

// The study's reported figures (paper-notes.md) as fractions: Table 2 by model, Figure 6 by
// augmentation, the best alpha.
nlohmann::json StudyFigures();

// A probability map as a PNG (invalid cells transparent, Ramp colours), base64, with the deposit
// points in its pixel coordinates. Grids longer than `max_side` cells are subsampled.
svg::MapThumbnail ProbabilityThumbnail(const std::vector<float>& probability_per_cell,
                                       const std::vector<uint8_t>& valid, const Grid& grid,
                                       const std::vector<DepositPoint>& deposits, int max_side = 800);

// Writes models.csv, augmentation.csv, alpha_sweep.csv, the SVG plots and report.html into `dir`
// (sections absent from `results` are skipped); returns the names of the files written.
std::vector<std::string> WriteEvalReport(const nlohmann::json& results, const svg::MapThumbnail* map,
                                         const std::string& dir);

}  // namespace geoprosp
