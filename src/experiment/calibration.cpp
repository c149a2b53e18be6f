#include "geoprosp/experiment/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {

double Logit(double score) {
  const double s = std::clamp(score, 1e-7, 1 - 1e-7);
  return std::log(s / (1 - s));
}

// Newton's method on the smoothed-target logistic likelihood of z = slope * x + intercept.
void FitPlatt(const std::vector<float>& scores, const std::vector<int>& labels, Calibration& out) {
  const double positives = std::count(labels.begin(), labels.end(), 1);
  const double negatives = double(labels.size()) - positives;
  const double high = (positives + 1) / (positives + 2), low = 1 / (negatives + 2);
  double slope = 1, intercept = Logit(std::max(positives, 0.5) / std::max(1.0, double(labels.size())));
  for (int iteration = 0; iteration < 100; ++iteration) {
    double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 1e-9;
    for (size_t i = 0; i < scores.size(); ++i) {
      const double x = Logit(scores[i]), t = labels[i] ? high : low;
      const double p = 1 / (1 + std::exp(-(slope * x + intercept)));
      const double w = std::max(p * (1 - p), 1e-12);
      g0 += (p - t) * x;
      g1 += p - t;
      h00 += w * x * x;
      h01 += w * x;
      h11 += w;
    }
    const double det = h00 * h11 - h01 * h01;
    if (!(std::abs(det) > 1e-18)) break;
    const double d0 = (h11 * g0 - h01 * g1) / det, d1 = (h00 * g1 - h01 * g0) / det;
    slope -= d0;
    intercept -= d1;
    if (std::abs(d0) < 1e-10 && std::abs(d1) < 1e-10) break;
  }
  out.slope = slope;
  out.intercept = intercept;
}

// Pool-adjacent-violators over scores sorted ascending; each pooled block becomes a knot at its
// mean score.
void FitIsotonic(const std::vector<float>& scores, const std::vector<int>& labels, Calibration& out) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  struct Block {
    double score_sum, label_sum, count;
  };
  std::vector<Block> blocks;
  for (size_t i : order) {
    blocks.push_back({double(scores[i]), double(labels[i]), 1});
    while (blocks.size() > 1) {
      const Block& b = blocks.back();
      const Block& a = blocks[blocks.size() - 2];
      if (a.label_sum / a.count < b.label_sum / b.count) break;
      const Block merged{a.score_sum + b.score_sum, a.label_sum + b.label_sum, a.count + b.count};
      blocks.pop_back();
      blocks.back() = merged;
    }
  }
  out.knot_scores.clear();
  out.knot_probabilities.clear();
  for (const auto& block : blocks) {
    out.knot_scores.push_back(block.score_sum / block.count);
    out.knot_probabilities.push_back(block.label_sum / block.count);
  }
}

}  // namespace

Calibration FitCalibration(CalibrationMethod method, const std::vector<float>& scores, const std::vector<int>& labels) {
  Calibration out;
  out.method = method;
  out.cells = static_cast<int64_t>(labels.size());
  out.deposit_cells = std::count(labels.begin(), labels.end(), 1);
  out.prevalence = out.cells > 0 ? double(out.deposit_cells) / out.cells : 0;
  if (method == CalibrationMethod::Platt) FitPlatt(scores, labels, out);
  if (method == CalibrationMethod::Isotonic) FitIsotonic(scores, labels, out);
  return out;
}

CalibrationReport CalibrateOutOfFold(CalibrationMethod method, const RunResult& run) {
  CalibrationReport report;
  const auto& scores = run.pooled_scores;
  const auto& labels = run.pooled_labels;
  report.calibration = FitCalibration(method, scores, labels);
  report.prevalence = report.calibration.prevalence;
  // The pooled scores are the first repeat's test folds, in fold order.
  std::vector<size_t> fold_start = {0};
  for (const auto& fold : run.folds) {
    if (fold.repeat == 1) fold_start.push_back(fold_start.back() + size_t(fold.n_test));
  }
  if (fold_start.back() != scores.size()) fold_start = {0, scores.size()};
  std::vector<float> crossfit(scores.size());
  for (size_t k = 0; k + 1 < fold_start.size(); ++k) {
    std::vector<float> other_scores;
    std::vector<int> other_labels;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (i >= fold_start[k] && i < fold_start[k + 1]) continue;
      other_scores.push_back(scores[i]);
      other_labels.push_back(labels[i]);
    }
    const Calibration fold_fit =
        other_scores.empty() ? report.calibration : FitCalibration(method, other_scores, other_labels);
    for (size_t i = fold_start[k]; i < fold_start[k + 1]; ++i) crossfit[i] = fold_fit.Apply(scores[i]);
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    report.brier_score_raw += std::pow(scores[i] - labels[i], 2) / scores.size();
    report.brier_score_calibrated += std::pow(crossfit[i] - labels[i], 2) / scores.size();
  }
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return crossfit[a] < crossfit[b]; });
  const size_t bins = std::min<size_t>(10, order.size());
  for (size_t b = 0; b < bins; ++b) {
    ReliabilityBin bin;
    const size_t first = order.size() * b / bins, last = order.size() * (b + 1) / bins;
    for (size_t i = first; i < last; ++i) {
      bin.mean_predicted += crossfit[order[i]];
      bin.deposit_cells += labels[order[i]];
      ++bin.cells;
    }
    if (bin.cells == 0) continue;
    bin.mean_predicted /= bin.cells;
    bin.observed = double(bin.deposit_cells) / bin.cells;
    report.reliability.push_back(bin);
  }
  return report;
}

std::optional<CalibrationReport> CalibrateRun(CalibrationMethod method, CvProtocol protocol, const RunResult& run,
                                              std::vector<std::string>& warnings) {
  if (method == CalibrationMethod::None || run.pooled_scores.empty()) return std::nullopt;
  if (protocol == CvProtocol::Paper) {
    AddWarning(warnings,
               "no calibration under the paper protocol: its test folds hold synthetic positives, so their scores say "
               "nothing about the survey's real share of deposit cells; the map will hold raw scores");
    return std::nullopt;
  }
  return CalibrateOutOfFold(method, run);
}

}  // namespace geoprosp
