#pragma once
// From rows to points: survey levelling and duplicate locations. Values follow SampleElement's
// convention: ppm, NaN missing, <= 0 below detection (-limit, or 0 when the limit is unknown).
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

enum class Levelling { MedianMad, Quantile };
Levelling ParseLevelling(const std::string& text);  // "median-mad" | "quantile"; throws UsageError
std::string ToString(Levelling levelling);

// Surveys with fewer detected values than this are left as they are.
constexpr int64_t kMinLevellingValues = 10;

struct SurveyLevelling {
  std::string survey;
  int64_t values = 0;     // detected values of this element in the survey
  bool levelled = false;  // false: too few values, or no spread
  double median = 0;      // of log10 values (median-mad) or values (quantile), before levelling
};

struct LevellingResult {
  int64_t levelled = 0;  // values changed
  std::vector<SurveyLevelling> surveys;
};

// Levels each survey's detected values of one element onto the pooled detected values of all
// surveys: median-mad maps log10 values by (log v - median_s) / MAD_s * MAD_all + median_all;
// quantile maps each value's mid-rank percentile in its survey to the pooled quantile.
// Below-detection values are left as they are. `survey_of_row[i]` indexes `surveys`.
LevellingResult LevelSurveys(std::vector<double>& values, const std::vector<int>& survey_of_row,
                             const std::vector<std::string>& surveys, Levelling method);

// Rows at the same coordinates (bit for bit) share a location; locations are numbered in order of
// their first row.
struct Locations {
  std::vector<int64_t> of_row;
  std::vector<double> x, y;
};
Locations GroupLocations(const std::vector<double>& x, const std::vector<double>& y);

enum class DuplicateRule { Mean, First };
DuplicateRule ParseDuplicateRule(const std::string& text);  // "mean" | "first"; throws UsageError

// Half the smallest detected value: what a below-detection value of unknown limit counts as.
double UnknownLimitSubstitute(const std::vector<double>& values);

// The concentration a value counts as in averages and interpolation: itself when detected, half
// its detection limit when below (`unknown_limit` when the limit is unknown).
inline double CountedValue(double value, double unknown_limit) {
  return value > 0 ? value : value < 0 ? -0.5 * value : unknown_limit;
}

// One value per location that has any. Mean: the mean of the values counted as above; the location
// is below detection only when all its values are (then -smallest known limit, or 0). First: the
// first row's value.
struct Points {
  std::vector<int64_t> location;  // index into Locations
  std::vector<double> value;
  int64_t merged = 0;  // values folded into another row's location
};
Points MergeDuplicates(const std::vector<double>& values, const Locations& locations, DuplicateRule rule);

}  // namespace geoprosp
