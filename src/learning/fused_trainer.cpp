#include "geoprosp/learning/fused_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/learning/fused_gnn.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"

namespace geoprosp {

std::string ToString(TrainEngine engine) { return engine == TrainEngine::Fused ? "fused" : "torch"; }
std::string ToString(TrainLoss loss) { return loss == TrainLoss::WeightedCrossEntropy ? "ce" : "nnpu"; }

TrainEngine ParseTrainEngine(const std::string& text) {
  if (text == "fused") return TrainEngine::Fused;
  if (text == "torch") return TrainEngine::Torch;
  throw UsageError("--train-engine", "expects fused|torch, got '" + text + "'");
}

TrainLoss ParseTrainLoss(const std::string& text) {
  if (text == "ce") return TrainLoss::WeightedCrossEntropy;
  if (text == "nnpu") return TrainLoss::NonNegativePu;
  throw UsageError("--loss", "expects ce|nnpu, got '" + text + "'");
}

std::string ToString(PretrainMethod method) { return method == PretrainMethod::Masked ? "masked" : "none"; }

PretrainMethod ParsePretrainMethod(const std::string& text) {
  if (text == "none") return PretrainMethod::None;
  if (text == "masked") return PretrainMethod::Masked;
  throw UsageError("--pretrain", "expects none|masked, got '" + text + "'");
}

bool KeepsEpoch(const TrainSettings& settings, double monitored, int epoch, TrainedModel& result, int& since_best) {
  if (epoch == 0) result.best_validation_loss = std::numeric_limits<double>::infinity();
  const bool keep =
      settings.keep_last_epoch ? std::isfinite(monitored) : monitored < result.best_validation_loss - 1e-6;
  if (!keep) {
    ++since_best;
    return false;
  }
  result.best_validation_loss = monitored;
  result.best_epoch = epoch + 1;
  since_best = 0;
  return true;
}

bool StopsEarly(const TrainSettings& settings, int since_best) {
  return !settings.keep_last_epoch && since_best >= settings.patience;
}

void CheckTrainingFinished(const TrainSettings& settings, const TrainedModel& result, bool kept_any) {
  if (!kept_any || (settings.keep_last_epoch && result.best_epoch != result.epochs_run))
    throw Error("training", "the loss never became finite (diverged); try a smaller --lr or --hidden");
}

int HiddenPerCell(double share, int n_elements) {
  return std::clamp(static_cast<int>(std::lround(share * n_elements)), 1, std::max(1, n_elements - 1));
}

void CheckNodeFeatures(const ModelSpec& spec, const SampleSet& samples) {
  if (samples.node_features != spec.node_features)
    throw Error("training data", "has " + std::to_string(samples.node_features) + " values per node; the model reads " +
                                     std::to_string(spec.node_features));
}

namespace {

// Kiryo et al.'s defaults: a step on the negative risk alone once it falls below -beta, scaled by gamma.
constexpr double kNnpuBeta = 0, kNnpuGamma = 1;

// LibTorch's Adam (torch/csrc/api/src/optim/adam.cpp), in float as there (one division per parameter
// instead of two: the last bit may differ), on the model's threads (FusedResGnn::AdamStep).
// weight_decay adds weight_decay x p to each gradient first (an L2 penalty, as LibTorch's Adam).
class Adam {
 public:
  Adam(size_t size, double lr, double weight_decay = 0)
      : lr_(lr), weight_decay_(weight_decay), m_(size, 0.0f), v_(size, 0.0f) {}
  void Step(FusedResGnn& model, const std::vector<float>& gradient) {
    ++step_;
    const double correction1 = 1 - std::pow(kBeta1, step_), correction2 = 1 - std::pow(kBeta2, step_);
    AdamCoefficients c;
    c.beta1 = float(kBeta1);
    c.beta2 = float(kBeta2);
    c.rest1 = float(1 - kBeta1);
    c.rest2 = float(1 - kBeta2);
    c.inverse_root2 = float(1 / std::sqrt(correction2));
    c.step_size = float(lr_ / correction1);
    c.eps = float(kEps);
    c.decay = float(weight_decay_);
    model.AdamStep(c, gradient.data(), m_.data(), v_.data());
  }

 private:
  static constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  double lr_, weight_decay_;
  int64_t step_ = 0;
  std::vector<float> m_, v_;
};

struct Batch {
  std::vector<size_t> samples;
  LossWeights weights;
};

// What the loss makes of the samples: the batches of an epoch, each slot's weights, the step's
// gradient from the two gradients FusedResGnn returns, and the loss that early stopping watches.
class Objective {
 public:
  virtual ~Objective() = default;
  virtual std::vector<Batch> Epoch(std::mt19937_64& rng) = 0;
  virtual bool NeedsPositiveGradient() const = 0;
  // The step's gradient (in `gradient`) and the batch's loss.
  virtual double Step(const LossParts& parts, std::vector<float>& gradient, const std::vector<float>& positive) = 0;
  virtual LossWeights Weights(const std::vector<int>& labels, const std::vector<size_t>& slots) const = 0;
  virtual double Monitored(const LossParts& parts) const = 0;
};

// Cross-entropy, each class weighted n / (2 n_class) over the training labels (as
// WeightedCrossEntropy); a batch's loss is Σ w_y ℓ_y / Σ w_y (LibTorch's weighted mean).
class WeightedCrossEntropy : public Objective {
 public:
  WeightedCrossEntropy(const std::vector<int>& labels, int batch_size) : labels_(labels), batch_size_(batch_size) {
    const int64_t n = static_cast<int64_t>(labels.size());
    const int64_t positives = std::count(labels.begin(), labels.end(), 1);
    if (positives == 0 || positives == n)
      throw Error("training data", "holds a single class only; need deposits and background cells");
    class_weight_[0] = float(n) / (2.0f * (n - positives));
    class_weight_[1] = float(n) / (2.0f * positives);
    order_.resize(labels.size());
    std::iota(order_.begin(), order_.end(), size_t{0});
  }
  std::vector<Batch> Epoch(std::mt19937_64& rng) override {
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng() % i]);  // as TrainTorchModel
    std::vector<Batch> batches;
    for (size_t first = 0; first < order_.size(); first += batch_size_) {
      Batch batch;
      batch.samples.assign(order_.begin() + first, order_.begin() + std::min(order_.size(), first + batch_size_));
      batch.weights = Weights(labels_, batch.samples);
      batches.push_back(std::move(batch));
    }
    return batches;
  }
  bool NeedsPositiveGradient() const override { return false; }
  double Step(const LossParts& parts, std::vector<float>&, const std::vector<float>&) override { return parts.total(); }
  LossWeights Weights(const std::vector<int>& labels, const std::vector<size_t>& slots) const override {
    double total = 0;
    for (size_t i : slots) total += class_weight_[labels[i]];
    LossWeights weights;
    weights.negative.assign(slots.size(), 0.0f);
    weights.positive.assign(slots.size(), 0.0f);
    for (size_t s = 0; s < slots.size(); ++s) {
      const float w = static_cast<float>(class_weight_[labels[slots[s]]] / total);
      (labels[slots[s]] == 1 ? weights.positive : weights.negative)[s] = w;
    }
    return weights;
  }
  double Monitored(const LossParts& parts) const override { return parts.total(); }

 private:
  const std::vector<int>& labels_;
  size_t batch_size_;
  float class_weight_[2];
  std::vector<size_t> order_;
};

// The non-negative PU risk π R_P+ + max(0, R_U- - π R_P-) (Kiryo et al. 2017), with the cross-entropy
// ℓ(z, 1) and ℓ(z, 0) as the losses of calling a sample positive and negative. Positives are rare, so
// every batch holds max(1, round(batch x n_P / n)) of them, drawn in turn from a shuffled list of all
// positives, and the rest is unlabelled samples: an epoch is one pass over the unlabelled samples.
// When the batch's negative risk falls below -beta, the step follows -gamma ∇(R_U- - π R_P-) alone.
class NonNegativePu : public Objective {
 public:
  NonNegativePu(const std::vector<int>& labels, int batch_size, double prior) : prior_(prior) {
    for (size_t i = 0; i < labels.size(); ++i) (labels[i] == 1 ? positives_ : unlabelled_).push_back(i);
    if (positives_.empty() || unlabelled_.empty())
      throw Error("training data", "holds a single class only; nnPU needs deposits and unlabelled cells");
    const double share = double(positives_.size()) / labels.size();
    per_batch_ = std::max<size_t>(1, static_cast<size_t>(std::lround(batch_size * share)));
    unlabelled_per_batch_ =
        std::max<size_t>(1, static_cast<size_t>(batch_size) - std::min<size_t>(batch_size - 1, per_batch_));
    next_positive_ = positives_.size();  // shuffle before the first draw
  }
  std::vector<Batch> Epoch(std::mt19937_64& rng) override {
    for (size_t i = unlabelled_.size(); i > 1; --i) std::swap(unlabelled_[i - 1], unlabelled_[rng() % i]);
    std::vector<Batch> batches;
    for (size_t first = 0; first < unlabelled_.size(); first += unlabelled_per_batch_) {
      Batch batch;
      for (size_t p = 0; p < per_batch_; ++p) {
        if (next_positive_ == positives_.size()) {
          for (size_t i = positives_.size(); i > 1; --i) std::swap(positives_[i - 1], positives_[rng() % i]);
          next_positive_ = 0;
        }
        batch.samples.push_back(positives_[next_positive_++]);
      }
      const size_t end = std::min(unlabelled_.size(), first + unlabelled_per_batch_);
      batch.samples.insert(batch.samples.end(), unlabelled_.begin() + first, unlabelled_.begin() + end);
      batch.weights = Split(per_batch_, end - first);
      batches.push_back(std::move(batch));
    }
    return batches;
  }
  bool NeedsPositiveGradient() const override { return true; }
  double Step(const LossParts& parts, std::vector<float>& gradient, const std::vector<float>& positive) override {
    if (parts.negative < -kNnpuBeta) {  // the step on -gamma ∇(negative risk) = gamma (∇ positive part - ∇ total)
      for (size_t i = 0; i < gradient.size(); ++i)
        gradient[i] = static_cast<float>(kNnpuGamma * (double(positive[i]) - gradient[i]));
    }
    return Monitored(parts);
  }
  LossWeights Weights(const std::vector<int>& labels, const std::vector<size_t>& slots) const override {
    size_t positives = 0;
    for (size_t i : slots) positives += labels[i] == 1;
    LossWeights weights = Split(positives, slots.size() - positives);
    // Split puts the positives first; put each weight on its slot.
    LossWeights placed;
    size_t p = 0, u = positives;
    for (size_t i : slots) {
      const size_t from = labels[i] == 1 ? p++ : u++;
      placed.negative.push_back(weights.negative[from]);
      placed.positive.push_back(weights.positive[from]);
    }
    return placed;
  }
  double Monitored(const LossParts& parts) const override { return parts.positive + std::max(0.0, parts.negative); }

 private:
  // Weights of `positives` positive slots, then `unlabelled` unlabelled ones: the negative part
  // R_U- - π R_P- in `negative`, π R_P+ in `positive`.
  LossWeights Split(size_t positives, size_t unlabelled) const {
    LossWeights weights;
    const float p = positives ? float(prior_ / positives) : 0.0f, u = unlabelled ? float(1.0 / unlabelled) : 0.0f;
    weights.negative.assign(positives, -p);
    weights.positive.assign(positives, p);
    weights.negative.insert(weights.negative.end(), unlabelled, u);
    weights.positive.insert(weights.positive.end(), unlabelled, 0.0f);
    return weights;
  }

  double prior_;
  std::vector<size_t> positives_, unlabelled_;
  size_t per_batch_ = 1, unlabelled_per_batch_ = 1, next_positive_ = 0;
};

std::vector<size_t> Everything(size_t n) {
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t{0});
  return all;
}

constexpr uint64_t kPretrainStream = 0x6a09e667f3bcc909ULL, kInputNoiseStream = 0xbb67ae8584caa73bULL;

// Dropout's key for step `step` of a run seeded `seed` (never 0, which means no dropout).
uint64_t DropoutKey(uint64_t seed, uint64_t step) {
  const uint64_t key = seed * 0x9e3779b97f4a7c15ULL + step * 0xd1b54a32d192ed03ULL;
  return key == 0 ? 1 : key;
}

// The tensors of the backbone: the input layer and the residual layers (with GAT's attention vectors).
bool IsBackboneTensor(const std::string& name) { return name.rfind("input.", 0) == 0 || name.rfind("layer", 0) == 0; }

}  // namespace

TrainedModel TrainFusedResGnn(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                              const TrainSettings& settings, const Progress& progress,
                              const std::vector<NamedTensor>& initial_weights) {
  if (train.size() == 0) throw Error("training data", "holds no sample");
  if (settings.batch_size < 1) throw UsageError("--batch-size", "must be at least 1");
  if (!(settings.input_noise >= 0)) throw UsageError("--input-noise", "must be at least 0");
  TrainedModel result;
  Progress training = progress;
  std::unique_ptr<ScaledProgress> estimate_part, training_part;
  std::unique_ptr<Objective> objective;
  if (settings.loss == TrainLoss::NonNegativePu) {
    if (settings.prior < 0 || settings.prior >= 1) throw UsageError("--prior", "must lie in (0, 1), or be auto");
    result.prior = settings.prior;
    if (result.prior == 0) {
      estimate_part = std::make_unique<ScaledProgress>(progress, 0.0, 0.5);
      training_part = std::make_unique<ScaledProgress>(progress, 0.5, 1.0);
      result.prior = EstimateClassPrior(spec, train, validation, settings, estimate_part->get()).prior;
      training = training_part->get();
    }
    objective = std::make_unique<NonNegativePu>(train.labels, settings.batch_size, result.prior);
  } else {
    objective = std::make_unique<WeightedCrossEntropy>(train.labels, settings.batch_size);
  }

  CheckNodeFeatures(spec, train);
  FusedResGnn model(spec, train.n_elements, settings.threads);
  if (initial_weights.empty()) {
    model.Initialise(settings.seed);
  } else {
    model.SetWeights(initial_weights);
  }
  std::vector<float>& params = model.parameters();
  Adam adam(params.size(), settings.lr, settings.weight_decay);
  std::vector<float> gradient(params.size()), positive(params.size()), best;
  const std::vector<size_t> validation_slots = Everything(validation.size());
  const LossWeights validation_weights =
      validation.size() > 0 ? objective->Weights(validation.labels, validation_slots) : LossWeights{};

  std::mt19937_64 rng(settings.seed);
  // Input noise: each epoch sees every sample's node features plus fresh Gaussian noise (its own
  // stream, so that the batches and dropout stay those of a run without it).
  std::mt19937_64 noise_rng(settings.seed ^ kInputNoiseStream);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(settings.input_noise));
  SampleSet noisy;
  if (settings.input_noise > 0) noisy = train;
  const SampleSet& seen_samples = settings.input_noise > 0 ? noisy : train;
  uint64_t step = 0;
  int since_best = 0;
  for (int epoch = 0; epoch < settings.epochs; ++epoch) {
    double train_loss = 0;
    size_t seen = 0;
    if (settings.input_noise > 0) {
      for (size_t i = 0; i < train.features.size(); ++i) noisy.features[i] = train.features[i] + noise(noise_rng);
    }
    for (const Batch& batch : objective->Epoch(rng)) {
      const LossParts parts =
          model.Backward(seen_samples, batch.samples, batch.weights, DropoutKey(settings.seed, ++step), gradient.data(),
                         objective->NeedsPositiveGradient() ? positive.data() : nullptr);
      train_loss += objective->Step(parts, gradient, positive) * batch.samples.size();
      seen += batch.samples.size();
      adam.Step(model, gradient);
    }
    const double monitored = validation.size() > 0
                                 ? objective->Monitored(model.Loss(validation, validation_slots, validation_weights))
                                 : train_loss / seen;
    result.epochs_run = epoch + 1;
    result.monitored_loss.push_back(monitored);
    if (KeepsEpoch(settings, monitored, epoch, result, since_best)) {
      best = params;
    } else if (StopsEarly(settings, since_best)) {
      break;
    }
    training.Report(double(epoch + 1) / settings.epochs);
  }
  CheckTrainingFinished(settings, result, !best.empty());
  params = best;
  result.weights = model.Weights();
  training.Report(1.0);
  progress.Report(1.0);
  return result;
}

PretrainedBackbone PretrainMaskedBackbone(const ModelSpec& spec, const SampleSet& cells,
                                          const PretrainSettings& settings, const TrainSettings& train,
                                          const Progress& progress) {
  if (settings.method != PretrainMethod::Masked) throw Error("--pretrain", "asks for no masked pre-training");
  if (settings.epochs < 1) throw UsageError("--pretrain-epochs", "must be at least 1");
  if (!(settings.mask_share > 0 && settings.mask_share < 1)) throw UsageError("--mask-share", "must lie in (0, 1)");
  if (cells.size() == 0) throw Error("pre-training data", "holds no cell");
  if (cells.n_elements < 2) throw Error("pre-training data", "needs at least 2 elements to hide one");
  if (train.batch_size < 1) throw UsageError("--batch-size", "must be at least 1");
  CheckNodeFeatures(spec, cells);
  const auto start = std::chrono::steady_clock::now();
  const int n = cells.n_elements, hidden = HiddenPerCell(settings.mask_share, n);
  FusedResGnn model(spec, n, train.threads, GnnObjective::MaskedValues);
  model.Initialise(train.seed);
  std::vector<float>& params = model.parameters();
  Adam adam(params.size(), train.lr);
  std::vector<float> gradient(params.size());
  PretrainedBackbone result;
  result.summary.cells = static_cast<int64_t>(cells.size());
  result.summary.hidden_per_cell = hidden;
  // Its own streams, apart from the classifier's batches and dropout.
  std::mt19937_64 rng(train.seed ^ kPretrainStream);
  std::vector<size_t> order = Everything(cells.size());
  std::vector<int> elements(n);
  std::vector<size_t> batch;
  std::vector<uint8_t> hidden_nodes;
  uint64_t step = 0;
  for (int epoch = 0; epoch < settings.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    double loss = 0;
    for (size_t first = 0; first < order.size(); first += size_t(train.batch_size)) {
      batch.assign(order.begin() + first, order.begin() + std::min(order.size(), first + train.batch_size));
      hidden_nodes.assign(batch.size() * n, 0);
      for (size_t slot = 0; slot < batch.size(); ++slot) {  // `hidden` distinct elements, uniformly
        std::iota(elements.begin(), elements.end(), 0);
        for (int k = 0; k < hidden; ++k) {
          std::swap(elements[k], elements[k + rng() % (n - k)]);
          hidden_nodes[slot * n + elements[k]] = 1;
        }
      }
      loss += model.MaskedBackward(cells, batch, hidden_nodes, DropoutKey(train.seed ^ kPretrainStream, ++step),
                                   gradient.data()) *
              double(batch.size());
      adam.Step(model, gradient);
    }
    const double mean = loss / double(order.size());
    if (!std::isfinite(mean))
      throw Error("pre-training", "the loss is not finite (diverged); try a smaller --lr or --hidden");
    result.summary.epoch_loss.push_back(mean);
    result.summary.epochs = epoch + 1;
    progress.Report(double(epoch + 1) / settings.epochs);
  }
  for (NamedTensor& tensor : model.Weights()) {
    if (IsBackboneTensor(tensor.name)) result.weights.push_back(std::move(tensor));
  }
  result.summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::vector<NamedTensor> WithBackbone(const ModelSpec& spec, int n_elements, uint64_t seed,
                                      const std::vector<NamedTensor>& backbone) {
  FusedResGnn model(spec, n_elements, 1);
  model.Initialise(seed);
  std::vector<NamedTensor> weights = model.Weights();
  for (const NamedTensor& tensor : backbone) {
    auto slot =
        std::find_if(weights.begin(), weights.end(), [&](const NamedTensor& t) { return t.name == tensor.name; });
    if (slot == weights.end() || slot->shape != tensor.shape)
      throw Error("pre-trained backbone", "tensor " + tensor.name + " does not fit the classifier");
    slot->values = tensor.values;
  }
  return weights;
}

PriorEstimate EstimateClassPrior(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                                 const TrainSettings& settings, const Progress& progress) {
  TrainSettings classifier_settings = settings;
  classifier_settings.loss = TrainLoss::WeightedCrossEntropy;
  const TrainedModel classifier = TrainFusedResGnn(spec, train, validation, classifier_settings, progress);
  const bool held_out_positives = std::count(validation.labels.begin(), validation.labels.end(), 1) > 0;
  const SampleSet& held_out = held_out_positives ? validation : train;
  Bundle bundle;
  bundle.elements.assign(held_out.n_elements, "");
  bundle.model = spec;
  bundle.weights = classifier.weights;
  std::vector<float> score(held_out.size());
  MakeFusedScorer(bundle, settings.threads > 0 ? settings.threads : DefaultThreadCount())
      ->Score(held_out.features.data(), held_out.adjacency.data(), held_out.per_sample_adjacency,
              static_cast<int64_t>(held_out.size()), score.data());
  std::vector<float> positive, unlabelled;
  for (size_t i = 0; i < held_out.size(); ++i) (held_out.labels[i] == 1 ? positive : unlabelled).push_back(score[i]);
  PriorEstimate estimate;
  estimate.labelled_share = double(positive.size()) / held_out.size();
  if (positive.empty() || unlabelled.empty()) {
    estimate.prior = std::max(estimate.labelled_share, 1e-6);
    return estimate;
  }
  // kappa = min over thresholds t of P_U(score >= t) / P_P(score >= t), with at least half of the
  // positives above t (fewer would make the ratio noise).
  std::sort(positive.begin(), positive.end(), std::greater<float>());
  std::sort(unlabelled.begin(), unlabelled.end(), std::greater<float>());
  double kappa = 1;
  for (size_t k = (positive.size() - 1) / 2; k < positive.size(); ++k) {
    const float t = positive[k];
    size_t above = 0;
    while (above < unlabelled.size() && unlabelled[above] >= t) ++above;
    const double tail_p = double(k + 1) / positive.size(), tail_u = double(above) / unlabelled.size();
    kappa = std::min(kappa, tail_u / tail_p);
  }
  estimate.unlabelled_positive_share = kappa;
  estimate.prior = std::clamp(estimate.labelled_share + kappa * (1 - estimate.labelled_share),
                              std::max(estimate.labelled_share, 1e-6), 0.5);
  return estimate;
}

void WarnIfPortableTrainer(TrainEngine engine, std::vector<std::string>& warnings) {
  const char* forced = std::getenv("GEOPROSP_KERNEL");
  if (engine != TrainEngine::Fused || (forced && *forced && std::string(forced) != "auto")) return;
  if (ChosenFusedKernel() != FusedKernel::Scalar) return;
  AddWarning(warnings,
             "this CPU has no AVX2 (or is not x86-64): the fused trainer runs its portable kernel, about 30 times "
             "slower than on an AVX2 CPU; --train-engine torch may train the residual GNNs faster here");
}

}  // namespace geoprosp
