#pragma once
// report.html: one self-contained page (inline CSS and SVG, a base64 PNG, no network) with the data
// and settings, a section per experiment that ran, the study's own figures in a section of their
// own, and the time taken.
#include <string>
#include <vector>

#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

// The SVG charts the page shows (eval_plots makes them); empty where an experiment did not run.
struct ReportCharts {
  std::string model_comparison, roc, success_rate, reliability;
  std::vector<std::string> confusions;  // ours, one per augmentation method, in the results' order
  std::string alpha_sweep;
  std::string map, prediction_area, element_importance;
  std::vector<std::string> study_confusions;  // the study's Figure 6, in its order
};

// `files`: the files written next to the page, which its last section lists.
std::string EvalReportPage(const EvalResults& results, const StudyFigures& study, const ReportCharts& charts,
                           const std::vector<std::string>& files);

}  // namespace geoprosp
