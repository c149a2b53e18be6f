#include "geoprosp/gridding/cleaning.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {

double Median(std::vector<double> values) {
  const size_t n = values.size(), half = n / 2;
  std::nth_element(values.begin(), values.begin() + half, values.end());
  const double upper = values[half];
  if (n % 2) return upper;
  return 0.5 * (upper + *std::max_element(values.begin(), values.begin() + half));
}

double MedianAbsoluteDeviation(const std::vector<double>& values, double median) {
  std::vector<double> deviations(values.size());
  for (size_t i = 0; i < values.size(); ++i) deviations[i] = std::abs(values[i] - median);
  return Median(deviations);
}

// The pooled quantile at probability p: linear between order statistics, plotting position (i + 0.5) / n.
double Quantile(const std::vector<double>& sorted, double p) {
  const double h = std::clamp(p * sorted.size() - 0.5, 0.0, double(sorted.size() - 1));
  const size_t below = static_cast<size_t>(std::floor(h));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
}

}  // namespace

Levelling ParseLevelling(const std::string& text) {
  if (text == "median-mad") return Levelling::MedianMad;
  if (text == "quantile") return Levelling::Quantile;
  throw UsageError("--levelling", "expects median-mad|quantile, got '" + text + "'");
}

std::string ToString(Levelling levelling) { return levelling == Levelling::MedianMad ? "median-mad" : "quantile"; }

DuplicateRule ParseDuplicateRule(const std::string& text) {
  if (text == "mean") return DuplicateRule::Mean;
  if (text == "first") return DuplicateRule::First;
  throw UsageError("--duplicates", "expects mean|first, got '" + text + "'");
}

LevellingResult LevelSurveys(std::vector<double>& values, const std::vector<int>& survey_of_row,
                             const std::vector<std::string>& surveys, Levelling method) {
  LevellingResult result;
  const bool in_logs = method == Levelling::MedianMad;
  std::vector<std::vector<size_t>> rows(surveys.size());
  std::vector<double> pooled;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0)) continue;  // missing or below detection
    rows[survey_of_row[i]].push_back(i);
    pooled.push_back(in_logs ? std::log10(values[i]) : values[i]);
  }
  for (size_t s = 0; s < surveys.size(); ++s) result.surveys.push_back({surveys[s], int64_t(rows[s].size()), false, 0});
  int populated = 0;
  for (const auto& survey_rows : rows) populated += survey_rows.empty() ? 0 : 1;
  if (pooled.empty() || populated < 2) return result;  // one survey: nothing to level it against

  std::sort(pooled.begin(), pooled.end());
  const double pooled_median = Median(pooled);
  const double pooled_mad = MedianAbsoluteDeviation(pooled, pooled_median);
  for (size_t s = 0; s < surveys.size(); ++s) {
    std::vector<double> own;
    for (size_t row : rows[s]) own.push_back(in_logs ? std::log10(values[row]) : values[row]);
    if (own.empty()) continue;
    SurveyLevelling& report = result.surveys[s];
    report.median = Median(own);
    if (int64_t(own.size()) < kMinLevellingValues) continue;
    if (in_logs) {
      const double mad = MedianAbsoluteDeviation(own, report.median);
      if (!(mad > 0) || !(pooled_mad > 0)) continue;
      for (size_t row : rows[s]) {
        values[row] = std::pow(10.0, pooled_median + (std::log10(values[row]) - report.median) * pooled_mad / mad);
      }
    } else {
      // Mid-ranks (ties share their mean rank) give each value's percentile within its survey.
      std::vector<size_t> order(own.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return own[a] < own[b]; });
      std::vector<double> levelled(own.size());
      for (size_t first = 0; first < order.size();) {
        size_t last = first;
        while (last + 1 < order.size() && own[order[last + 1]] == own[order[first]]) ++last;
        const double p = (0.5 * (first + last) + 0.5) / own.size();
        for (size_t k = first; k <= last; ++k) levelled[order[k]] = Quantile(pooled, p);
        first = last + 1;
      }
      for (size_t i = 0; i < own.size(); ++i) values[rows[s][i]] = levelled[i];
    }
    report.levelled = true;
    result.levelled += int64_t(own.size());
  }
  return result;
}

Locations GroupLocations(const std::vector<double>& x, const std::vector<double>& y) {
  struct KeyHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& key) const {
      return std::hash<uint64_t>()(key.first * 0x9E3779B97F4A7C15ULL ^ key.second);
    }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, int64_t, KeyHash> index;
  Locations locations;
  locations.of_row.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    std::pair<uint64_t, uint64_t> key;
    const double xi = x[i] == 0 ? 0.0 : x[i], yi = y[i] == 0 ? 0.0 : y[i];  // -0 and 0 are one place
    std::memcpy(&key.first, &xi, sizeof xi);
    std::memcpy(&key.second, &yi, sizeof yi);
    auto [it, inserted] = index.emplace(key, int64_t(locations.x.size()));
    if (inserted) {
      locations.x.push_back(x[i]);
      locations.y.push_back(y[i]);
    }
    locations.of_row[i] = it->second;
  }
  return locations;
}

double UnknownLimitSubstitute(const std::vector<double>& values) {
  double smallest = std::numeric_limits<double>::infinity();
  for (double v : values) {
    if (v > 0) smallest = std::min(smallest, v);
  }
  return std::isfinite(smallest) ? 0.5 * smallest : 0.0;
}

Points MergeDuplicates(const std::vector<double>& values, const Locations& locations, DuplicateRule rule) {
  const double unknown_limit = UnknownLimitSubstitute(values);
  const size_t n = locations.x.size();
  std::vector<int64_t> count(n, 0), detected(n, 0);
  std::vector<double> sum(n, 0.0), first(n, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> smallest_limit(n, std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) continue;
    const int64_t at = locations.of_row[i];
    if (count[at]++ == 0) first[at] = v;
    sum[at] += CountedValue(v, unknown_limit);
    if (v > 0) {
      ++detected[at];
    } else if (v < 0) {
      smallest_limit[at] = std::min(smallest_limit[at], -v);
    }
  }
  Points points;
  for (size_t at = 0; at < n; ++at) {
    if (count[at] == 0) continue;
    points.merged += count[at] - 1;
    points.location.push_back(int64_t(at));
    if (rule == DuplicateRule::First || count[at] == 1) {
      points.value.push_back(first[at]);
    } else if (detected[at] == 0) {
      points.value.push_back(std::isfinite(smallest_limit[at]) ? -smallest_limit[at] : 0.0);
    } else {
      points.value.push_back(sum[at] / count[at]);
    }
  }
  return points;
}

}  // namespace geoprosp
