// geoprosp-eval's parts: the classical baselines, the neural baselines, the curves and the SVG plots.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "geoprosp/apps/eval.hpp"
#include "geoprosp/apps/train.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/experiment/baselines.hpp"
#include "geoprosp/experiment/eval_models.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/report/eval_report.hpp"
#include "geoprosp/report/svg_plot.hpp"
#include "geoprosp/training/graph_baselines.hpp"

namespace geoprosp {
namespace {

double Uniform(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

struct Labelled2d {
  std::vector<float> x;  // n x dims
  std::vector<int> labels;
  int dims = 2;
  Points points() const { return {x.data(), labels.size(), dims}; }
};

// Two classes either side of the line x0 + x1 = 0, with a margin; `positives` of n are deposits.
Labelled2d Separable(size_t n, size_t positives, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Labelled2d set;
  for (size_t i = 0; i < n; ++i) {
    const int label = i < positives ? 1 : 0;
    const double along = 4 * Uniform(rng) - 2, across = 0.5 + 2 * Uniform(rng);
    const double side = label ? across : -across;
    set.x.push_back(static_cast<float>(along + side / 2));
    set.x.push_back(static_cast<float>(-along + side / 2));
    set.labels.push_back(label);
  }
  return set;
}

// Deposits on a ring around a background blob: no line separates them.
Labelled2d Ring(size_t n, size_t positives, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Labelled2d set;
  for (size_t i = 0; i < n; ++i) {
    const int label = i < positives ? 1 : 0;
    const double angle = 6.283185307179586 * Uniform(rng);
    const double radius = label ? 3 + 0.5 * Uniform(rng) : 1.2 * Uniform(rng);
    set.x.push_back(static_cast<float>(radius * std::cos(angle)));
    set.x.push_back(static_cast<float>(radius * std::sin(angle)));
    set.labels.push_back(label);
  }
  return set;
}

double Accuracy(const std::vector<float>& scores, const std::vector<int>& labels) {
  return ComputeMetrics(scores, labels).accuracy;
}

TEST(Baselines, BalancedWeightsCountBothClassesEqually) {
  const auto w = BalancedWeights({1, 0, 0, 0});
  EXPECT_DOUBLE_EQ(w[0], 2.0);
  EXPECT_DOUBLE_EQ(w[1], 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(w[0], 3 * w[1]);
}

TEST(Baselines, LinearModelsSeparateALinearlySeparableSet) {
  const auto train = Separable(200, 30, 1), test = Separable(100, 20, 2);
  LogisticRegression logistic;
  logistic.Fit(train.points(), train.labels);
  EXPECT_EQ(Accuracy(logistic.Score(test.points()), test.labels), 1.0);
  EXPECT_GT(logistic.coefficients()[0], 0);  // deposits lie where x0 + x1 is large
  EXPECT_GT(logistic.coefficients()[1], 0);

  Svm linear({SvmKernel::Linear});
  linear.Fit(train.points(), train.labels);
  EXPECT_EQ(Accuracy(linear.Score(test.points()), test.labels), 1.0);
  EXPECT_EQ(RocAuc(linear.Decision(test.points()), test.labels), 1.0);

  NearestNeighbours knn(5);
  knn.Fit(train.points(), train.labels);
  EXPECT_GE(Accuracy(knn.Score(test.points()), test.labels), 0.97);
}

TEST(Baselines, RbfSvmSeparatesWhatNoLineCan) {
  const auto train = Ring(300, 60, 3), test = Ring(150, 30, 4);
  Svm rbf({SvmKernel::Rbf});
  rbf.Fit(train.points(), train.labels);
  EXPECT_GE(Accuracy(rbf.Score(test.points()), test.labels), 0.98);
  Svm linear({SvmKernel::Linear});
  linear.Fit(train.points(), train.labels);
  EXPECT_LT(RocAuc(linear.Decision(test.points()), test.labels), 0.8);
}

// Background spread around the origin; deposits, the anomalies, in a tight group far from it.
Labelled2d Anomalies(size_t n, size_t positives, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Labelled2d set;
  for (size_t i = 0; i < n; ++i) {
    const int label = i < positives ? 1 : 0;
    const double centre = label ? 4 : 0, spread = label ? 0.5 : 2;
    for (int k = 0; k < 2; ++k) set.x.push_back(static_cast<float>(centre + spread * (2 * Uniform(rng) - 1)));
    set.labels.push_back(label);
  }
  return set;
}

TEST(Baselines, KMeansScoresAnomaliesHigh) {
  const auto ring_train = Ring(300, 40, 5), ring_test = Ring(120, 20, 6);
  KMeansScorer ring(4, 3, 7);
  ring.Fit(ring_train.points(), ring_train.labels);
  EXPECT_EQ(RocAuc(ring.Score(ring_test.points()), ring_test.labels), 1.0);

  const auto train = Anomalies(300, 20, 5), test = Anomalies(120, 10, 6);
  KMeansScorer kmeans(8, 3, 7);
  kmeans.Fit(train.points(), train.labels);
  const auto scores = kmeans.Score(test.points());
  EXPECT_EQ(RocAuc(scores, test.labels), 1.0);
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_GE(scores[i], 0.0f);
    EXPECT_LE(scores[i], 1.0f);
    EXPECT_EQ(scores[i] > 0.5f, test.labels[i] == 1) << i;
  }
}

TEST(Baselines, KMeansCentroidsFindTheClusters) {
  std::vector<float> x;
  for (int i = 0; i < 50; ++i) {
    x.insert(x.end(), {static_cast<float>(i % 5) * 0.01f, 0});
    x.insert(x.end(), {10 + static_cast<float>(i % 5) * 0.01f, 10});
  }
  const auto centroids = KMeansCentroids({x.data(), 100, 2}, 2, 42);
  ASSERT_EQ(centroids.size(), 4u);
  const double first = centroids[0], second = centroids[2];
  EXPECT_NEAR(std::min(first, second), 0.02, 1e-5);
  EXPECT_NEAR(std::max(first, second), 10.02, 1e-5);
}

TEST(Baselines, SameSeedSameScores) {
  const auto train = Ring(200, 40, 8), test = Ring(80, 16, 9);
  const auto scores = [&](uint64_t seed) {
    Svm rbf({SvmKernel::Rbf, 1.0, 0, 300, 1e-3, 4000, seed});
    rbf.Fit(train.points(), train.labels);
    KMeansScorer kmeans(8, 3, seed);
    kmeans.Fit(train.points(), train.labels);
    auto out = rbf.Score(test.points());
    const auto k = kmeans.Score(test.points());
    out.insert(out.end(), k.begin(), k.end());
    return out;
  };
  EXPECT_EQ(scores(11), scores(11));
}

TEST(Baselines, PlattScalingKeepsTheRanking) {
  const std::vector<float> scores = {-3, -1, 0.5f, 2, 4, -2, 1, 3};
  const std::vector<int> labels = {0, 0, 1, 1, 1, 0, 0, 1};
  PlattScaling platt;
  platt.Fit(scores, labels);
  const auto p = platt.Apply(scores);
  EXPECT_EQ(RocAuc(p, labels), RocAuc(scores, labels));
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_GT(p[i], 0.0f);
    EXPECT_LT(p[i], 1.0f);
  }
  EXPECT_LT(p[0], 0.5f);
  EXPECT_GT(p[4], 0.5f);
}

TEST(Baselines, SingleClassIsAnError) {
  const auto set = Separable(10, 0, 1);
  LogisticRegression logistic;
  EXPECT_THROW(logistic.Fit(set.points(), set.labels), Error);
}

// Graphs of 4 elements; a deposit raises elements 0 and 1 together.
SampleSet GraphSamples(size_t n, size_t positives, uint64_t seed) {
  std::mt19937_64 rng(seed);
  SampleSet set;
  set.n_elements = 4;
  const std::vector<double> r = {1, 0.8, 0, 0, 0.8, 1, 0, 0, 0, 0, 1, 0.7, 0, 0, 0.7, 1};
  set.adjacency = NormalisedAdjacency(r, 4, 0.6, EdgeWeight::Binary);
  for (size_t i = 0; i < n; ++i) {
    const int label = i % (n / positives) == 0 ? 1 : 0;
    float values[4];
    for (int e = 0; e < 4; ++e) values[e] = static_cast<float>(2 * Uniform(rng) - 1);
    if (label) {
      values[0] += 2.5f;
      values[1] += 2.5f;
    }
    set.AppendSynthetic(values, set.adjacency.data(), label);
  }
  return set;
}

TEST(NeuralBaselines, EachLearnsASimpleSignal) {
  const SampleSet train = GraphSamples(240, 60, 1), validation = GraphSamples(60, 15, 2),
                  test = GraphSamples(100, 25, 3);
  TrainSettings settings;
  settings.epochs = 40;
  settings.lr = 3e-3;
  settings.patience = 40;
  for (const std::string arch : {"gin", "graphsage", "diffpool", "mlp"}) {
    NeuralBaselineSpec spec;
    spec.arch = arch;
    spec.hidden = 16;
    spec.layers = 2;
    spec.dropout = 0.1;
    const TrainedModel model = TrainNeuralBaseline(spec, train, validation, settings, Progress{});
    const auto scores = PredictNeuralBaseline(spec, model.weights, test);
    EXPECT_GT(RocAuc(scores, test.labels), 0.95) << arch;
    for (float s : scores) ASSERT_TRUE(s >= 0 && s <= 1) << arch;
    const TrainedModel again = TrainNeuralBaseline(spec, train, validation, settings, Progress{});
    EXPECT_EQ(PredictNeuralBaseline(spec, again.weights, test), scores) << arch << " is not deterministic";
  }
}

TEST(NeuralBaselines, AutoencoderReconstructsBackgroundBetterThanDeposits) {
  const SampleSet train = GraphSamples(300, 30, 4), test = GraphSamples(100, 20, 5);
  const SampleSet background = train.Subset(IndicesWhere(train.labels, 0));
  NeuralBaselineSpec spec;
  spec.arch = "autoencoder";
  spec.code = 2;
  TrainSettings settings;
  settings.epochs = 60;
  settings.lr = 3e-3;
  const TrainedModel model = TrainNeuralBaseline(spec, background, background.Empty(), settings, Progress{});
  EXPECT_GT(RocAuc(PredictNeuralBaseline(spec, model.weights, test), test.labels), 0.9);
  EXPECT_EQ(EncodeAutoencoder(spec, model.weights, test).size(), test.size() * 2);
}

TEST(EvalModels, EveryModelScoresOneFoldInRange) {
  FitData data{GraphSamples(160, 40, 6), GraphSamples(40, 10, 7)};
  const SampleSet test = GraphSamples(60, 15, 8);
  FitSettings settings;
  settings.spec.hidden = 16;
  settings.spec.layers = 1;
  settings.train.epochs = 5;
  for (const auto& model : EvalModels()) {
    const auto scores = FitAndScoreModel(model.name, data, test, settings, 42, Progress{});
    ASSERT_EQ(scores.size(), test.size()) << model.name;
    for (float s : scores) ASSERT_TRUE(s >= 0 && s <= 1) << model.name;
    EXPECT_GT(RocAuc(scores, test.labels), 0.7) << model.name;
  }
  EXPECT_THROW(FindEvalModel("nope"), UsageError);
}

TEST(Metrics, CurvesRunFromOriginToOne) {
  const std::vector<float> scores = {0.9f, 0.8f, 0.8f, 0.3f, 0.1f};
  const std::vector<int> labels = {1, 0, 1, 0, 0};
  const auto roc = RocCurve(scores, labels);
  EXPECT_EQ(roc.front(), (std::array<double, 2>{0.0, 0.0}));
  EXPECT_EQ(roc.back(), (std::array<double, 2>{1.0, 1.0}));
  EXPECT_EQ(roc.size(), 5u);  // the tie at 0.8 is one step
  const auto success = SuccessCurve(scores, labels);
  EXPECT_DOUBLE_EQ(success[1][1], 0.5);
  EXPECT_DOUBLE_EQ(success.back()[0], 1.0);
  std::vector<float> many(1000);
  std::vector<int> many_labels(1000, 0);
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<float>(i);
  many_labels[999] = 1;
  EXPECT_LE(RocCurve(many, many_labels, 50).size(), 50u);
}

TEST(Metrics, PredictionAreaFindsTheIntersection) {
  // 100 cells ranked by probability; the 4 deposits sit at ranks 1, 2, 3 and 50.
  std::vector<float> p(100);
  std::vector<int> labels(100, 0);
  for (int i = 0; i < 100; ++i) p[i] = static_cast<float>(1.0 - i / 100.0);
  for (int i : {0, 1, 2, 49}) labels[i] = 1;
  const PredictionArea area = PredictionAreaOf(p, labels);
  ASSERT_TRUE(area.intersection.has_value());
  EXPECT_DOUBLE_EQ(area.intersection->deposits_percent, 75.0);
  EXPECT_DOUBLE_EQ(area.intersection->area_percent, 25.0);
  EXPECT_EQ(area.curve.size(), 101u);
  EXPECT_DOUBLE_EQ(area.curve[0].area_percent, 100.0);
}

TEST(SvgPlot, ChartsAreSelfContainedAndEscaped) {
  svg::LinePlot plot;
  plot.title = "a < b & c";
  svg::Series series;
  series.x = {0, 0.5, 1};
  series.y = {0, 0.7, 1};
  plot.series.push_back(series);
  plot.annotations.push_back({0.5, 0.7, "x"});
  const std::string line = svg::RenderLinePlot(plot);
  EXPECT_EQ(line.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(line.find("a &lt; b &amp; c"), std::string::npos);
  EXPECT_NE(line.find("</svg>"), std::string::npos);
  const std::string confusion = svg::RenderConfusion("gan", 90, 10, 2, 8);
  EXPECT_NE(confusion.find(">90<"), std::string::npos);
  EXPECT_NE(confusion.find("80.0 %"), std::string::npos);
  EXPECT_EQ(svg::Ramp(0)[0], 68);
  EXPECT_EQ(svg::Ramp(1)[2], 37);
}

TEST(EvalCommand, SharesTrainsOptionsAndDefaults) {
  const auto eval_specs = EvalCommand().table.specs();
  const auto train_specs = TrainCommand().table.specs();
  std::set<std::string> names;
  size_t shared = 0;
  for (const auto& e : eval_specs) {
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate option " << e.name;
    EXPECT_FALSE(e.help.empty()) << e.name;
    for (const auto& t : train_specs) {
      if (t.name != e.name || e.name == "overwrite") continue;
      ++shared;
      EXPECT_EQ(e.default_value, t.default_value) << e.name;
      EXPECT_EQ(e.choices, t.choices) << e.name;
      EXPECT_EQ(e.type, t.type) << e.name;
    }
  }
  EXPECT_GE(shared, 35u);  // every data, graph, network, training, CV and run option
}

}  // namespace
}  // namespace geoprosp
