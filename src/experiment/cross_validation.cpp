#include "geoprosp/experiment/cross_validation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/experiment/eval_models.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/features/variogram.hpp"

namespace geoprosp {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Each fold's training data and test samples under the chosen protocol, for any graph threshold
// and augmentation, each made once per fold.
class FoldSource {
 public:
  struct Fold {
    FitData train;
    SampleSet test;
    int64_t n_train = 0;
    double augment_seconds = 0;
  };

  // `folds` holds this repeat's seed and block offsets.
  FoldSource(const CellData& data, const std::vector<LabelledCell>& cells, const ExperimentSettings& settings,
             const FoldSettings& folds)
      : data_(data), cells_(cells), settings_(settings), seed_(folds.seed) {
    const FeatureSettings& features = settings.features;
    if (settings.fit.pretrain.active())
      pretraining_cells_ = PretrainingCells(data, settings.fit.pretrain.max_cells, settings.seed);
    if (settings.cv.protocol == CvProtocol::Paper) {
      space_ = FitFeatures(data, std::vector<uint8_t>(data.valid.size(), 1), features.transform, features.zero_rule);
    } else {
      plans_ = PlanFolds(cells, data, folds, settings.cv.buffer);
    }
  }

  uint64_t fold_seed() const { return seed_ + 101 * (k_ + 1); }
  // Edges of the fold's global graph at `alpha` (-1 in window mode).
  int Edges(double alpha) const {
    if (settings_.features.graph.mode == GraphMode::Window) return -1;
    GraphSpec graph = settings_.features.graph;
    graph.alpha = alpha;
    return CountEdges(space_.correlation, data_.n_elements, graph);
  }
  double fold_alpha() const { return fold_alpha_; }
  std::map<std::string, SyntheticComparison>& first_fold_synthetic() { return synthetic_report_; }

  void StartFold(int k) {
    k_ = k;
    // The paper protocol keeps the given alpha under --alpha auto: its folds hold synthetic samples.
    fold_alpha_ = settings_.features.graph.alpha;
    if (settings_.cv.protocol == CvProtocol::Paper) return;
    space_ = FitFeatures(data_, plans_[k].fit, settings_.features.transform, settings_.features.zero_rule);
    samples_.clear();
    splits_.clear();
    unlabelled_.clear();
    if (settings_.features.alpha_auto) {
      fold_alpha_ = SelectAlpha(data_, space_, settings_.features.graph, settings_.features.context, plans_[k].train,
                                settings_.fit, seed_ + k);
    }
  }

  Fold Get(double alpha, AugmentMethod method) {
    const std::string key = ToString(method);
    const double ratio = settings_.fit.augment_ratio;
    if (settings_.cv.protocol == CvProtocol::Paper) {
      // The study's protocol: synthetic positives join every labelled sample, then the folds are drawn.
      if (!synthetic_.count(key)) {
        synthetic_[key] = MakeSynthetic(Samples(alpha, cells_), method, ratio, seed_, &synthetic_report_[key]);
      }
      const SampleSet all = WithSynthetic(Samples(alpha, cells_), synthetic_[key]);
      const auto fold = StratifiedFolds(all.labels, settings_.cv.folds, seed_);
      const SampleSet train = all.Subset(IndicesWhere(fold, k_, false));
      const auto split =
          SplitAndAugment(train, AugmentMethod::None, ratio, fold_seed(), nullptr, settings_.fit.early_stopping);
      return {WithUnlabelled(ApplySplit(train, split), alpha), all.Subset(IndicesWhere(fold, k_)),
              int64_t(train.size()), synthetic_report_[key].seconds};
    }
    const SampleSet& train = Samples(alpha, plans_[k_].train);
    if (!splits_.count(key)) {
      SyntheticComparison comparison;
      splits_[key] = SplitAndAugment(train, method, ratio, fold_seed(), &comparison, settings_.fit.early_stopping);
      split_seconds_[key] = comparison.seconds;
      if (k_ == 0) synthetic_report_[key] = comparison;
    }
    return {WithUnlabelled(ApplySplit(train, splits_[key]), alpha), Samples(alpha, plans_[k_].test),
            int64_t(train.size()), split_seconds_[key]};
  }

 private:
  // The samples of `cells` at `alpha` (cached per fold; the test cells of a fold differ from its
  // training cells, so the key holds both).
  const SampleSet& Samples(double alpha, const std::vector<LabelledCell>& cells) {
    const auto key = std::make_pair(alpha, &cells);
    auto found = samples_.find(key);
    if (found == samples_.end()) {
      GraphSpec graph = settings_.features.graph;
      graph.alpha = alpha;
      found = samples_.emplace(key, BuildSamples(data_, space_, graph, settings_.features.context, cells)).first;
    }
    return found->second;
  }

  // With pre-training: the survey's cells in the fold's feature space (made once per fold and alpha).
  // No labels go with them, so test cells among them leak nothing (docs/method.md).
  FitData WithUnlabelled(FitData data, double alpha) {
    if (!settings_.fit.pretrain.active()) return data;
    auto found = unlabelled_.find(alpha);
    if (found == unlabelled_.end()) {
      GraphSpec graph = settings_.features.graph;
      graph.alpha = alpha;
      found = unlabelled_
                  .emplace(alpha, std::make_shared<const SampleSet>(BuildSamples(
                                      data_, space_, graph, settings_.features.context, pretraining_cells_)))
                  .first;
    }
    data.unlabelled = found->second;
    return data;
  }

  const CellData& data_;
  const std::vector<LabelledCell>& cells_;
  const ExperimentSettings& settings_;
  uint64_t seed_;
  std::vector<FoldPlan> plans_;
  FeatureSpace space_;
  int k_ = 0;
  double fold_alpha_ = 0.6;
  std::map<std::pair<double, const std::vector<LabelledCell>*>, SampleSet> samples_;
  std::vector<LabelledCell> pretraining_cells_;
  std::map<double, std::shared_ptr<const SampleSet>> unlabelled_;
  std::map<std::string, AugmentedSplit> splits_;
  std::map<std::string, double> split_seconds_;
  std::map<std::string, Synthetic> synthetic_;
  std::map<std::string, SyntheticComparison> synthetic_report_;
};

}  // namespace

std::string ProtocolNote(CvProtocol protocol) {
  switch (protocol) {
    case CvProtocol::Paper:
      return "PAPER PROTOCOL: positives augmented before splitting, so synthetic samples sit in the test folds and "
             "the class ratio is balanced. This reproduces the study's figures; it is not an estimate of performance "
             "on new ground.";
    case CvProtocol::Spatial:
      return "spatially blocked folds; augmentation inside training folds only; test folds hold real cells at their "
             "natural ratio";
    case CvProtocol::Random:
      return "random stratified folds; augmentation inside training folds only; neighbouring cells may straddle "
             "folds (optimistic)";
  }
  return "";
}

void WarnIfEmptyGraph(int edges, const GraphSpec& graph, const std::string& where, std::vector<std::string>& warnings) {
  if (edges != 0) return;
  AddWarning(warnings, where + ": the element graph has no edges (no |r| > " + FormatNumber(graph.alpha) +
                           "), so the GNN sees each element alone, like an MLP; try --alpha auto, a lower --alpha, "
                           "or --edge-rule top-k");
}

const char* const kAreaShareBreaksMethod =
    "area shares of the training area: top 5% high, next 10% moderate, next 15% low";

namespace {

// Repeat r's fold settings: repeat 0 is the plain CV; later ones shift the block grid and reseed.
FoldSettings RepeatFolds(const CvSettings& cv, uint64_t seed, double start_block_size, int repeat) {
  FoldSettings folds{cv.protocol, cv.folds, cv.block_size, seed, start_block_size, 0, 0};
  if (repeat == 0) return folds;
  folds.seed = seed + 1000003ULL * repeat;
  std::mt19937_64 rng(folds.seed);
  const double size = cv.block_size > 0 ? cv.block_size : start_block_size;
  folds.offset_x = size * (rng() % 1000000) / 1e6;
  folds.offset_y = size * (rng() % 1000000) / 1e6;
  return folds;
}

}  // namespace

CvOutcome CrossValidate(const CellData& data, const std::vector<LabelledCell>& cells,
                        const ExperimentSettings& settings, const std::vector<CvRun>& runs, const Progress& progress) {
  const auto start = Clock::now();
  CvOutcome outcome;
  const CvSettings& cv = settings.cv;
  outcome.protocol = cv.protocol;
  FoldLayout& layout = outcome.layout;
  layout.folds = cv.folds;
  layout.repeats = std::max(1, cv.repeats);
  for (const auto& run : runs) outcome.runs.push_back({run, {}, {}, {}, {}, {}, {}, 0});
  if (cv.folds < 2 || runs.empty()) return outcome;
  double start_block_size = 0;
  if (cv.protocol == CvProtocol::Spatial && cv.block_size <= 0) {
    // Blocks follow the features' spatial autocorrelation (no labels are involved).
    const FeatureSpace space = FitFeatures(data, std::vector<uint8_t>(data.valid.size(), 1),
                                           settings.features.transform, settings.features.zero_rule);
    const auto range =
        EstimateAutocorrelationRange(space.features, data.n_elements, data.valid, data.grid, settings.seed);
    layout.autocorrelation_range = range.range;
    layout.element_ranges = range.per_element;
    start_block_size = range.range;
  }

  const size_t units = runs.size() * size_t(cv.folds) * layout.repeats;
  size_t done = 0;
  for (int repeat = 0; repeat < layout.repeats; ++repeat) {
    const FoldSettings folds = RepeatFolds(cv, settings.seed, start_block_size, repeat);
    if (cv.protocol == CvProtocol::Spatial) layout.block_sizes.push_back(ResolveBlockSize(cells, data.grid, folds));
    FoldSource source(data, cells, settings, folds);
    for (int k = 0; k < cv.folds; ++k) {
      const auto fold_start = Clock::now();
      source.StartFold(k);
      outcome.fold_data_seconds += SecondsSince(fold_start);
      if (repeat == 0) outcome.fold_alphas.push_back(source.fold_alpha());
      for (auto& result : outcome.runs) {
        const double alpha = result.run.alpha == kFoldAlpha ? source.fold_alpha() : result.run.alpha;
        const auto data_start = Clock::now();
        const auto fold = source.Get(alpha, result.run.augment);
        outcome.fold_data_seconds += SecondsSince(data_start);
        ScaledProgress run_progress(progress, double(done) / units, double(done + 1) / units);
        const auto run_start = Clock::now();
        const auto scores = FitAndScoreModel(result.run.model, fold.train, fold.test, settings.fit, source.fold_seed(),
                                             run_progress.get());
        FoldResult entry;
        entry.repeat = repeat + 1;
        entry.fold = k + 1;
        entry.metrics = ComputeMetrics(scores, fold.test.labels);
        entry.scored = HasBothClasses(entry.metrics);
        entry.n_train = fold.n_train;
        entry.n_fit = int64_t(fold.train.fit.size());
        entry.n_validation = int64_t(fold.train.validation.size());
        entry.n_test = int64_t(fold.test.size());
        entry.positives_test = std::count(fold.test.labels.begin(), fold.test.labels.end(), 1);
        entry.alpha = alpha;
        entry.graph_edges = source.Edges(alpha);
        entry.seconds = SecondsSince(run_start);
        entry.augment_seconds = fold.augment_seconds;
        result.folds.push_back(entry);
        result.seconds += entry.seconds;
        if (repeat == 0) {
          result.pooled_scores.insert(result.pooled_scores.end(), scores.begin(), scores.end());
          result.pooled_labels.insert(result.pooled_labels.end(), fold.test.labels.begin(), fold.test.labels.end());
        }
        ++done;
      }
    }
    if (repeat == 0) outcome.synthetic = source.first_fold_synthetic();
  }
  if (!layout.block_sizes.empty()) layout.block_size = layout.block_sizes.front();
  for (auto& result : outcome.runs) {
    std::vector<Metrics> all;
    std::vector<std::vector<Metrics>> by_repeat(layout.repeats);
    for (const auto& fold : result.folds) {
      all.push_back(fold.metrics);
      by_repeat[fold.repeat - 1].push_back(fold.metrics);
    }
    result.summary = Summarise(all);
    std::vector<double> repeat_auc;
    for (const auto& metrics : by_repeat) {
      result.repeats.push_back(Summarise(metrics));
      if (result.repeats.back().folds_scored > 0) repeat_auc.push_back(result.repeats.back().mean.roc_auc);
    }
    result.roc_auc = MeanInterval(repeat_auc);
  }
  outcome.seconds = SecondsSince(start);
  return outcome;
}

FinalModel FitFinal(const CellData& data, const Labelled& labelled, const ExperimentSettings& settings,
                    const Progress& progress) {
  const int members = std::max(1, settings.fit.members);
  FinalModel model;
  const FeatureSpace space = FitFeatures(data, std::vector<uint8_t>(data.valid.size(), 1), settings.features.transform,
                                         settings.features.zero_rule);
  model.composition = space.params;
  model.correlation = space.correlation;
  model.graph = settings.features.graph;
  model.context = settings.features.context;
  model.alpha.automatic = settings.features.alpha_auto;
  if (settings.features.alpha_auto) {
    model.graph.alpha = SelectAlpha(data, space, settings.features.graph, model.context, labelled.cells, settings.fit,
                                    settings.seed, &model.alpha.sweep);
  }
  model.alpha.value = model.graph.alpha;
  if (model.graph.mode != GraphMode::Window)
    model.graph_edges = CountEdges(model.correlation, data.n_elements, model.graph);
  std::shared_ptr<const SampleSet> unlabelled;
  if (settings.fit.pretrain.active()) {
    unlabelled = std::make_shared<const SampleSet>(
        BuildSamples(data, space, model.graph, model.context,
                     PretrainingCells(data, settings.fit.pretrain.max_cells, settings.seed)));
  }
  std::vector<uint8_t> trained(data.valid.size(), 0);
  for (int member = 0; member < members; ++member) {
    std::vector<LabelledCell> member_cells = labelled.cells;
    if (member > 0) {
      LabelSettings labels = settings.labels;
      labels.seed = settings.labels.seed + member;
      member_cells = ChooseSamples(labels, data).cells;
    }
    for (const auto& cell : member_cells) trained[cell.cell] = 1;
    ScaledProgress member_progress(progress, double(member) / members, double(member + 1) / members);
    model.members.push_back(Fit(BuildSamples(data, space, model.graph, model.context, member_cells), settings.fit,
                                MemberSeed(settings.seed, member), member_progress.get(), nullptr, unlabelled));
  }
  // Where the model has seen data: the cells it was fitted on (deposit and background cells of every
  // member), so that deposit-like compositions count as seen; every valid cell when they are too few
  // to estimate a covariance from.
  const auto labelled_count = std::count(trained.begin(), trained.end(), uint8_t(1));
  const bool enough = labelled_count >= kApplicabilityCellsPerElement * data.n_elements;
  model.applicability = FitApplicability(space.features.data(), enough ? trained : data.valid, data.n_elements);
  model.applicability.cells_from = enough ? kApplicabilityFromTrainingCells : kApplicabilityFromEveryCell;
  return model;
}

DataSummary SummariseData(const std::vector<std::string>& given_inputs, const std::vector<std::string>& used_inputs,
                          const CellData& data, const Labelled& labelled, const LabelSettings& labels) {
  DataSummary summary;
  summary.inputs = used_inputs;
  for (const auto& input : given_inputs) {
    if (std::find(used_inputs.begin(), used_inputs.end(), input) == used_inputs.end())
      summary.ignored_inputs.push_back(input);
  }
  summary.elements = data.elements;
  summary.width = data.grid.width;
  summary.height = data.grid.height;
  summary.valid_cells = data.valid_count;
  summary.labels_from = labels.deposits.path.empty() ? labels.labels : labels.deposits.path;
  summary.deposits = labelled.deposits_read;
  summary.positive_cells = labelled.positive_cells;
  summary.negative_cells = static_cast<int64_t>(labelled.cells.size()) - labelled.positive_cells;
  summary.negatives = labels.negatives;
  summary.label_radius = labels.label_radius;
  summary.replaced = data.non_positive;
  summary.distance_unit = CrsDistanceUnit(data.grid.wkt);
  return summary;
}

CellScores ValidCellScores(const CellData& data, const std::vector<float>& grid_probability,
                           const std::vector<LabelledCell>& labelled) {
  CellScores out;
  for (const auto& cell : EveryValidCell(data, labelled)) {
    out.scores.push_back(grid_probability[cell.cell]);
    out.labels.push_back(cell.label);
  }
  return out;
}

Bundle MakeBundle(const std::vector<std::string>& elements, const FinalModel& model, const ModelSpec& spec) {
  Bundle bundle;
  bundle.elements = elements;
  bundle.composition = model.composition;
  bundle.graph = model.graph;
  if (model.graph.mode != GraphMode::Window) bundle.correlation = model.correlation;
  if (!model.graph.per_cell()) bundle.adjacency = GraphAdjacency(model.correlation, int(elements.size()), model.graph);
  bundle.graph_edges = model.graph_edges;
  bundle.context = model.context;
  bundle.applicability = model.applicability;
  bundle.model = spec;
  if (spec.node_features != model.context.node_features())
    throw Error("model", "reads " + std::to_string(spec.node_features) + " values per node; its context gives " +
                             std::to_string(model.context.node_features()));
  bundle.members = static_cast<int>(model.members.size());
  for (size_t member = 0; member < model.members.size(); ++member) {
    for (auto tensor : model.members[member].weights) {
      if (bundle.members > 1) tensor.name = MemberPrefix(static_cast<int>(member)) + tensor.name;
      bundle.weights.push_back(std::move(tensor));
    }
  }
  return bundle;
}

// Area-share breaks: the top 5 % of the valid area is high, the next 10 % moderate, the next 15 % low.
std::vector<double> AreaShareBreaks(std::vector<float> probabilities) {
  std::sort(probabilities.begin(), probabilities.end());
  auto quantile = [&](double q) {
    return double(probabilities[std::min(probabilities.size() - 1, size_t(q * probabilities.size()))]);
  };
  std::vector<double> breaks = {quantile(0.70), quantile(0.85), quantile(0.95)};
  for (size_t i = 0; i < breaks.size(); ++i) {
    breaks[i] = std::clamp(breaks[i], 1e-6, 1.0 - 1e-6);
    if (i > 0 && breaks[i] <= breaks[i - 1]) breaks[i] = std::nextafter(breaks[i - 1], 1.0);
  }
  return breaks;
}

}  // namespace geoprosp
