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

const char* const kNames[] = {"accuracy", "sensitivity", "specificity", "precision",
                              "f1",       "roc_auc",     "pr_auc",      "success_auc"};
std::vector<double> Values(const Metrics& m) {
  return {m.accuracy, m.sensitivity, m.specificity, m.precision, m.f1, m.roc_auc, m.pr_auc, m.success_auc};
}
}  // namespace

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
  return m;
}

nlohmann::json ToJson(const Metrics& m) {
  nlohmann::json j;
  const auto values = Values(m);
  for (size_t i = 0; i < values.size(); ++i) j[kNames[i]] = values[i];
  j["confusion"] = {{"tn", m.confusion.tn}, {"fp", m.confusion.fp}, {"fn", m.confusion.fn}, {"tp", m.confusion.tp}};
  return j;
}

nlohmann::json MeanJson(const std::vector<Metrics>& folds) {
  nlohmann::json j;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    double sum = 0;
    for (const auto& m : folds) sum += Values(m)[i];
    j[kNames[i]] = folds.empty() ? 0.0 : sum / folds.size();
  }
  return j;
}

nlohmann::json SdJson(const std::vector<Metrics>& folds) {
  nlohmann::json j;
  const auto mean = MeanJson(folds);
  for (size_t i = 0; i < std::size(kNames); ++i) {
    double sum = 0;
    for (const auto& m : folds) sum += std::pow(Values(m)[i] - mean[kNames[i]].get<double>(), 2);
    j[kNames[i]] = folds.size() > 1 ? std::sqrt(sum / (folds.size() - 1)) : 0.0;
  }
  return j;
}

}  // namespace geoprosp
