#pragma once
// Fitting a score-to-probability calibration on out-of-fold scores, and judging it honestly: the
// reliability diagram and Brier scores come from cross-fitting (each fold's scores calibrated by a
// fit on the other folds' scores), so the calibration is never scored on the cells it was fitted on.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geoprosp/experiment/results.hpp"
#include "geoprosp/models/calibration.hpp"

namespace geoprosp {

// Platt scaling on logit(score) with Platt's label smoothing (targets (N+ + 1) / (N+ + 2) and
// 1 / (N- + 2)), or isotonic regression by pool-adjacent-violators. Real cells only, at their
// natural ratio: the fitted probability is the chance that a cell is a deposit cell.
Calibration FitCalibration(CalibrationMethod method, const std::vector<float>& scores, const std::vector<int>& labels);

// The calibration of `run`'s first-repeat out-of-fold scores (its pooled scores, fold by fold).
CalibrationReport CalibrateOutOfFold(CalibrationMethod method, const RunResult& run);

// The calibration of a cross-validated run under `protocol`, or none where there is none to fit: the
// method is none, or the paper protocol's test folds hold synthetic positives at a made-up ratio (a
// warning then says so).
std::optional<CalibrationReport> CalibrateRun(CalibrationMethod method, CvProtocol protocol, const RunResult& run,
                                              std::vector<std::string>& warnings);

}  // namespace geoprosp
