#include "geoprosp/models/calibration.hpp"

#include <algorithm>
#include <cmath>

#include "geoprosp/core/error.hpp"

namespace geoprosp {

std::string ToString(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::None:
      return "none";
    case CalibrationMethod::Platt:
      return "platt";
    case CalibrationMethod::Isotonic:
      return "isotonic";
  }
  return "none";
}

CalibrationMethod ParseCalibrationMethod(const std::string& text) {
  if (text == "none") return CalibrationMethod::None;
  if (text == "platt") return CalibrationMethod::Platt;
  if (text == "isotonic") return CalibrationMethod::Isotonic;
  throw UsageError("--calibration", "expects platt|isotonic|none, got '" + text + "'");
}

float Calibration::Apply(float score) const {
  switch (method) {
    case CalibrationMethod::None:
      return score;
    case CalibrationMethod::Platt: {
      const double s = std::clamp(double(score), 1e-7, 1 - 1e-7);
      const double z = slope * std::log(s / (1 - s)) + intercept;
      return static_cast<float>(1 / (1 + std::exp(-z)));
    }
    case CalibrationMethod::Isotonic: {
      if (knot_scores.empty()) return score;
      if (score <= knot_scores.front()) return static_cast<float>(knot_probabilities.front());
      if (score >= knot_scores.back()) return static_cast<float>(knot_probabilities.back());
      const size_t i = std::upper_bound(knot_scores.begin(), knot_scores.end(), double(score)) - knot_scores.begin();
      const double x0 = knot_scores[i - 1], x1 = knot_scores[i];
      const double y0 = knot_probabilities[i - 1], y1 = knot_probabilities[i];
      return static_cast<float>(x1 > x0 ? y0 + (y1 - y0) * (score - x0) / (x1 - x0) : y1);
    }
  }
  return score;
}

}  // namespace geoprosp
