#pragma once
// geoprosp-eval's charts, drawn from its typed results with svg_plot: each function returns one
// self-contained <svg> element. Only our figures: the study's have their own (see study_figures).
#include <string>
#include <vector>

#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

// Bars of each model's mean ROC AUC and accuracy, with +- sd whiskers.
std::string ModelComparisonChart(const std::vector<ModelComparison>& models);
// Every model's ROC curve, or success-rate curve, of its pooled out-of-fold scores (AUC in the legend).
std::string RocCurvesPlot(const std::vector<ModelComparison>& models);
std::string SuccessRateCurvesPlot(const std::vector<ModelComparison>& models);
// Reliability diagram of each model's calibrated probability: the share of deposit cells against the
// mean calibrated probability per bin (cross-fitted), against the diagonal of perfect calibration.
// Empty when no model was calibrated.
std::string ReliabilityPlot(const std::vector<ModelComparison>& models);
// Mean ROC AUC (solid) and accuracy (dashed) against alpha, per model.
std::string AlphaSweepPlot(const std::vector<AlphaSweepModel>& sweep);
// The share of deposit cells and of the area at or above each threshold, and where they cross.
std::string PredictionAreaPlot(const PredictionArea& area);
// Each element's global importance (mean |contribution|) beside its |r| with the deposit cells, both
// as shares of their largest value, elements by importance.
std::string ElementImportanceChart(const ImportanceSummary& importance);
// A confusion matrix as a heat map, titled.
std::string ConfusionPlot(const std::string& title, const Confusion& confusion);

}  // namespace geoprosp
