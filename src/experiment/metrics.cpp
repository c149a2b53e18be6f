#include "geoprosp/experiment/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
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
// Whether each metric of kNames exists for a fold with (or without) deposits and background cells.
std::vector<bool> Defined(const Metrics& m) {
  const bool positives = m.confusion.tp + m.confusion.fn > 0, negatives = m.confusion.tn + m.confusion.fp > 0;
  return {true, positives, negatives, positives, positives, positives && negatives, positives, positives};
}

std::vector<Metrics> ScoredOnly(const std::vector<Metrics>& folds) {
  std::vector<Metrics> scored;
  for (const auto& m : folds) {
    if (Scored(m)) scored.push_back(m);
  }
  return scored;
}

nlohmann::json WithCounts(nlohmann::json j, const std::vector<Metrics>& folds, size_t scored) {
  j["folds_scored"] = scored;
  j["folds_left_out"] = folds.size() - scored;
  return j;
}
}  // namespace

bool Scored(const Metrics& m) { return NotScoredBecause(m).empty(); }

std::string NotScoredBecause(const Metrics& m) {
  if (m.confusion.tp + m.confusion.fn == 0) return "no test deposit";
  if (m.confusion.tn + m.confusion.fp == 0) return "no test background cell";
  return "";
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
  return m;
}

nlohmann::json ToJson(const Metrics& m) {
  nlohmann::json j;
  const auto values = Values(m);
  const auto defined = Defined(m);
  for (size_t i = 0; i < values.size(); ++i) j[kNames[i]] = defined[i] ? nlohmann::json(values[i]) : nlohmann::json();
  j["confusion"] = {{"tn", m.confusion.tn}, {"fp", m.confusion.fp}, {"fn", m.confusion.fn}, {"tp", m.confusion.tp}};
  j["scored"] = Scored(m);
  if (!Scored(m)) j["left_out_because"] = NotScoredBecause(m);
  return j;
}

nlohmann::json MeanJson(const std::vector<Metrics>& folds) {
  const auto scored = ScoredOnly(folds);
  nlohmann::json j;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    double sum = 0;
    for (const auto& m : scored) sum += Values(m)[i];
    j[kNames[i]] = scored.empty() ? nlohmann::json() : nlohmann::json(sum / scored.size());
  }
  return WithCounts(j, folds, scored.size());
}

nlohmann::json SdJson(const std::vector<Metrics>& folds) {
  const auto scored = ScoredOnly(folds);
  nlohmann::json j;
  const auto mean = MeanJson(scored);
  for (size_t i = 0; i < std::size(kNames); ++i) {
    double sum = 0;
    for (const auto& m : scored) sum += std::pow(Values(m)[i] - mean[kNames[i]].get<double>(), 2);
    j[kNames[i]] = scored.empty() ? nlohmann::json()
                                  : nlohmann::json(scored.size() > 1 ? std::sqrt(sum / (scored.size() - 1)) : 0.0);
  }
  return WithCounts(j, folds, scored.size());
}

std::string LeftOutNote(const std::vector<Metrics>& folds) {
  std::map<std::string, int> reasons;
  for (const auto& m : folds) {
    if (!Scored(m)) ++reasons[NotScoredBecause(m)];
  }
  if (reasons.empty()) return "";
  int left_out = 0;
  std::string why;
  for (const auto& [reason, count] : reasons) {
    left_out += count;
    why += (why.empty() ? "" : "; ") + std::to_string(count) + " with " + reason;
  }
  return std::to_string(left_out) + " of " + std::to_string(folds.size()) + " folds " + (left_out == 1 ? "is" : "are") +
         " left out of the means (" + why + "): their ROC AUC and sensitivity do not exist";
}

}  // namespace geoprosp
