#include "geoprosp/experiment/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace geoprosp {
namespace {
double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

// Indices by descending score, ties kept in input order.
std::vector<size_t> RankDescending(const std::vector<float>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Keeps at most `max_points` of `points`, evenly spaced, always the first and the last.
Curve Thin(const Curve& points, size_t max_points) {
  if (points.size() <= max_points || max_points < 2) return points;
  Curve out;
  const double step = double(points.size() - 1) / (max_points - 1);
  for (size_t k = 0; k < max_points; ++k)
    out.push_back(points[std::min(points.size() - 1, size_t(std::lround(k * step)))]);
  return out;
}

// Scores ranked high to low; `visit(rank_end, true_positives)` after each group of tied scores.
template <class Visit>
void WalkRanking(const std::vector<float>& scores, const std::vector<int>& labels, Visit visit) {
  const auto order = RankDescending(scores);
  int64_t true_positives = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (labels[order[i]]) ++true_positives;
    if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]]) visit(i + 1, true_positives);
  }
}
}  // namespace

const std::vector<std::string>& MetricNames() {
  static const std::vector<std::string> names = {
      "accuracy",    "sensitivity",   "specificity",    "precision",     "f1", "roc_auc", "pr_auc",
      "success_auc", "captured_top5", "captured_top15", "captured_top30"};
  return names;
}

std::vector<double> MetricValues(const Metrics& m) {
  return {m.accuracy,    m.sensitivity,   m.specificity,    m.precision,     m.f1, m.roc_auc, m.pr_auc,
          m.success_auc, m.captured_top5, m.captured_top15, m.captured_top30};
}

Confusion ConfusionAt(const std::vector<float>& scores, const std::vector<int>& labels, double threshold) {
  Confusion c;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (labels[i]) {
      (predicted ? c.tp : c.fn)++;
    } else {
      (predicted ? c.fp : c.tn)++;
    }
  }
  return c;
}

double RocAuc(const std::vector<float>& scores, const std::vector<int>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mean_rank = (i + 1 + j) / 2.0;  // ranks i+1 .. j share their mean
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]]) {
        rank_sum += mean_rank;
        ++positives;
      }
    }
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - positives * (positives + 1) / 2.0) / (double(positives) * negatives);
}

double PrAuc(const std::vector<float>& scores, const std::vector<int>& labels) {
  const auto order = RankDescending(scores);
  const double positives = std::count(labels.begin(), labels.end(), 1);
  if (positives == 0) return 0.0;
  double true_positives = 0, area = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (labels[order[i]]) {
      ++true_positives;
      area += (true_positives / (i + 1)) / positives;
    }
  }
  return area;
}

double SuccessRateAuc(const std::vector<float>& scores, const std::vector<int>& labels) {
  const auto order = RankDescending(scores);
  const double positives = std::count(labels.begin(), labels.end(), 1);
  if (positives == 0 || scores.empty()) return 0.0;
  double captured = 0, area = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const double before = captured;
    if (labels[order[i]]) ++captured;
    area += (before + captured) / 2.0 / positives / order.size();  // trapezoid over one cell of area
  }
  return area;
}

Metrics ComputeMetrics(const std::vector<float>& scores, const std::vector<int>& labels, double threshold) {
  Metrics m;
  m.confusion = ConfusionAt(scores, labels, threshold);
  const auto& c = m.confusion;
  m.accuracy = Ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn);
  m.sensitivity = Ratio(c.tp, c.tp + c.fn);
  m.specificity = Ratio(c.tn, c.tn + c.fp);
  m.precision = Ratio(c.tp, c.tp + c.fp);
  m.f1 = Ratio(2.0 * m.precision * m.sensitivity, m.precision + m.sensitivity);
  m.roc_auc = RocAuc(scores, labels);
  m.pr_auc = PrAuc(scores, labels);
  m.success_auc = SuccessRateAuc(scores, labels);
  m.captured_top5 = CapturedInTop(scores, labels, 0.05);
  m.captured_top15 = CapturedInTop(scores, labels, 0.15);
  m.captured_top30 = CapturedInTop(scores, labels, 0.30);
  return m;
}

double CapturedInTop(const std::vector<float>& scores, const std::vector<int>& labels, double area_share) {
  const double positives = std::count(labels.begin(), labels.end(), 1);
  if (positives == 0 || scores.empty()) return 0.0;
  // Ranked high to low, negatives first among equal scores.
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : labels[a] < labels[b];
  });
  const size_t top = static_cast<size_t>(std::floor(area_share * double(scores.size())));
  double captured = 0;
  for (size_t i = 0; i < top; ++i) captured += labels[order[i]] ? 1 : 0;
  return captured / positives;
}

bool HasBothClasses(const Metrics& m) {
  const auto& c = m.confusion;
  return c.tp + c.fn > 0 && c.tn + c.fp > 0;
}

MetricSummary Summarise(const std::vector<Metrics>& folds) {
  MetricSummary summary;
  std::vector<std::vector<double>> scored;
  for (const auto& m : folds) {
    summary.confusion.tn += m.confusion.tn;
    summary.confusion.fp += m.confusion.fp;
    summary.confusion.fn += m.confusion.fn;
    summary.confusion.tp += m.confusion.tp;
    if (HasBothClasses(m)) {
      scored.push_back(MetricValues(m));
    } else {
      ++summary.folds_unscored;
    }
  }
  summary.folds_scored = static_cast<int>(scored.size());
  const size_t metrics = MetricNames().size();
  std::vector<double> mean(metrics, 0.0), sd(metrics, 0.0);
  for (size_t i = 0; i < metrics && !scored.empty(); ++i) {
    for (const auto& values : scored) mean[i] += values[i];
    mean[i] /= scored.size();
    for (const auto& values : scored) sd[i] += std::pow(values[i] - mean[i], 2);
    sd[i] = scored.size() > 1 ? std::sqrt(sd[i] / (scored.size() - 1)) : 0.0;
  }
  const auto assign = [](Metrics& m, const std::vector<double>& v) {
    m.accuracy = v[0], m.sensitivity = v[1], m.specificity = v[2], m.precision = v[3], m.f1 = v[4];
    m.roc_auc = v[5], m.pr_auc = v[6], m.success_auc = v[7];
    m.captured_top5 = v[8], m.captured_top15 = v[9], m.captured_top30 = v[10];
  };
  assign(summary.mean, mean);
  assign(summary.sd, sd);
  return summary;
}

Interval MeanInterval(const std::vector<double>& values) {
  Interval out;
  out.n = static_cast<int>(values.size());
  if (values.empty()) return out;
  for (double v : values) out.mean += v / values.size();
  out.low = out.high = out.mean;
  if (values.size() < 2) return out;
  double ss = 0;
  for (double v : values) ss += (v - out.mean) * (v - out.mean);
  const double se = std::sqrt(ss / (values.size() - 1) / values.size());
  // t(0.975, df) for df = 1..30; beyond, the normal 1.96 is within 2 %.
  static const double t975[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  const size_t df = values.size() - 1;
  const double t = df <= 30 ? t975[df - 1] : 1.96;
  out.low = out.mean - t * se;
  out.high = out.mean + t * se;
  return out;
}

Curve RocCurve(const std::vector<float>& scores, const std::vector<int>& labels, size_t max_points) {
  const double positives = std::count(labels.begin(), labels.end(), 1);
  const double negatives = static_cast<double>(labels.size()) - positives;
  if (positives == 0 || negatives == 0) return {{0.0, 0.0}, {1.0, 1.0}};
  Curve points = {{0.0, 0.0}};
  WalkRanking(scores, labels, [&](size_t ranked, int64_t true_positives) {
    points.push_back({(ranked - true_positives) / negatives, true_positives / positives});
  });
  return Thin(points, max_points);
}

Curve SuccessCurve(const std::vector<float>& scores, const std::vector<int>& labels, size_t max_points) {
  const double positives = std::count(labels.begin(), labels.end(), 1);
  Curve points = {{0.0, 0.0}};
  if (positives == 0) return points;
  WalkRanking(scores, labels, [&](size_t ranked, int64_t true_positives) {
    points.push_back({double(ranked) / scores.size(), true_positives / positives});
  });
  return Thin(points, max_points);
}

PredictionArea PredictionAreaOf(const std::vector<float>& probabilities, const std::vector<int>& labels) {
  const double cells = static_cast<double>(probabilities.size());
  const double positives = std::count(labels.begin(), labels.end(), 1);
  std::vector<float> all = probabilities, deposits;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i]) deposits.push_back(probabilities[i]);
  }
  std::sort(all.begin(), all.end());
  std::sort(deposits.begin(), deposits.end());
  const auto share_at_or_above = [](const std::vector<float>& sorted, double threshold, double total) {
    const auto first = std::lower_bound(sorted.begin(), sorted.end(), static_cast<float>(threshold));
    return total > 0 ? 100.0 * (sorted.end() - first) / total : 0.0;
  };
  PredictionArea out;
  out.cells = static_cast<int64_t>(cells);
  out.deposit_cells = static_cast<int64_t>(positives);
  for (int t = 0; t <= 100; ++t) {
    out.curve.push_back(
        {t / 100.0, share_at_or_above(deposits, t / 100.0, positives), share_at_or_above(all, t / 100.0, cells)});
  }
  WalkRanking(probabilities, labels, [&](size_t ranked, int64_t true_positives) {
    const double deposit_share = positives > 0 ? true_positives / positives : 0, area_share = ranked / cells;
    if (!out.intersection && deposit_share + area_share >= 1.0) {
      out.intersection = PredictionAreaPoint{all[all.size() - ranked], 100 * deposit_share, 100 * area_share};
    }
  });
  return out;
}

}  // namespace geoprosp
