// geoprosp-eval's parts: the classical baselines, the neural baselines, the curves, the SVG plots and
// the report written from typed results.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "geoprosp/apps/eval.hpp"
#include "geoprosp/apps/train.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/experiment/baselines.hpp"
#include "geoprosp/experiment/calibration.hpp"
#include "geoprosp/experiment/eval_models.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/report/eval_report.hpp"
#include "geoprosp/report/study_figures.hpp"
#include "geoprosp/report/svg_plot.hpp"
#include "geoprosp/training/graph_baselines.hpp"
#include "test_support.hpp"

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

// A small network trained for a few epochs: the settings of the one-fold tests below.
FitSettings QuickFitSettings() {
  FitSettings settings;
  settings.spec.hidden = 16;
  settings.spec.layers = 1;
  settings.train.epochs = 5;
  return settings;
}

TEST(EvalModels, EveryModelScoresOneFoldInRange) {
  FitData data{GraphSamples(160, 40, 6), GraphSamples(40, 10, 7), nullptr, {}};
  const SampleSet test = GraphSamples(60, 15, 8);
  const FitSettings settings = QuickFitSettings();
  for (const auto& model : EvalModels()) {
    const auto scores = FitAndScoreModel(model.name, data, test, settings, 42, Progress{});
    ASSERT_EQ(scores.size(), test.size()) << model.name;
    for (float s : scores) ASSERT_TRUE(s >= 0 && s <= 1) << model.name;
    EXPECT_GT(RocAuc(scores, test.labels), 0.7) << model.name;
  }
  EXPECT_THROW(FindEvalModel("nope"), UsageError);
}

// An ensemble in the CV scores the mean of its members' probabilities, each member trained from
// MemberSeed(seed, m), so that a member alone is the single model of that seed; deterministic.
TEST(EvalModels, AnEnsembleScoresTheMeanOfItsMembers) {
  FitData data{GraphSamples(160, 40, 6), GraphSamples(40, 10, 7), nullptr, {}};
  const SampleSet test = GraphSamples(60, 15, 8);
  FitSettings settings = QuickFitSettings();
  std::vector<std::vector<float>> members;
  for (int m = 0; m < 3; ++m)
    members.push_back(FitAndScoreModel("resgcn", data, test, settings, MemberSeed(42, m), {}));
  EXPECT_NE(members[0], members[1]);
  settings.members = 3;
  const auto ensemble = FitAndScoreModel("resgcn", data, test, settings, 42, Progress{});
  ASSERT_EQ(ensemble.size(), test.size());
  for (size_t i = 0; i < test.size(); ++i)
    EXPECT_NEAR(ensemble[i], (double(members[0][i]) + members[1][i] + members[2][i]) / 3, 1e-6) << i;
  EXPECT_EQ(FitAndScoreModel("resgcn", data, test, settings, 42, Progress{}), ensemble);
  // Models that are not residual GNNs stay single.
  FitSettings single = settings;
  single.members = 1;
  EXPECT_EQ(FitAndScoreModel("mlp", data, test, settings, 42, Progress{}),
            FitAndScoreModel("mlp", data, test, single, 42, Progress{}));
}

// Without early stopping no sample is held out: every one fits, and training runs every epoch.
TEST(EvalModels, WithoutEarlyStoppingEverySampleTrainsForEveryEpoch) {
  const SampleSet train = GraphSamples(100, 20, 9);
  const AugmentedSplit held = SplitAndAugment(train, AugmentMethod::None, 1.0, 42, nullptr);
  EXPECT_EQ(held.fit.size() + held.validation.size(), train.size());
  EXPECT_GT(held.validation.size(), 0u);
  const AugmentedSplit all = SplitAndAugment(train, AugmentMethod::None, 1.0, 42, nullptr, EarlyStopping::None);
  EXPECT_EQ(all.fit.size(), train.size());
  EXPECT_TRUE(all.validation.empty());
  FitSettings settings = QuickFitSettings();
  settings.augment = AugmentMethod::None;
  settings.train.epochs = 12;
  settings.train.patience = 100;
  settings.early_stopping = EarlyStopping::None;
  const TrainedModel model = Fit(train, settings, 42, Progress{}, nullptr);
  EXPECT_EQ(model.epochs_run, 12);
}

// GraphSamples with every `every`-th label flipped: a network that fits them overfits, so that a
// validation loss turns.
SampleSet NoisyGraphSamples(size_t n, size_t positives, uint64_t seed, size_t every) {
  SampleSet set = GraphSamples(n, positives, seed);
  for (size_t i = 1; i < set.size(); i += every) set.labels[i] = 1 - set.labels[i];
  return set;
}

// Weights of a run that keeps its last epoch are those the best-epoch run kept, when both stop there.
TEST(EvalModels, KeepingTheLastEpochMatchesTheBestEpochOfALongerRun) {
  const SampleSet train = NoisyGraphSamples(100, 20, 9, 4), validation = NoisyGraphSamples(40, 8, 10, 4);
  FitSettings fit = QuickFitSettings();
  fit.spec.hidden = 32;
  TrainSettings settings = fit.train;
  settings.epochs = 60;
  settings.patience = 60;
  settings.lr = 0.01;
  const TrainedModel best = TrainResGnn(fit.spec, train, validation, settings, Progress{});
  ASSERT_EQ(best.monitored_loss.size(), 60u);
  ASSERT_LT(best.best_epoch, 50) << "the validation loss should turn within 60 epochs here";
  settings.epochs = best.best_epoch;
  settings.keep_last_epoch = true;
  const TrainedModel last = TrainResGnn(fit.spec, train, validation, settings, Progress{});
  EXPECT_EQ(last.epochs_run, best.best_epoch);
  EXPECT_EQ(last.best_epoch, best.best_epoch);
  ASSERT_EQ(last.weights.size(), best.weights.size());
  for (size_t t = 0; t < best.weights.size(); ++t) EXPECT_EQ(last.weights[t].values, best.weights[t].values);
  // Ten epochs on, the last epoch is kept although its validation loss is worse than the best's.
  settings.epochs = best.best_epoch + 10;
  const TrainedModel later = TrainResGnn(fit.spec, train, validation, settings, Progress{});
  EXPECT_EQ(later.best_epoch, best.best_epoch + 10);
  EXPECT_GT(later.best_validation_loss, best.best_validation_loss);
  EXPECT_DOUBLE_EQ(later.best_validation_loss, best.monitored_loss[size_t(best.best_epoch) + 9]);
  EXPECT_NE(later.weights.front().values, best.weights.front().values);
}

// inner-cv: every sample fits the final model; each inner fold validates on its own fifth, with
// synthetic positives made from its fit part only; the epoch count minimises the pooled validation loss.
TEST(EvalModels, InnerCvChoosesTheEpochCountThenTrainsOnEverySample) {
  const SampleSet train = NoisyGraphSamples(100, 20, 9, 4);
  const AugmentedSplit split = SplitAndAugment(train, AugmentMethod::Smote, 1.0, 42, nullptr, EarlyStopping::InnerCv);
  EXPECT_EQ(split.fit.size(), train.size());
  EXPECT_TRUE(split.validation.empty());
  ASSERT_EQ(split.epoch_folds.size(), size_t(kInnerFolds));
  std::vector<int> validated(train.size(), 0);
  for (const auto& fold : split.epoch_folds) {
    EXPECT_EQ(fold.fit.size() + fold.validation.size(), train.size());
    int validated_positives = 0;
    for (size_t i : fold.validation) {
      ++validated[i];
      validated_positives += train.labels[i];
    }
    EXPECT_GE(validated_positives, 1);
    const auto fit_positives = train.Subset(fold.fit).labels;
    const size_t parents_available = std::count(fit_positives.begin(), fit_positives.end(), 1);
    ASSERT_FALSE(fold.synthetic.parents.empty());
    for (size_t parent : fold.synthetic.parents) EXPECT_LT(parent, parents_available);
  }
  EXPECT_EQ(std::count(validated.begin(), validated.end(), 1), std::ptrdiff_t(train.size()));

  FitSettings settings = QuickFitSettings();
  settings.spec.hidden = 32;
  settings.augment = AugmentMethod::Smote;
  settings.train.epochs = 60;
  settings.train.lr = 0.01;
  settings.early_stopping = EarlyStopping::InnerCv;
  const TrainedModel model = Fit(train, settings, 42, Progress{}, nullptr);
  const FitData data = ApplySplit(train, split);
  TrainSettings every_epoch = settings.train;
  every_epoch.seed = 42;
  every_epoch.patience = every_epoch.epochs;
  std::vector<double> pooled(60, 0.0);
  for (const auto& fold : data.epoch_folds) {
    const auto curve = TrainResGnn(settings.spec, fold.fit, fold.validation, every_epoch, Progress{}).monitored_loss;
    ASSERT_EQ(curve.size(), 60u);
    for (size_t e = 0; e < curve.size(); ++e) pooled[e] += curve[e] / data.epoch_folds.size();
  }
  const int chosen = int(std::min_element(pooled.begin(), pooled.end()) - pooled.begin()) + 1;
  EXPECT_LT(chosen, 50) << "the pooled validation loss should turn within 60 epochs here";
  EXPECT_EQ(model.best_epoch, chosen);
  EXPECT_EQ(model.epochs_run, chosen);
  TrainSettings final_fit = every_epoch;
  final_fit.epochs = chosen;
  final_fit.keep_last_epoch = true;
  const auto expected = TrainResGnn(settings.spec, data.fit, SampleSet{}, final_fit, Progress{}).weights;
  ASSERT_EQ(model.weights.size(), expected.size());
  for (size_t t = 0; t < expected.size(); ++t) EXPECT_EQ(model.weights[t].values, expected[t].values);
  EXPECT_EQ(data.fit.size(), train.size() + split.synthetic.parents.size());
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

std::string Wkt(int epsg) {
  OGRSpatialReference srs;
  srs.importFromEPSG(epsg);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  std::string out = wkt;
  CPLFree(wkt);
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text of the element with id="`id`", up to the next one of its tag.
std::string Section(const std::string& html, const std::string& id) {
  const size_t start = html.find("<section id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

// One model's cross-validation over two folds, its scores pooled.
RunResult SmallRun(const std::string& model, AugmentMethod augment, double alpha, uint64_t seed) {
  std::mt19937_64 rng(seed);
  RunResult run;
  run.run = {model, alpha, augment};
  std::vector<Metrics> metrics;
  for (int fold = 1; fold <= 2; ++fold) {
    std::vector<float> scores;
    std::vector<int> labels;
    for (int i = 0; i < 40; ++i) {
      labels.push_back(i % 5 == 0);
      scores.push_back(static_cast<float>(0.6 * labels.back() + 0.5 * Uniform(rng)));
    }
    FoldResult result;
    result.fold = fold;
    result.metrics = ComputeMetrics(scores, labels);
    result.n_test = 40;
    result.positives_test = 8;
    result.alpha = alpha;
    result.seconds = 1.5;
    run.folds.push_back(result);
    metrics.push_back(result.metrics);
    run.pooled_scores.insert(run.pooled_scores.end(), scores.begin(), scores.end());
    run.pooled_labels.insert(run.pooled_labels.end(), labels.begin(), labels.end());
  }
  run.summary = Summarise(metrics);
  run.seconds = 3;
  return run;
}

// Every experiment of geoprosp-eval, small, on a grid in the CRS of `wkt`.
EvalResults SmallResults(const std::string& wkt, double block_size) {
  EvalResults results;
  results.settings.cv.folds = 2;
  results.data.elements = {"Au", "Cu", "Pb"};
  results.data.width = 20;
  results.data.height = 10;
  results.data.valid_cells = 200;
  results.data.deposits = 9;
  results.data.positive_cells = 8;
  results.data.negative_cells = 72;
  results.data.distance_unit = CrsDistanceUnit(wkt);
  results.layout.folds = 2;
  results.layout.block_size = block_size;
  results.layout.block_sizes = {block_size};
  for (const std::string name : {"resgcn", "logreg"}) {
    const EvalModel& model = FindEvalModel(name);
    results.comparison.push_back({model.name, model.label, model.family, model.description, model.paper_row,
                                  SmallRun(name, AugmentMethod::Gan, 0.6, 1), "", std::nullopt, std::nullopt});
  }
  results.comparison[0].calibration = CalibrateOutOfFold(CalibrationMethod::Platt, results.comparison[0].run);
  AugmentationComparison augmentation{"resgcn", "ResGCN", "0.6", {}, {}};
  for (auto method : {AugmentMethod::None, AugmentMethod::Gan})
    augmentation.methods.push_back(SmallRun("resgcn", method, 0.6, 2));
  results.augmentation = augmentation;
  for (const std::string name : {"resgcn", "resgat"}) {
    AlphaSweepModel swept{name, FindEvalModel(name).label, {}, 0.4, 0.6};
    for (double alpha : {0.4, 0.6}) swept.points.push_back(SmallRun(name, AugmentMethod::Gan, alpha, 3));
    results.alpha_sweep.push_back(swept);
  }
  FinalMap map;
  map.model = "resgcn";
  map.alpha = 0.6;
  map.probability_raster = "resgcn_probability.tif";
  const RunResult scored = SmallRun("resgcn", AugmentMethod::Gan, 0.6, 4);
  map.prediction_area = PredictionAreaOf(scored.pooled_scores, scored.pooled_labels);
  results.final_map = map;
  results.timing = {{"load_seconds", 1.0}, {"cross_validation_seconds", 12.0}, {"map_seconds", 2.0}};
  return results;
}

TEST(EvalReport, WritesEveryTablePlotAndSectionFromTypedResults) {
  const std::string dir = test::ScratchDir("eval_report");
  const EvalResults results = SmallResults(Wkt(32650), 4100);
  const auto files = WriteEvalReport(results, ReportedStudyFigures(), nullptr, dir);
  for (const std::string name :
       {"models.csv", "augmentation.csv", "alpha_sweep.csv", "study_table2.csv", "study_figure6.csv", "roc.svg",
        "success_rate.svg", "model_comparison.svg", "confusion_none.svg", "confusion_gan.svg",
        "study_confusion_gan.svg", "alpha_sweep.svg", "prediction_area.svg", "reliability.svg", "report.html"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), name), files.end()) << name;
    EXPECT_FALSE(ReadText(dir + "/" + name).empty()) << name;
  }
  EXPECT_EQ(std::find(files.begin(), files.end(), "map.svg"), files.end());  // no thumbnail given

  const std::string html = ReadText(dir + "/report.html");
  for (const std::string id : {"data", "models", "augmentation", "alpha", "map", "study", "timing"})
    EXPECT_FALSE(Section(html, id).empty()) << id;
  EXPECT_NE(Section(html, "data").find("blocks of 4.1 km"), std::string::npos);
  // The reliability diagram of the calibrated model: one dot per bin, in the models' section.
  const std::string reliability = ReadText(dir + "/reliability.svg");
  EXPECT_NE(Section(html, "models").find("Reliability diagram"), std::string::npos);
  EXPECT_NE(Section(html, "models").find(reliability), std::string::npos);
  EXPECT_NE(reliability.find("ResGCN"), std::string::npos);
  EXPECT_EQ(reliability.find("Logistic"), std::string::npos);  // not calibrated
  // Each fold's confusion, from the typed folds.
  EXPECT_NE(Section(html, "models").find(ConfusionText(results.comparison[0].run.folds[1].metrics.confusion)),
            std::string::npos);
  EXPECT_NE(ReadText(dir + "/models.csv").find("resgcn,ResGCN,mean,"), std::string::npos);
  EXPECT_EQ(html.find("WARNING"), std::string::npos);

  EvalResults warned = results;
  warned.warnings = {"the final ResGCN map: the global graph has no edges at alpha 0.9"};
  WriteEvalReport(warned, ReportedStudyFigures(), nullptr, dir);
  EXPECT_NE(ReadText(dir + "/report.html").find("WARNING</span> — the final ResGCN map: the global graph has no edges"),
            std::string::npos);
}

TEST(EvalReport, KeepsTheStudysFiguresApartFromOurs) {
  const std::string dir = test::ScratchDir("eval_report_study");
  WriteEvalReport(SmallResults(Wkt(32650), 4100), ReportedStudyFigures(), nullptr, dir);
  const std::string html = ReadText(dir + "/report.html");
  const std::string study = Section(html, "study");
  // The study's own section holds its figures, as printed, and says they are not comparable.
  EXPECT_NE(study.find("NOT COMPARABLE"), std::string::npos);
  EXPECT_NE(study.find("augment-then-split"), std::string::npos);
  EXPECT_NE(study.find(">95.34<"), std::string::npos);             // Table 2, ResGCN accuracy
  EXPECT_NE(study.find(">6690/10/700/5800<"), std::string::npos);  // Figure 6, GAN
  EXPECT_NE(study.find("0.6 best"), std::string::npos);
  // Ours carry none of them: no study column, bar, row or reference line.
  for (const std::string id : {"models", "augmentation", "alpha"}) {
    const std::string ours = Section(html, id);
    EXPECT_EQ(ours.find("95.34"), std::string::npos) << id;
    EXPECT_EQ(ours.find("6690/10"), std::string::npos) << id;
    EXPECT_EQ(ours.find("study acc"), std::string::npos) << id;
    EXPECT_EQ(ours.find("study TN"), std::string::npos) << id;
  }
  for (const std::string name : {"model_comparison.svg", "alpha_sweep.svg", "models.csv", "augmentation.csv"})
    EXPECT_EQ(ReadText(dir + "/" + name).find("study"), std::string::npos) << name;
  EXPECT_NE(ReadText(dir + "/study_table2.csv").find("ResGCN,95.34,89.33,99.90,94.43"), std::string::npos);
}

TEST(EvalReport, NamesTheBlockSizeUnitFromTheCrs) {
  const auto data_section = [](const EvalResults& results, const std::string& name) {
    const std::string dir = test::ScratchDir(name);
    WriteEvalReport(results, ReportedStudyFigures(), nullptr, dir);
    return Section(ReadText(dir + "/report.html"), "data");
  };
  EXPECT_NE(data_section(SmallResults(Wkt(4326), 0.05), "eval_report_degrees").find("blocks of 0.05°"),
            std::string::npos);
  EXPECT_NE(data_section(SmallResults("", 4100), "eval_report_no_crs").find("blocks of 4100 CRS units (no CRS)"),
            std::string::npos);
  // Repeats: each may shrink its blocks; the page gives the range.
  EvalResults repeated = SmallResults(Wkt(32650), 4100);
  repeated.layout.repeats = 2;
  repeated.layout.block_sizes = {4100, 3800};
  EXPECT_NE(data_section(repeated, "eval_report_repeats")
                .find("2 folds x 2 repeats, blocks of 4.1 km (3.8 km to 4.1 km over the repeats)"),
            std::string::npos);
}

TEST(StudyFigures, AreThePapersNumbers) {
  const StudyFigures& study = ReportedStudyFigures();
  ASSERT_EQ(study.table2.size(), 10u);
  ASSERT_NE(study.Table2Row("ResGAT"), nullptr);
  EXPECT_EQ(study.Table2Row("ResGAT")->accuracy, 95.92);
  EXPECT_EQ(study.Table2Row("logistic regression")->sensitivity, 66.50);
  EXPECT_EQ(study.Table2Row("nope"), nullptr);
  ASSERT_NE(study.Figure6Matrix(AugmentMethod::Noise), nullptr);
  EXPECT_EQ(study.Figure6Matrix(AugmentMethod::Noise)->fn, 1517);
  EXPECT_EQ(study.Figure6Matrix(AugmentMethod::None), nullptr);
  // Every eval model's Table 2 row exists in the study's table.
  for (const auto& model : EvalModels()) {
    if (!model.paper_row.empty()) {
      EXPECT_NE(study.Table2Row(model.paper_row), nullptr) << model.name;
    }
  }
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
