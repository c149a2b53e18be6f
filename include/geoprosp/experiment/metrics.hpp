#pragma once
// Classification and ranking metrics for prospectivity models.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace geoprosp {

struct Confusion {
  int64_t tn = 0, fp = 0, fn = 0, tp = 0;
};

struct Metrics {
  double accuracy = 0, sensitivity = 0, specificity = 0, precision = 0, f1 = 0;
  double roc_auc = 0, pr_auc = 0, success_auc = 0;
  // Share of the deposit cells whose score ranks in the top 5 %, 15 % and 30 % of the cells: what a
  // geologist asks of a held-out fold ("how many deposits would these targets have found?").
  double captured_top5 = 0, captured_top15 = 0, captured_top30 = 0;
  Confusion confusion;
};

// The metrics' names (as reports show them) and values, in one order.
const std::vector<std::string>& MetricNames();
std::vector<double> MetricValues(const Metrics& m);

// A fold whose test set lacks a class has no ranking to score: its AUCs would read 0.5 and its
// sensitivity 0 by construction, so it is left out of the means and counted instead.
bool HasBothClasses(const Metrics& m);

struct MetricSummary {
  Metrics mean, sd;  // over the scored folds; sd is the sample standard deviation (0 with one)
  int folds_scored = 0, folds_unscored = 0;
  Confusion confusion;  // summed over every fold
};
MetricSummary Summarise(const std::vector<Metrics>& folds);

// A mean with its two-sided 95 % Student-t confidence interval (low = high = mean with one value).
struct Interval {
  double mean = 0, low = 0, high = 0;
  int n = 0;
};
Interval MeanInterval(const std::vector<double>& values);

Confusion ConfusionAt(const std::vector<float>& scores, const std::vector<int>& labels, double threshold);
// Mann-Whitney AUC (ties count one half); 0.5 when a class is missing.
double RocAuc(const std::vector<float>& scores, const std::vector<int>& labels);
// Average precision (area under the precision-recall step curve).
double PrAuc(const std::vector<float>& scores, const std::vector<int>& labels);
// Area under the success-rate curve: share of deposit cells captured against share of area, cells
// ranked by score. Every cell counts as equal area.
double SuccessRateAuc(const std::vector<float>& scores, const std::vector<int>& labels);
Metrics ComputeMetrics(const std::vector<float>& scores, const std::vector<int>& labels, double threshold = 0.5);

// Share of the deposit cells among the top `area_share` of cells ranked by score (ties broken
// against the deposits, so that a constant score captures no more than its share of area).
double CapturedInTop(const std::vector<float>& scores, const std::vector<int>& labels, double area_share);

// ROC curve [(fpr, tpr), ...] and success-rate curve [(share of samples, share of deposits), ...] of
// scores ranked high to low, ties taken together; at most `max_points` points each.
using Curve = std::vector<std::array<double, 2>>;
Curve RocCurve(const std::vector<float>& scores, const std::vector<int>& labels, size_t max_points = 200);
Curve SuccessCurve(const std::vector<float>& scores, const std::vector<int>& labels, size_t max_points = 200);

// The prediction-area plot's figures for a map (every valid cell, labels 1 on deposit cells): the
// share of deposits and of area at or above each threshold 0, 0.01, ..., 1, and the intersection,
// where the deposit share first reaches 100 % minus the area share.
struct PredictionAreaPoint {
  double threshold = 0, deposits_percent = 0, area_percent = 0;
};
struct PredictionArea {
  int64_t cells = 0, deposit_cells = 0;
  std::vector<PredictionAreaPoint> curve;
  std::optional<PredictionAreaPoint> intersection;
};
PredictionArea PredictionAreaOf(const std::vector<float>& probabilities, const std::vector<int>& labels);

}  // namespace geoprosp
