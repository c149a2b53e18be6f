#pragma once
// The experiment machinery geoprosp-train and geoprosp-eval share: cells in memory, features fitted
// on training ground only, labelled samples, and fitting with in-fold augmentation.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "geoprosp/experiment/folds.hpp"
#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/context.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/models/calibration.hpp"
#include "geoprosp/training/augment.hpp"
#include "geoprosp/training/trainer.hpp"

namespace geoprosp {

// Every cell of the training grid in memory (training rasters are survey-sized).
struct CellData {
  Grid grid;
  std::vector<std::string> elements;
  int n_elements = 0;
  std::vector<float> raw;  // cells x E, cell-major
  std::vector<uint8_t> valid;
  int64_t valid_count = 0;
  std::vector<int64_t> non_positive;  // valid cells per element whose value is zero or negative (replaced)
};
CellData LoadCells(const RasterStack& stack);

// Features and the global correlation, fitted on the cells where `fit` is set.
struct FeatureSpace {
  CompositionParams params;
  std::vector<float> features;  // every cell, standardised (invalid cells 0)
  std::vector<double> correlation;
  ReplacementCounts replaced;
};
FeatureSpace FitFeatures(const CellData& data, const std::vector<uint8_t>& fit, Transform transform,
                         const std::string& zero_rule);

// Graph samples for `cells`: the global Â from the fitted correlation, or each cell's window Â; node
// features with the spatial context of `context` (features/context.hpp) when it is active.
SampleSet BuildSamples(const CellData& data, const FeatureSpace& space, const GraphSpec& graph,
                       const ContextSpec& context, const std::vector<LabelledCell>& cells);

// The cells masked pre-training sees: every valid cell (label 0: no labels are used), or, in a survey
// of more than `max_cells`, a random subset of that many drawn with `seed`, in cell order.
std::vector<LabelledCell> PretrainingCells(const CellData& data, int max_cells, uint64_t seed);

// How a fit chooses its epoch. validation: hold out a stratified fifth of the training samples and
// keep the epoch with the best loss on them. none: every sample trains, for up to --epochs (stopping
// when the training loss stalls for --patience epochs). inner-cv: the epoch count that minimises the
// validation loss pooled over a 5-fold inner CV of the training samples (each inner fold augmented
// from its own positives, every epoch run), then every sample trains for that many epochs. With ~10
// deposit cells the single held-out fifth holds 2; the inner CV validates on all of them and trains
// on all of them. docs/results.md measures the three.
enum class EarlyStopping { Validation, None, InnerCv };
std::string ToString(EarlyStopping stopping);
EarlyStopping ParseEarlyStopping(const std::string& text);  // UsageError names --early-stopping
constexpr int kInnerFolds = 5;

// What one fit of a residual GNN needs: the network, its training, and in-fold augmentation.
struct FitSettings {
  ModelSpec spec;
  TrainSettings train;
  PretrainSettings pretrain;  // of the residual GNNs' backbone, on data.unlabelled
  AugmentMethod augment = AugmentMethod::Gan;
  double augment_ratio = 1.0;
  // Residual GNNs: members averaged, each trained from its own seed (seed + 7919 m); in the final model
  // each also draws its own background cells.
  int members = 1;
  EarlyStopping early_stopping = EarlyStopping::None;  // chosen by docs/results.md's repeated CV on both areas
  int threads = 1;
};

// The seed of ensemble member `member` of a fit seeded `seed` (member 0: `seed` itself).
inline uint64_t MemberSeed(uint64_t seed, int member) { return seed + 7919 * uint64_t(member); }

// Positives to add so that positives reach ratio x negatives.
size_t SyntheticCount(const SampleSet& set, double ratio);
void AppendSynthetic(SampleSet& set, const SampleSet& real_positives, const Synthetic& synthetic);
std::vector<size_t> IndicesWhere(const std::vector<int>& values, int wanted, bool equal = true);

// Synthetic positives made from the positives of `real` (seed + 7) until positives reach ratio x
// negatives. The paper protocol makes them from every labelled sample before the folds are drawn.
Synthetic MakeSynthetic(const SampleSet& real, AugmentMethod method, double ratio, uint64_t seed,
                        SyntheticComparison* comparison);
// Real samples plus synthetic positives made from them: synthetic.parents index the positives of
// `real`, in order, whose graphs the synthetic samples borrow.
SampleSet WithSynthetic(const SampleSet& real, const Synthetic& synthetic);

// What every model of one fold trains on: the inner-training part with its synthetic positives,
// and the inner-validation part (real samples only); with pre-training, the unlabelled cells of the
// survey in the fold's feature space (no labels: see docs/method.md).
struct FitData {
  SampleSet fit, validation;
  std::shared_ptr<const SampleSet> unlabelled;
  std::vector<FitData> epoch_folds;  // inner-cv: the inner folds that choose the epoch count
};

// The inner split of a fold's training samples and the synthetic positives made from the
// inner-training positives (seed + 7), kept as indices and features so that the same split and
// the same synthetic samples can be laid over the fold's samples at any graph threshold.
struct AugmentedSplit {
  std::vector<size_t> fit, validation;
  Synthetic synthetic;
  std::vector<AugmentedSplit> epoch_folds;  // inner-cv: each inner fold's split and its own synthetic positives
};
// Validation: a fifth held out. None: every sample fits. InnerCv: every sample fits, and each of the
// kInnerFolds inner folds holds out its fifth, with synthetic positives made from the rest only.
AugmentedSplit SplitAndAugment(const SampleSet& train, AugmentMethod method, double ratio, uint64_t seed,
                               SyntheticComparison* comparison, EarlyStopping stopping = EarlyStopping::Validation);
FitData ApplySplit(const SampleSet& train, const AugmentedSplit& split);

// A residual GNN of `spec` trained on `data` (TrainResGnn), after masked pre-training of its backbone
// on data.unlabelled when settings.pretrain asks for it (an error when there are none). With
// data.epoch_folds, the epoch count comes from ChooseEpochs first.
TrainedModel TrainNetwork(const ModelSpec& spec, const FitData& data, const FitSettings& settings, uint64_t seed,
                          const Progress& progress);

// The epoch count (1-based) whose validation loss, averaged over `folds` (each trained for every one
// of train.epochs epochs from `initial_weights`), is lowest; the earliest on ties.
int ChooseEpochs(const ModelSpec& spec, const std::vector<FitData>& folds, const TrainSettings& train,
                 const std::vector<NamedTensor>& initial_weights, const Progress& progress);
// Inner validation split, augmentation of the inner training part only, then training (with
// pre-training on `unlabelled` when settings.pretrain asks for it).
TrainedModel Fit(const SampleSet& train, const FitSettings& settings, uint64_t seed, const Progress& progress,
                 SyntheticComparison* comparison, std::shared_ptr<const SampleSet> unlabelled = nullptr);
std::vector<float> FitAndScore(const SampleSet& train, const SampleSet& test, const FitSettings& settings,
                               uint64_t seed, const Progress& progress, SyntheticComparison* comparison = nullptr);

// The study's adaptive threshold: 3-fold inner CV over 0.2..0.8 by mean ROC AUC, on training data.
extern const std::vector<double> kAlphaSweep;
struct AlphaSweepPoint {
  double alpha = 0, roc_auc = 0, accuracy = 0;
};
// The sweep fits without pre-training.
double SelectAlpha(const CellData& data, const FeatureSpace& space, GraphSpec graph, const ContextSpec& context,
                   const std::vector<LabelledCell>& cells, FitSettings settings, uint64_t seed,
                   std::vector<AlphaSweepPoint>* sweep = nullptr);

struct LabelSettings {
  DepositSource deposits;  // or:
  std::string labels;      // a label raster
  double label_radius = 0;
  std::string negatives = "distal";
  double negative_ratio = 10;
  double min_distance = 0;
  int seed = 42;
};
struct Labelled {
  std::vector<DepositPoint> deposits;  // as read, in the grid's CRS
  std::vector<LabelledCell> cells;     // positives, then negatives
  int64_t deposits_read = 0;
  int64_t positive_cells = 0;
};
// Deposit cells (at least 2 on valid cells, or an error naming the file and the counts) and
// background cells.
Labelled ChooseSamples(const LabelSettings& settings, const CellData& data);

// Every valid cell, in cell order, labelled 1 where `labelled` holds a positive: the map's samples.
std::vector<LabelledCell> EveryValidCell(const CellData& data, const std::vector<LabelledCell>& labelled);

// One fold of spatial or random CV: its cells, and the cells the transform and graph may see.
struct FoldPlan {
  std::vector<LabelledCell> train, test;
  std::vector<uint8_t> fit;
};
// Every fold must train on at least 2 deposit cells, or this is an error naming --folds.
std::vector<FoldPlan> PlanFolds(const std::vector<LabelledCell>& cells, const CellData& data,
                                const FoldSettings& settings, double buffer);

// The transform, the graph and the node features the cells go through.
struct FeatureSettings {
  Transform transform = Transform::Clr;
  std::string zero_rule = "half-min";
  GraphSpec graph;
  ContextSpec context;      // spatial context node features (none by default)
  bool alpha_auto = false;  // choose alpha per fold by inner CV (the study's adaptive threshold)
};

struct CvSettings {
  CvProtocol protocol = CvProtocol::Spatial;
  int folds = 10;         // 0: no cross-validation
  double block_size = 0;  // CRS units; 0: the features' autocorrelation range, shrunk until folds hold deposits
  double buffer = 0;      // training cells closer than this to a test cell are dropped
  int repeats = 1;        // the whole CV again with other block offsets and seeds
};

// Everything an experiment needs, built once from a tool's options.
struct ExperimentSettings {
  LabelSettings labels;
  FeatureSettings features;
  FitSettings fit;
  CvSettings cv;
  CalibrationMethod calibration = CalibrationMethod::Platt;  // fitted on the CV's out-of-fold scores
  uint64_t seed = 42;
};

}  // namespace geoprosp
