#pragma once
// How a residual GNN is trained (settings and results both engines share), and the fused CPU trainer:
// Adam on class-weighted cross-entropy or on the non-negative PU risk, over FusedResGnn. Torch-free;
// training/trainer.hpp's TrainResGnn picks the engine.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/learning/samples.hpp"
#include "geoprosp/models/model_spec.hpp"

namespace geoprosp {

// fused: FusedResGnn (plain C++, the default); torch: LibTorch's autograd (the reference).
enum class TrainEngine { Fused, Torch };
// ce: cross-entropy, each class weighted n / (2 n_class). nnpu: the non-negative PU risk of Kiryo et
// al. (2017), positives against unlabelled cells (label 0 means unlabelled, not negative).
enum class TrainLoss { WeightedCrossEntropy, NonNegativePu };
std::string ToString(TrainEngine engine);
std::string ToString(TrainLoss loss);
TrainEngine ParseTrainEngine(const std::string& text);  // UsageError names --train-engine
TrainLoss ParseTrainLoss(const std::string& text);      // UsageError names --loss

struct TrainSettings {
  int epochs = 200;
  double lr = 1e-3;
  double weight_decay = 0;  // L2 penalty on every weight, added to the gradient (LibTorch's Adam weight_decay)
  double input_noise = 0;   // fused engine: SD of Gaussian noise added to the node features afresh each epoch
  int batch_size = 64;
  int patience = 30;  // epochs without a better validation loss before stopping
  // true: run every epoch and keep the last one's weights (an epoch count chosen beforehand, see
  // EarlyStopping::InnerCv); false: keep the best monitored epoch's.
  bool keep_last_epoch = false;
  uint64_t seed = 42;
  int threads = 0;  // fused engine: 0 = all cores (LibTorch uses its own setting)
  TrainEngine engine = TrainEngine::Fused;
  TrainLoss loss = TrainLoss::WeightedCrossEntropy;
  double prior = 0;  // nnpu: the class prior π in (0, 1); 0 = estimated (EstimateClassPrior)
};

// Self-supervised pre-training of the backbone before the classifier is trained: none, or masked node
// values (GnnObjective::MaskedValues) over unlabelled cells.
enum class PretrainMethod { None, Masked };
std::string ToString(PretrainMethod method);
PretrainMethod ParsePretrainMethod(const std::string& text);  // UsageError names --pretrain

struct PretrainSettings {
  PretrainMethod method = PretrainMethod::None;
  int epochs = 5;
  double mask_share = 0.25;  // of each cell's elements hidden: round(share x E), at least 1 and at most E - 1
  int max_cells = 100000;    // larger surveys pre-train on a seeded random subset (memory: window graphs)
  bool active() const { return method != PretrainMethod::None; }
};
// Elements hidden per cell for `share` of `n_elements`.
int HiddenPerCell(double share, int n_elements);

// What pre-training did: the mean squared error of the hidden values (standardised units, so
// predicting every value as the mean scores about 1) in each epoch.
struct PretrainSummary {
  int64_t cells = 0;
  int epochs = 0;
  int hidden_per_cell = 0;
  std::vector<double> epoch_loss;
  double seconds = 0;
};

struct TrainedModel {
  std::vector<NamedTensor> weights;
  PretrainSummary pretraining;  // epochs 0: none
  int epochs_run = 0;
  int best_epoch = 0;
  double best_validation_loss = 0;
  std::vector<double> monitored_loss;  // each epoch's validation loss (training loss without validation)
  double prior = 0;                    // nnpu: the class prior used, given or estimated
};

// Adam (LibTorch's defaults: betas 0.9, 0.999, eps 1e-8) over shuffled mini-batches; keeps the weights
// of the epoch with the best validation loss (the training loss without a validation set) and stops
// after `patience` epochs without one, as TrainTorchModel does (settings.keep_last_epoch: every epoch
// runs and the last one's weights are kept). Starts from `initial_weights` when
// given (named as ExportWeights names them), else from settings.seed. The same inputs and seed give
// the same weight bytes, whatever settings.threads.
// The epoch bookkeeping both engines share. KeepsEpoch: whether the weights after `epoch` (0-based)
// are the ones to keep (the best monitored loss so far, or with keep_last_epoch any finite one); it
// updates result's best epoch and loss and counts epochs since the best. CheckTrainingFinished throws
// when no epoch's loss was finite, or the last one's was not while the last is the one to keep.
bool KeepsEpoch(const TrainSettings& settings, double monitored, int epoch, TrainedModel& result, int& since_best);
bool StopsEarly(const TrainSettings& settings, int since_best);
void CheckTrainingFinished(const TrainSettings& settings, const TrainedModel& result, bool kept_any);

TrainedModel TrainFusedResGnn(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                              const TrainSettings& settings, const Progress& progress,
                              const std::vector<NamedTensor>& initial_weights = {});

// Masked pre-training (settings.method Masked): for `settings.epochs` epochs over `cells` (labels are
// ignored), each cell with round(mask_share x E) elements hidden at random afresh each epoch, Adam
// (train.lr, train.batch_size, train.seed, train.threads) on the mean squared error of the hidden
// standardised values, predicted through the backbone and a per-node regression head. Returns the
// backbone's tensors (input and residual layers, named as the classifier names them). Deterministic.
struct PretrainedBackbone {
  std::vector<NamedTensor> weights;
  PretrainSummary summary;
};
PretrainedBackbone PretrainMaskedBackbone(const ModelSpec& spec, const SampleSet& cells,
                                          const PretrainSettings& settings, const TrainSettings& train,
                                          const Progress& progress);

// A classifier's initial weights: a fresh network drawn from `seed` (FusedResGnn::Initialise), with the
// tensors of `backbone` in place of its own.
std::vector<NamedTensor> WithBackbone(const ModelSpec& spec, int n_elements, uint64_t seed,
                                      const std::vector<NamedTensor>& backbone);

// Throws Error naming the training data when `samples` do not carry the node features `spec` reads.
void CheckNodeFeatures(const ModelSpec& spec, const SampleSet& samples);

// The class prior π for nnPU, from the ranking of a classifier of labelled against unlabelled
// samples (the class-weighted cross-entropy model, trained first): the share κ of positives hidden
// among the unlabelled samples is estimated as the smallest ratio P_U(score >= t) / P_P(score >= t)
// over thresholds t that keep at least half of the held-out positives above them (the mixture
// proportion estimator of Blanchard, Lee & Scott 2010; it needs no calibrated probabilities, unlike
// Elkan & Noto's, which gave π = 0.7 on hunan-jiangxi-li). Held out: the validation set, else the
// training set. π = share + κ (1 - share), within [labelled share, 0.5]. It is an upper bound when
// the classifier ranks some true negatives above positives.
struct PriorEstimate {
  double prior = 0;
  double labelled_share = 0;             // positives among the held-out samples
  double unlabelled_positive_share = 0;  // κ
};
PriorEstimate EstimateClassPrior(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                                 const TrainSettings& settings, const Progress& progress);

// A warning (AddWarning) when the fused trainer would run its portable kernel on its own choice: the
// CPU lacks AVX2 (or is not x86-64), and that kernel trains about 30 times slower than the AVX2 one.
void WarnIfPortableTrainer(TrainEngine engine, std::vector<std::string>& warnings);

}  // namespace geoprosp
