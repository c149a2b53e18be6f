#include "geoprosp/experiment/eval_models.hpp"

#include <algorithm>

#include "geoprosp/core/error.hpp"
#include "geoprosp/experiment/baselines.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/training/graph_baselines.hpp"

namespace geoprosp {
namespace {

// The inner-training and inner-validation parts together, for models that do not stop early.
SampleSet Joined(const FitData& data) {
  SampleSet joined = data.fit;
  for (size_t i = 0; i < data.validation.size(); ++i) joined.Append(data.validation, i);
  return joined;
}

Points PointsOf(const SampleSet& samples) {
  return {samples.features.data(), samples.size(), static_cast<int>(samples.width())};
}

SampleSet Background(const SampleSet& samples) { return samples.Subset(IndicesWhere(samples.labels, 0)); }

template <class Model>
std::vector<float> FitClassical(Model model, const FitData& data, const SampleSet& test) {
  const SampleSet train = Joined(data);
  model.Fit(PointsOf(train), train.labels);
  return model.Score(PointsOf(test));
}

TrainSettings Seeded(TrainSettings settings, uint64_t seed) {
  settings.seed = seed;
  return settings;
}

NeuralBaselineSpec BaselineSpec(const std::string& arch, const ModelSpec& network) {
  NeuralBaselineSpec spec;
  spec.arch = arch;
  spec.hidden = network.hidden;
  spec.layers = network.layers;
  spec.dropout = network.dropout;
  return spec;
}

}  // namespace

const std::vector<EvalModel>& EvalModels() {
  static const std::vector<EvalModel> models = {
      {"resgcn", "ResGCN", "residual GNN",
       "Residual GCN: input Linear(E+1 -> hidden), --layers layers relu(Â H W) + H, mean||max readout, MLP head",
       "ResGCN"},
      {"resgat", "ResGAT", "residual GNN",
       "Residual GAT: as ResGCN, with multi-head (--heads) attention over the edges of Â in each layer", "ResGAT"},
      {"gin", "GIN", "graph baseline",
       "Graph Isomorphism Network: --layers layers MLP((1+eps) h + sum of neighbours), sum readout of every layer",
       "GIN"},
      {"graphsage", "GraphSAGE", "graph baseline",
       "GraphSAGE, mean aggregator: --layers layers relu(W_self h + W_neigh mean of neighbours), unit-length rows",
       "GraphSAGE"},
      {"diffpool", "DiffPool", "graph baseline",
       "Dense DiffPool: --layers GCN layers embed and softly assign the nodes to 4 clusters, one GCN layer on the "
       "pooled graph, link-prediction and entropy terms in the loss",
       "DiffPool"},
      {"mlp", "MLP", "neural (clr vector)",
       "Multilayer perceptron on the clr vector: two hidden ReLU layers of --hidden", ""},
      {"autoencoder", "Autoencoder", "neural (clr vector)",
       "Autoencoder E-32-4-32-E trained on background cells; reconstruction error, Platt-scaled on the training "
       "samples, is the score",
       "autoencoder"},
      {"ae-logreg", "AE + logistic", "neural (clr vector)",
       "Autoencoder E-32-4-32-E trained on all training samples; logistic regression on its 4-d code", ""},
      {"logreg", "Logistic regression", "classical (clr vector)",
       "Class-balanced logistic regression, L2 penalty 0.01, Newton's method", "logistic regression"},
      {"svm-linear", "SVM (linear)", "classical (clr vector)",
       "Class-balanced linear soft-margin SVM, C = 1, dual coordinate descent; Platt-scaled decision values", "SVM"},
      {"svm-rbf", "SVM (RBF)", "classical (clr vector)",
       "Class-balanced RBF soft-margin SVM, C = 1, gamma = 1/E, dual coordinate descent; Platt-scaled decision "
       "values",
       "SVM"},
      {"knn", "KNN", "classical (clr vector)", "k = 10 nearest neighbours (Euclidean), class-balanced vote", "KNN"},
      {"kmeans", "k-means", "classical (clr vector)",
       "k-means++ centroids of the background (8) and of the deposits (3); score d_bg / (d_bg + d_deposit)", "k-means"},
  };
  return models;
}

const EvalModel& FindEvalModel(const std::string& name) {
  for (const auto& model : EvalModels()) {
    if (model.name == name) return model;
  }
  std::string known;
  for (const auto& model : EvalModels()) known += (known.empty() ? "" : ",") + model.name;
  throw UsageError("--models", "unknown model '" + name + "'; known: " + known);
}

namespace {
std::vector<float> FitAndScoreAny(const std::string& model, const FitData& data, const SampleSet& test,
                                  const FitSettings& settings, uint64_t seed, const Progress& progress) {
  const TrainSettings train = Seeded(settings.train, seed);
  if (model == "resgcn" || model == "resgat") {
    ModelSpec spec = settings.spec;
    spec.arch = model;
    // An ensemble scores the mean of its members' probabilities, as geoprosp-map does.
    const int members = std::max(1, settings.members);
    std::vector<double> sum(test.size(), 0.0);
    for (int member = 0; member < members; ++member) {
      ScaledProgress member_progress(progress, double(member) / members, double(member + 1) / members);
      const TrainedModel trained = TrainNetwork(spec, data, settings, MemberSeed(seed, member), member_progress.get());
      const std::vector<float> scores = PredictResGnn(spec, trained.weights, test, settings.threads);
      for (size_t i = 0; i < scores.size(); ++i) sum[i] += scores[i];
    }
    std::vector<float> mean(test.size());
    for (size_t i = 0; i < sum.size(); ++i) mean[i] = static_cast<float>(sum[i] / members);
    return mean;
  }
  if (model == "gin" || model == "graphsage" || model == "diffpool" || model == "mlp") {
    const auto spec = BaselineSpec(model, settings.spec);
    const TrainedModel trained = TrainNeuralBaseline(spec, data.fit, data.validation, train, progress);
    return PredictNeuralBaseline(spec, trained.weights, test);
  }
  if (model == "autoencoder") {
    // An anomaly detector: it learns to reconstruct background cells only.
    const auto spec = BaselineSpec(model, settings.spec);
    const TrainedModel trained =
        TrainNeuralBaseline(spec, Background(data.fit), Background(data.validation), train, progress);
    const SampleSet fitted = Joined(data);
    PlattScaling platt;
    platt.Fit(PredictNeuralBaseline(spec, trained.weights, fitted), fitted.labels);
    return platt.Apply(PredictNeuralBaseline(spec, trained.weights, test));
  }
  if (model == "ae-logreg") {
    const auto spec = BaselineSpec("autoencoder", settings.spec);
    const TrainedModel trained = TrainNeuralBaseline(spec, data.fit, data.validation, train, progress);
    const SampleSet fitted = Joined(data);
    const auto codes = EncodeAutoencoder(spec, trained.weights, fitted);
    const auto test_codes = EncodeAutoencoder(spec, trained.weights, test);
    LogisticRegression logistic;
    logistic.Fit({codes.data(), fitted.size(), spec.code}, fitted.labels);
    return logistic.Score({test_codes.data(), test.size(), spec.code});
  }
  progress.Report(1.0);
  if (model == "logreg") return FitClassical(LogisticRegression(), data, test);
  if (model == "svm-linear") return FitClassical(Svm({SvmKernel::Linear, 1.0, 0, 300, 1e-3, 4000, seed}), data, test);
  if (model == "svm-rbf") return FitClassical(Svm({SvmKernel::Rbf, 1.0, 0, 300, 1e-3, 4000, seed}), data, test);
  if (model == "knn") return FitClassical(NearestNeighbours(10), data, test);
  if (model == "kmeans") return FitClassical(KMeansScorer(8, 3, seed), data, test);
  throw UsageError("--models", "unknown model '" + model + "'");
}

}  // namespace

std::vector<float> FitAndScoreModel(const std::string& model, const FitData& data, const SampleSet& test,
                                    const FitSettings& settings, uint64_t seed, const Progress& progress) {
  const auto scores = FitAndScoreAny(model, data, test, settings, seed, progress);
  RequireFiniteProbabilities(scores.data(), static_cast<int64_t>(scores.size()), "model " + model);
  return scores;
}

}  // namespace geoprosp
