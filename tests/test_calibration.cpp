// Score-to-probability calibration: Platt and isotonic fits recover known relations, and the
// cross-fitted reliability of a well-specified calibration lies on the diagonal.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/experiment/calibration.hpp"

namespace geoprosp {
namespace {

// Scores whose true deposit probability is sigmoid(slope * logit(score) + intercept).
void Draw(size_t n, double slope, double intercept, uint64_t seed, std::vector<float>& scores,
          std::vector<int>& labels) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.02, 0.98);
  for (size_t i = 0; i < n; ++i) {
    const double s = uniform(rng);
    const double p = 1 / (1 + std::exp(-(slope * std::log(s / (1 - s)) + intercept)));
    scores.push_back(static_cast<float>(s));
    labels.push_back(uniform(rng) < 0.02 + 0.96 * p ? 1 : 0);
  }
}

TEST(Calibration, PlattRecoversAKnownRelation) {
  std::vector<float> scores;
  std::vector<int> labels;
  Draw(40000, 1.5, -4.0, 1, scores, labels);  // rare positives, like deposit cells
  const Calibration c = FitCalibration(CalibrationMethod::Platt, scores, labels);
  EXPECT_NEAR(c.slope, 1.5, 0.15);
  EXPECT_NEAR(c.intercept, -4.0, 0.3);
  // The mean probability matches the share of positives.
  double mean = 0;
  for (float s : scores) mean += c.Apply(s) / scores.size();
  EXPECT_NEAR(mean, c.prevalence, 0.1 * c.prevalence);
  // Monotone: a calibration never reorders cells.
  EXPECT_LT(c.Apply(0.3f), c.Apply(0.7f));
}

TEST(Calibration, IsotonicIsMonotoneAndMatchesBlockRates) {
  const std::vector<float> scores = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  const std::vector<int> labels = {0, 1, 0, 0, 1, 1};
  const Calibration c = FitCalibration(CalibrationMethod::Isotonic, scores, labels);
  // PAV pools 0.2..0.4 (1, 0, 0 -> 1/3) and the equal 0.5, 0.6 (1, 1): knots 0.1 -> 0, 0.3 -> 1/3,
  // 0.55 -> 1.
  ASSERT_EQ(c.knot_scores.size(), 3u);
  EXPECT_NEAR(c.knot_probabilities[1], 1.0 / 3, 1e-12);
  EXPECT_NEAR(c.knot_scores[1], 0.3, 1e-6);
  EXPECT_NEAR(c.knot_scores[2], 0.55, 1e-6);
  for (size_t i = 1; i < c.knot_probabilities.size(); ++i)
    EXPECT_GE(c.knot_probabilities[i], c.knot_probabilities[i - 1]);
  EXPECT_FLOAT_EQ(c.Apply(0.0f), 0.0f);
  EXPECT_FLOAT_EQ(c.Apply(0.9f), 1.0f);
  EXPECT_NEAR(c.Apply(0.4f), 1.0 / 3 + (2.0 / 3) * (0.1 / 0.25), 1e-6);  // between knots: linear
}

TEST(Calibration, CrossFittedReliabilityLiesOnTheDiagonal) {
  RunResult run;
  Draw(30000, 2.0, -3.0, 2, run.pooled_scores, run.pooled_labels);
  for (int k = 0; k < 10; ++k) {
    FoldResult fold;
    fold.repeat = 1;
    fold.n_test = 3000;
    run.folds.push_back(fold);
  }
  const CalibrationReport report = CalibrateOutOfFold(CalibrationMethod::Platt, run);
  ASSERT_EQ(report.reliability.size(), 10u);
  for (const auto& bin : report.reliability) {
    // Within four standard errors of a binomial share.
    const double se = std::sqrt(std::max(bin.mean_predicted * (1 - bin.mean_predicted), 1e-4) / bin.cells);
    EXPECT_NEAR(bin.observed, bin.mean_predicted, 4 * se + 0.005);
  }
  EXPECT_LT(report.brier_score_calibrated, report.brier_score_raw);
}

TEST(Calibration, NoneUnderThePaperProtocolWithAWarning) {
  RunResult run;
  run.pooled_scores = {0.2f, 0.8f};
  run.pooled_labels = {0, 1};
  std::vector<std::string> warnings;
  EXPECT_FALSE(CalibrateRun(CalibrationMethod::Platt, CvProtocol::Paper, run, warnings).has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("paper protocol"), std::string::npos);
  EXPECT_TRUE(CalibrateRun(CalibrationMethod::Platt, CvProtocol::Spatial, run, warnings).has_value());
  EXPECT_FALSE(CalibrateRun(CalibrationMethod::None, CvProtocol::Spatial, run, warnings).has_value());
  EXPECT_THROW(ParseCalibrationMethod("beta"), UsageError);
}

}  // namespace
}  // namespace geoprosp
