#pragma once
// What geoprosp-eval writes from its typed results: the CSV tables (csv_tables), the SVG plots
// (eval_plots) and report.html (html_report), ours and the study's kept apart. No LibTorch here.
#include <string>
#include <vector>

#include "geoprosp/experiment/results.hpp"
#include "geoprosp/report/svg_plot.hpp"

namespace geoprosp {

// Writes models.csv, augmentation.csv, alpha_sweep.csv, the study's CSVs, the SVG plots and
// report.html into `dir` (experiments absent from `results` are skipped); `map` is the final map's
// thumbnail, or nullptr. Messages name `shown_dir`, the folder the user knows, when `dir` is a staged
// one. Returns the names of the files written.
std::vector<std::string> WriteEvalReport(const EvalResults& results, const StudyFigures& study,
                                         const svg::MapThumbnail* map, const std::string& dir,
                                         const std::string& shown_dir = "");

}  // namespace geoprosp
