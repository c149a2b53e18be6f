#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "geoprosp/experiment/folds.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/features/element_graph.hpp"

namespace geoprosp {
namespace {

TEST(ElementGraph, PearsonOfKnownColumns) {
  // Columns: x, 2x + 1, -x, and a constant.
  std::vector<float> cells;
  for (int i = 0; i < 5; ++i) cells.insert(cells.end(), {float(i), 2.0f * i + 1, -float(i), 3.0f});
  const auto r = Correlation(cells.data(), 5, 4, {});
  EXPECT_NEAR(r[0 * 4 + 1], 1.0, 1e-12);
  EXPECT_NEAR(r[0 * 4 + 2], -1.0, 1e-12);
  EXPECT_NEAR(r[0 * 4 + 3], 0.0, 1e-12);  // constant: no correlation
  EXPECT_NEAR(r[3 * 4 + 3], 1.0, 1e-12);
}

TEST(ElementGraph, ThresholdAndSymmetricNormalisation) {
  // r(0,1) = 0.7 passes alpha 0.6; r(1,2) = -0.65 passes by |r|; r(0,2) = 0.3 does not.
  const std::vector<double> r = {1, 0.7, 0.3, 0.7, 1, -0.65, 0.3, -0.65, 1};
  const auto a = NormalisedAdjacency(r, 3, 0.6, EdgeWeight::Binary);
  // A + I = [[1,1,0],[1,1,1],[0,1,1]], degrees 2, 3, 2.
  EXPECT_NEAR(a[0 * 3 + 0], 1.0 / 2, 1e-6);
  EXPECT_NEAR(a[0 * 3 + 1], 1.0 / std::sqrt(6.0), 1e-6);
  EXPECT_NEAR(a[0 * 3 + 2], 0.0, 1e-9);
  EXPECT_NEAR(a[1 * 3 + 1], 1.0 / 3, 1e-6);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) EXPECT_FLOAT_EQ(a[i * 3 + j], a[j * 3 + i]);
  }
  const auto weighted = NormalisedAdjacency(r, 3, 0.6, EdgeWeight::AbsR);
  EXPECT_NEAR(weighted[0 * 3 + 1], 0.7 / std::sqrt(1.7 * 2.35), 1e-6);
  const auto none = NormalisedAdjacency(r, 3, 0.8, EdgeWeight::Binary);
  EXPECT_NEAR(none[0 * 3 + 1], 0.0, 1e-9);
  EXPECT_NEAR(none[1 * 3 + 1], 1.0, 1e-6);
}

TEST(ElementGraph, WindowCorrelationUsesTheNeighbourhood) {
  // 5x5 window, 2 elements perfectly correlated everywhere but anti-correlated nowhere.
  const int w = 5, h = 5;
  std::vector<float> features;
  std::vector<uint8_t> valid(w * h, 1);
  for (int i = 0; i < w * h; ++i) features.insert(features.end(), {float(i % 7), float(i % 7) * 3});
  GraphSpec spec;
  spec.mode = GraphMode::Window;
  spec.window = 3;
  spec.alpha = 0.5;
  float a[4];
  WindowAdjacency(features.data(), valid.data(), w, h, 2, 2, 2, spec, a);
  EXPECT_NEAR(a[1], 0.5, 1e-6);  // one edge, degrees 2 and 2
  std::fill(valid.begin(), valid.end(), 0);
  valid[12] = valid[13] = 1;  // fewer than 3 valid neighbours: no edges
  WindowAdjacency(features.data(), valid.data(), w, h, 2, 2, 2, spec, a);
  EXPECT_NEAR(a[1], 0.0, 1e-9);
  EXPECT_NEAR(a[0], 1.0, 1e-6);
}

TEST(Metrics, HandComputedConfusionAndRates) {
  const std::vector<float> scores = {0.9f, 0.8f, 0.3f, 0.6f, 0.2f, 0.1f};
  const std::vector<int> labels = {1, 1, 1, 0, 0, 0};
  const auto m = ComputeMetrics(scores, labels, 0.5);
  EXPECT_EQ(m.confusion.tp, 2);
  EXPECT_EQ(m.confusion.fn, 1);
  EXPECT_EQ(m.confusion.fp, 1);
  EXPECT_EQ(m.confusion.tn, 2);
  EXPECT_DOUBLE_EQ(m.accuracy, 4.0 / 6);
  EXPECT_DOUBLE_EQ(m.sensitivity, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.specificity, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.f1, 2.0 / 3);
  // Of the 9 positive-negative pairs, 8 are ordered right (0.3 < 0.6 is the one wrong).
  EXPECT_DOUBLE_EQ(m.roc_auc, 8.0 / 9);
  // Average precision: hits at ranks 1, 2 and 4 -> (1 + 1 + 3/4) / 3.
  EXPECT_DOUBLE_EQ(m.pr_auc, (1 + 1 + 0.75) / 3);
}

TEST(Metrics, RocAucCountsTiesAsHalfAndSuccessRateIsBounded) {
  EXPECT_DOUBLE_EQ(RocAuc({0.5f, 0.5f}, {1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(RocAuc({0.9f, 0.1f}, {1, 0}), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc({0.9f, 0.1f}, {1, 1}), 0.5);  // one class: undefined, reported as chance
  const double perfect = SuccessRateAuc({0.9f, 0.1f, 0.1f, 0.1f}, {1, 0, 0, 0});
  const double worst = SuccessRateAuc({0.1f, 0.9f, 0.9f, 0.9f}, {1, 0, 0, 0});
  EXPECT_NEAR(perfect, 1.0 - 0.125, 1e-12);  // captured in the first quarter of the area
  EXPECT_NEAR(worst, 0.125, 1e-12);
}

TEST(Metrics, FoldsWithoutBothClassesAreLeftOutOfTheMeansAndCounted) {
  const Metrics both = ComputeMetrics({0.9f, 0.2f, 0.1f}, {1, 0, 0});
  const Metrics no_deposit = ComputeMetrics({0.9f, 0.2f, 0.1f}, {0, 0, 0});
  const Metrics no_background = ComputeMetrics({0.9f, 0.2f}, {1, 1});
  EXPECT_TRUE(Scored(both));
  EXPECT_FALSE(Scored(no_deposit));
  EXPECT_EQ(NotScoredBecause(no_deposit), "no test deposit");
  EXPECT_EQ(NotScoredBecause(no_background), "no test background cell");
  const auto fold = ToJson(no_deposit);
  EXPECT_TRUE(fold["roc_auc"].is_null());      // not 0.5
  EXPECT_TRUE(fold["sensitivity"].is_null());  // not 0
  EXPECT_FALSE(fold["scored"].get<bool>());
  EXPECT_DOUBLE_EQ(fold["specificity"].get<double>(), 2.0 / 3);
  EXPECT_TRUE(ToJson(no_background)["specificity"].is_null());
  const std::vector<Metrics> folds = {both, no_deposit, both, no_background};
  const auto mean = MeanJson(folds);
  EXPECT_DOUBLE_EQ(mean["roc_auc"].get<double>(), 1.0);  // the two scored folds only
  EXPECT_DOUBLE_EQ(mean["sensitivity"].get<double>(), 1.0);
  EXPECT_EQ(mean["folds_scored"].get<int>(), 2);
  EXPECT_EQ(mean["folds_left_out"].get<int>(), 2);
  EXPECT_DOUBLE_EQ(SdJson(folds)["roc_auc"].get<double>(), 0.0);
  EXPECT_EQ(LeftOutNote(folds),
            "2 of 4 folds are left out of the means (1 with no test background cell; 1 with no test deposit): their "
            "ROC AUC and sensitivity do not exist");
  EXPECT_EQ(LeftOutNote({both}), "");
  EXPECT_TRUE(MeanJson({no_deposit})["roc_auc"].is_null());
}

TEST(Folds, SpatialFoldsShareNoBlockAndSpreadDeposits) {
  Grid grid;
  grid.width = 100;
  grid.height = 100;
  grid.geotransform = {0, 100, 0, 10000, 0, -100};
  std::vector<LabelledCell> samples;
  for (int64_t c = 0; c < 10000; c += 7) samples.push_back({c, (c % 490 == 0) ? 1 : 0});
  FoldSettings settings;
  settings.folds = 5;
  settings.block_size = 1000;
  const auto fold = AssignFolds(samples, grid, settings);
  std::map<int64_t, std::set<int>> folds_of_block;
  std::vector<int> positives(5, 0);
  for (size_t i = 0; i < samples.size(); ++i) {
    folds_of_block[BlockOf(samples[i].cell, grid, 1000)].insert(fold[i]);
    positives[fold[i]] += samples[i].label;
  }
  for (const auto& [block, folds] : folds_of_block) EXPECT_EQ(folds.size(), 1u) << "block " << block << " is split";
  for (int k = 0; k < 5; ++k) EXPECT_GT(positives[k], 0) << "fold " << k << " has no deposit";
  EXPECT_EQ(fold, AssignFolds(samples, grid, settings));  // same seed, same folds
}

TEST(Folds, StratifiedFoldsKeepTheClassRatio) {
  std::vector<int> labels(100, 0);
  for (int i = 0; i < 20; ++i) labels[i * 5] = 1;
  const auto fold = StratifiedFolds(labels, 4, 1);
  for (int k = 0; k < 4; ++k) {
    int positives = 0, total = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (fold[i] == k) {
        ++total;
        positives += labels[i];
      }
    }
    EXPECT_EQ(positives, 5);
    EXPECT_EQ(total, 25);
  }
}

}  // namespace
}  // namespace geoprosp
