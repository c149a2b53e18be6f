#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "geoprosp/experiment/folds.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/features/variogram.hpp"
#include "geoprosp/io/raster_stack.hpp"

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

TEST(ElementGraph, TopKKeepsEachElementsStrongestEdges) {
  // |r|: (0,1) 0.2, (0,2) 0.1, (0,3) 0.05, (1,2) 0.15, (1,3) 0.3, (2,3) 0.25: all below any usual alpha.
  const std::vector<double> r = {1, 0.2, -0.1, 0.05, 0.2, 1, 0.15, -0.3, -0.1, 0.15, 1, 0.25, 0.05, -0.3, 0.25, 1};
  GraphSpec spec;
  EXPECT_EQ(CountEdges(r, 4, spec), 0);  // alpha 0.6: none
  spec.rule = EdgeRule::TopK;
  spec.top_k = 1;
  // 0 picks 1, 1 picks 3, 2 picks 3, 3 picks 1: edges {0-1, 1-3, 2-3}.
  EXPECT_EQ(CountEdges(r, 4, spec), 3);
  const auto a = GraphAdjacency(r, 4, spec);
  EXPECT_GT(a[0 * 4 + 1], 0);
  EXPECT_GT(a[1 * 4 + 3], 0);
  EXPECT_GT(a[2 * 4 + 3], 0);
  EXPECT_FLOAT_EQ(a[0 * 4 + 2], 0);
  EXPECT_FLOAT_EQ(a[0 * 4 + 3], 0);
  EXPECT_FLOAT_EQ(a[1 * 4 + 2], 0);
  spec.top_k = 3;  // everything
  EXPECT_EQ(CountEdges(r, 4, spec), 6);
}

TEST(ElementGraph, HybridBlendsTheGlobalCorrelation) {
  // A 3x3 window where the two elements are perfectly correlated; the global r says they are not.
  std::vector<float> features;
  std::vector<uint8_t> valid(9, 1);
  for (int i = 0; i < 9; ++i) features.insert(features.end(), {float(i % 4), float(i % 4)});
  const std::vector<double> global = {1, 0, 0, 1};
  GraphSpec spec;
  spec.window = 3;
  spec.alpha = 0.6;
  float a[4];
  spec.mode = GraphMode::Window;
  WindowAdjacency(features.data(), valid.data(), 3, 3, 2, 1, 1, spec, a, global.data());
  EXPECT_GT(a[1], 0);  // window r = 1: an edge
  spec.mode = GraphMode::Hybrid;
  spec.global_share = 0.5;  // blended r = 0.5: below alpha
  WindowAdjacency(features.data(), valid.data(), 3, 3, 2, 1, 1, spec, a, global.data());
  EXPECT_FLOAT_EQ(a[1], 0);
  spec.global_share = 0.2;  // blended r = 0.8: an edge again
  WindowAdjacency(features.data(), valid.data(), 3, 3, 2, 1, 1, spec, a, global.data());
  EXPECT_GT(a[1], 0);
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

TEST(Metrics, FoldsWithoutBothClassesAreLeftOutOfTheMeans) {
  const auto scored = ComputeMetrics({0.9f, 0.2f, 0.1f}, {1, 0, 0});  // ROC 1
  const auto weaker = ComputeMetrics({0.4f, 0.6f, 0.1f}, {1, 0, 0});  // ROC 0.5
  const auto no_deposit = ComputeMetrics({0.9f, 0.2f}, {0, 0});       // reads ROC 0.5 by construction
  EXPECT_FALSE(HasBothClasses(no_deposit));
  const MetricSummary summary = Summarise({scored, no_deposit, weaker});
  EXPECT_EQ(summary.folds_scored, 2);
  EXPECT_EQ(summary.folds_unscored, 1);
  EXPECT_DOUBLE_EQ(summary.mean.roc_auc, 0.75);
  EXPECT_NEAR(summary.sd.roc_auc, std::sqrt(0.125), 1e-12);
  EXPECT_EQ(summary.confusion.tn + summary.confusion.fp + summary.confusion.fn + summary.confusion.tp, 8);
}

TEST(Metrics, CapturedInTopCountsDepositsInTheTopShareOfCells) {
  // 20 cells; deposits at ranks 1, 3 and 10 of 20.
  std::vector<float> scores(20);
  std::vector<int> labels(20, 0);
  for (int i = 0; i < 20; ++i) scores[i] = 1.0f - i / 20.0f;
  labels[0] = labels[2] = labels[9] = 1;
  EXPECT_DOUBLE_EQ(CapturedInTop(scores, labels, 0.05), 1.0 / 3);  // the top cell
  EXPECT_DOUBLE_EQ(CapturedInTop(scores, labels, 0.15), 2.0 / 3);  // the top 3 cells
  EXPECT_DOUBLE_EQ(CapturedInTop(scores, labels, 0.50), 1.0);
  // A constant score finds nothing ahead of its share of area.
  EXPECT_DOUBLE_EQ(CapturedInTop(std::vector<float>(20, 0.5f), labels, 0.15), 0.0);
}

TEST(Metrics, MeanIntervalIsStudentT) {
  const Interval one = MeanInterval({0.8});
  EXPECT_DOUBLE_EQ(one.low, 0.8);
  EXPECT_DOUBLE_EQ(one.high, 0.8);
  const Interval five = MeanInterval({0.80, 0.82, 0.84, 0.86, 0.88});
  EXPECT_NEAR(five.mean, 0.84, 1e-12);
  // sd 0.0316228, se 0.0141421, t(0.975, 4) = 2.776
  EXPECT_NEAR(five.high - five.mean, 2.776 * 0.0141421, 1e-5);
  EXPECT_NEAR(five.mean - five.low, five.high - five.mean, 1e-12);
}

TEST(Variogram, FitRecoversTheRangeOfAnExactModel) {
  for (double range : {800.0, 3000.0, 12000.0}) {
    for (double drift : {0.0, 0.3}) {
      std::vector<VariogramBin> bins;
      for (int b = 0; b < 20; ++b) {
        const double lag = 500.0 * (b + 0.5);
        bins.push_back({lag, 0.1 + 0.9 * (1 - std::exp(-3 * lag / range)) + drift * lag / 20000.0, 1000 - 10 * b});
      }
      EXPECT_NEAR(FitVariogramRange(bins, 100, 20000), range, 0.05 * range) << range << " drift " << drift;
    }
  }
}

// A field smoothed over `radius` cells: its autocorrelation range grows with the radius.
std::vector<float> SmoothField(int width, int height, int radius, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise;
  std::vector<double> white(size_t(width) * height);
  for (auto& v : white) v = noise(rng);
  std::vector<float> field(white.size());
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) {
      double sum = 0;
      int count = 0;
      for (int dr = -radius; dr <= radius; ++dr) {
        for (int dc = -radius; dc <= radius; ++dc) {
          const int rr = r + dr, cc = c + dc;
          if (rr < 0 || cc < 0 || rr >= height || cc >= width) continue;
          sum += white[size_t(rr) * width + cc];
          ++count;
        }
      }
      field[size_t(r) * width + c] = static_cast<float>(sum / count);
    }
  }
  return field;
}

TEST(Variogram, RangeFollowsTheFieldsSmoothness) {
  Grid grid;
  grid.width = 80;
  grid.height = 80;
  grid.geotransform = {0, 100, 0, 8000, 0, -100};
  const std::vector<uint8_t> valid(80 * 80, 1);
  double previous = 0;
  for (int radius : {1, 4, 10}) {
    const auto field = SmoothField(80, 80, radius, 7);
    const double range = EstimateAutocorrelationRange(field, 1, valid, grid, 3).range;
    // A moving average over 2r+1 cells decorrelates at about that width.
    EXPECT_GT(range, previous) << "radius " << radius;
    EXPECT_GT(range, 0.5 * (2 * radius + 1) * 100) << "radius " << radius;
    EXPECT_LT(range, 4.0 * (2 * radius + 1) * 100) << "radius " << radius;
    previous = range;
  }
}

TEST(Folds, AutomaticBlocksStartFromTheRangeAndShiftedBlocksDiffer) {
  Grid grid;
  grid.width = 100;
  grid.height = 100;
  grid.geotransform = {0, 100, 0, 10000, 0, -100};
  std::vector<LabelledCell> samples;
  for (int64_t c = 0; c < 10000; c += 7) samples.push_back({c, (c % 490 == 0) ? 1 : 0});
  FoldSettings settings;
  settings.folds = 5;
  settings.start_block_size = 1500;
  EXPECT_DOUBLE_EQ(ResolveBlockSize(samples, grid, settings), 1500);
  settings.start_block_size = 9000;  // too few blocks for 5 folds with deposits: shrunk
  EXPECT_LT(ResolveBlockSize(samples, grid, settings), 9000);
  settings.start_block_size = 1500;
  const auto plain = AssignFolds(samples, grid, settings);
  settings.offset_x = 700;
  settings.offset_y = 300;
  const auto shifted = AssignFolds(samples, grid, settings);
  EXPECT_NE(plain, shifted);
  std::map<int64_t, std::set<int>> folds_of_block;
  for (size_t i = 0; i < samples.size(); ++i)
    folds_of_block[BlockOf(samples[i].cell, grid, 1500, 700, 300)].insert(shifted[i]);
  for (const auto& [block, folds] : folds_of_block) EXPECT_EQ(folds.size(), 1u) << "shifted block " << block;
}

}  // namespace
}  // namespace geoprosp
