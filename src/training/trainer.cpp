#include "geoprosp/training/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "geoprosp/training/torch_training.hpp"

namespace geoprosp {

void SetTorchThreads(int threads) {
  at::set_num_threads(threads > 0 ? threads : DefaultThreadCount());
  ClaimBlasBuffer();
}

void ClaimBlasBuffer() {
  static bool claimed = false;
  if (claimed) return;
  // OpenBLAS takes one working buffer (128 MB and a page on x86-64 and arm64) per thread of a product,
  // and spins forever when it cannot get one: claim them all now, where failing is still an error.
  constexpr size_t kBuffer = size_t(136) << 20;
  const size_t buffers = static_cast<size_t>(DefaultThreadCount()) + 1;
  void* room = std::malloc(kBuffer * buffers);
  if (!room) throw OutOfMemory("no room for OpenBLAS's working buffers");
  std::free(room);
  torch::NoGradGuard no_grad;
  torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));          // this thread's buffer
  torch::mm(torch::ones({512, 512}), torch::ones({512, 512}));  // large enough to run on every BLAS thread
  claimed = true;
}

torch::Tensor ValuesTensor(const SampleSet& s) {
  return torch::from_blob(const_cast<float*>(s.features.data()), {int64_t(s.size()), int64_t(s.width())},
                          torch::kFloat32);
}

torch::Tensor AdjacencyTensor(const SampleSet& s) {
  const int64_t e = s.n_elements;
  if (s.per_sample_adjacency)
    return torch::from_blob(const_cast<float*>(s.adjacency.data()), {int64_t(s.size()), e, e}, torch::kFloat32);
  return torch::from_blob(const_cast<float*>(s.adjacency.data()), {e, e}, torch::kFloat32);
}

torch::Tensor LabelsTensor(const SampleSet& s) {
  std::vector<int64_t> labels(s.labels.begin(), s.labels.end());
  return torch::tensor(labels, torch::kInt64);
}

BatchLoss WeightedCrossEntropy(std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward,
                               const std::vector<int>& labels) {
  const int64_t positives = std::count(labels.begin(), labels.end(), 1);
  const int64_t n = static_cast<int64_t>(labels.size());
  if (positives == 0 || positives == n)
    throw Error("training data", "holds " + std::to_string(positives) + " deposit cells and " +
                                     std::to_string(n - positives) + " background cells: a fit needs both");
  const auto class_weights = torch::tensor({float(n) / (2.0f * (n - positives)), float(n) / (2.0f * positives)});
  return [forward = std::move(forward), class_weights](const torch::Tensor& values, const torch::Tensor& adjacency,
                                                       const torch::Tensor& y) {
    return torch::nn::functional::cross_entropy(forward(values, adjacency), y,
                                                torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights));
  };
}

TrainedModel TrainTorchModel(const std::function<TorchTrainee()>& make, const SampleSet& train,
                             const SampleSet& validation, const TrainSettings& settings, const Progress& progress) {
  const int64_t n = static_cast<int64_t>(train.size());
  if (n == 0) throw Error("training data", "holds no sample");
  torch::manual_seed(settings.seed);
  const TorchTrainee trainee = make();
  torch::nn::Module& model = *trainee.module;
  torch::optim::Adam optimizer(model.parameters(),
                               torch::optim::AdamOptions(settings.lr).weight_decay(settings.weight_decay));
  const auto x = ValuesTensor(train), a = AdjacencyTensor(train), y = LabelsTensor(train);
  const bool has_validation = validation.size() > 0;
  torch::Tensor vx, va, vy;
  if (has_validation) {
    vx = ValuesTensor(validation);
    va = AdjacencyTensor(validation);
    vy = LabelsTensor(validation);
  }
  std::mt19937_64 rng(settings.seed);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  TrainedModel result;
  int since_best = 0;
  for (int epoch = 0; epoch < settings.epochs; ++epoch) {
    model.train();
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    double train_loss = 0;
    for (int64_t first = 0; first < n; first += settings.batch_size) {
      const int64_t count = std::min<int64_t>(settings.batch_size, n - first);
      const auto index = torch::from_blob(order.data() + first, {count}, torch::kInt64);
      const auto batch_adjacency = train.per_sample_adjacency ? a.index_select(0, index) : a;
      const auto loss = trainee.loss(x.index_select(0, index), batch_adjacency, y.index_select(0, index));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      train_loss += loss.item<double>() * count;
    }
    double monitored = train_loss / n;
    if (has_validation) {
      torch::NoGradGuard no_grad;
      model.eval();
      monitored = trainee.loss(vx, va, vy).item<double>();
    }
    result.epochs_run = epoch + 1;
    result.monitored_loss.push_back(monitored);
    if (KeepsEpoch(settings, monitored, epoch, result, since_best)) {
      result.weights = ExportWeights(model);
    } else if (StopsEarly(settings, since_best)) {
      break;
    }
    progress.Report(double(epoch + 1) / settings.epochs);
  }
  CheckTrainingFinished(settings, result, !result.weights.empty());
  progress.Report(1.0);
  return result;
}

TrainedModel TrainResGnn(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                         const TrainSettings& settings, const Progress& progress,
                         const std::vector<NamedTensor>& initial_weights) {
  if (settings.engine == TrainEngine::Fused)
    return TrainFusedResGnn(spec, train, validation, settings, progress, initial_weights);
  if (settings.loss != TrainLoss::WeightedCrossEntropy)
    throw UsageError("--loss", ToString(settings.loss) + " needs --train-engine fused");
  if (settings.input_noise > 0) throw UsageError("--input-noise", "needs --train-engine fused");
  const auto make = [&] {
    CheckNodeFeatures(spec, train);
    ResGnn model(spec, train.n_elements);
    if (!initial_weights.empty()) ImportWeights(model, initial_weights);
    return TorchTrainee{model.ptr(), WeightedCrossEntropy(
                                         [model](const torch::Tensor& values, const torch::Tensor& adjacency) mutable {
                                           return model->forward(values, adjacency);
                                         },
                                         train.labels)};
  };
  return TrainTorchModel(make, train, validation, settings, progress);
}

std::vector<float> PredictResGnn(const ModelSpec& spec, const std::vector<NamedTensor>& weights,
                                 const SampleSet& samples, int threads) {
  CheckNodeFeatures(spec, samples);
  Bundle bundle;
  bundle.elements.assign(samples.n_elements, "");
  bundle.model = spec;
  bundle.weights = weights;
  std::vector<float> probabilities(samples.size());
  MakeFusedScorer(bundle, threads)
      ->Score(samples.features.data(), samples.adjacency.data(), samples.per_sample_adjacency,
              static_cast<int64_t>(samples.size()), probabilities.data());
  RequireFiniteProbabilities(probabilities.data(), static_cast<int64_t>(probabilities.size()),
                             "the trained " + spec.arch + " model (training diverged: try a smaller --lr)");
  return probabilities;
}

}  // namespace geoprosp
