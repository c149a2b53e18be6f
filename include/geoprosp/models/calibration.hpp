#pragma once
// From a model's score to a probability. The networks train on balanced classes, so their output is
// a score that ranks cells, not the chance that a cell is a deposit cell: 0.9 does not mean 90 %. A
// calibration fitted on the cross-validation's out-of-fold scores, at the survey's real share of
// deposit cells, maps the score to that chance.
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

enum class CalibrationMethod { None, Platt, Isotonic };
std::string ToString(CalibrationMethod method);
CalibrationMethod ParseCalibrationMethod(const std::string& text);  // throws UsageError naming --calibration

struct Calibration {
  CalibrationMethod method = CalibrationMethod::None;
  // Platt: p = 1 / (1 + exp(-(slope * logit(score) + intercept))).
  double slope = 1, intercept = 0;
  // Isotonic: ascending knots (score, probability), linear between them, flat beyond the ends.
  std::vector<double> knot_scores, knot_probabilities;
  double prevalence = 0;  // deposit cells per cell in the data it was fitted on
  int64_t cells = 0, deposit_cells = 0;

  bool active() const { return method != CalibrationMethod::None; }
  float Apply(float score) const;
};

}  // namespace geoprosp
