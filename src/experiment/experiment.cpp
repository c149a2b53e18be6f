#include "geoprosp/experiment/experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/io/labels.hpp"

namespace geoprosp {

CellData LoadCells(const RasterStack& stack) {
  CellData data;
  data.grid = stack.grid();
  data.elements = stack.elements();
  data.n_elements = static_cast<int>(data.elements.size());
  const size_t cells = size_t(data.grid.width) * data.grid.height;
  data.raw.assign(cells * data.n_elements, 0.0f);
  data.valid.assign(cells, 0);
  data.non_positive.assign(data.n_elements, 0);
  StackWindow window;
  const int strip = std::max(1, 65536 / data.grid.width);
  for (int row = 0; row < data.grid.height; row += strip) {
    const int rows = std::min(strip, data.grid.height - row);
    stack.Read(0, row, data.grid.width, rows, window);
    const size_t base = size_t(row) * data.grid.width;
    for (size_t c = 0; c < window.cells(); ++c) {
      data.valid[base + c] = window.valid[c];
      for (int e = 0; e < data.n_elements; ++e) {
        const float value = window.element(e)[c];
        data.raw[(base + c) * data.n_elements + e] = value;
        if (window.valid[c] && value <= 0) ++data.non_positive[e];
      }
    }
  }
  data.valid_count = std::count(data.valid.begin(), data.valid.end(), uint8_t{1});
  if (data.valid_count == 0) stack.ThrowNoValidCell(0, 0, data.grid.width, data.grid.height, "the rasters");
  return data;
}

FeatureSpace FitFeatures(const CellData& data, const std::vector<uint8_t>& fit, Transform transform,
                         const std::string& zero_rule) {
  std::vector<size_t> rows;
  for (size_t c = 0; c < data.valid.size(); ++c) {
    if (data.valid[c] && fit[c]) rows.push_back(c);
  }
  FeatureSpace space;
  space.params =
      FitComposition(transform, zero_rule, data.raw.data(), data.valid.size(), data.n_elements, rows, data.elements);
  space.features = data.raw;
  for (size_t c = 0; c < data.valid.size(); ++c) {
    float* cell = space.features.data() + c * data.n_elements;
    if (data.valid[c]) {
      TransformCells(space.params, cell, 1, data.n_elements, &space.replaced);
    } else {
      std::fill_n(cell, data.n_elements, 0.0f);
    }
  }
  space.correlation = Correlation(space.features.data(), data.valid.size(), data.n_elements, rows);
  return space;
}

SampleSet BuildSamples(const CellData& data, const FeatureSpace& space, const GraphSpec& graph,
                       const ContextSpec& context, const std::vector<LabelledCell>& cells) {
  const int n = data.n_elements;
  SampleSet set;
  set.n_elements = n;
  set.node_features = context.node_features();
  set.per_sample_adjacency = graph.per_cell();
  if (!set.per_sample_adjacency) set.adjacency = GraphAdjacency(space.correlation, n, graph);
  std::vector<float> adjacency(size_t(n) * n), node_features(set.width());
  set.features.reserve(cells.size() * set.width());
  if (set.per_sample_adjacency) set.adjacency.reserve(cells.size() * adjacency.size());
  const int width = data.grid.width, height = data.grid.height;
  for (const auto& cell : cells) {
    const int col = static_cast<int>(cell.cell % width), row = static_cast<int>(cell.cell / width);
    if (set.per_sample_adjacency) {
      WindowAdjacency(space.features.data(), data.valid.data(), width, height, n, col, row, graph, adjacency.data(),
                      space.correlation.data());
    }
    NodeFeatures(space.features.data(), data.valid.data(), width, height, n, col, row, context, node_features.data());
    set.AppendSynthetic(node_features.data(), adjacency.data(), cell.label);
  }
  return set;
}

std::vector<LabelledCell> PretrainingCells(const CellData& data, int max_cells, uint64_t seed) {
  std::vector<LabelledCell> cells;
  for (size_t c = 0; c < data.valid.size(); ++c) {
    if (data.valid[c]) cells.push_back({int64_t(c), 0});
  }
  if (max_cells > 0 && cells.size() > size_t(max_cells)) {
    std::mt19937_64 rng(seed ^ 0x5851f42d4c957f2dULL);
    for (size_t i = 0; i < size_t(max_cells); ++i) std::swap(cells[i], cells[i + rng() % (cells.size() - i)]);
    cells.resize(max_cells);
    std::sort(cells.begin(), cells.end(), [](const LabelledCell& a, const LabelledCell& b) { return a.cell < b.cell; });
  }
  return cells;
}

// Positives added so that positives reach ratio x negatives.
size_t SyntheticCount(const SampleSet& set, double ratio) {
  const auto positives = std::count(set.labels.begin(), set.labels.end(), 1);
  const auto negatives = static_cast<int64_t>(set.size()) - positives;
  return static_cast<size_t>(std::max<double>(0.0, std::round(ratio * negatives) - positives));
}

void AppendSynthetic(SampleSet& set, const SampleSet& real_positives, const Synthetic& synthetic) {
  for (size_t i = 0; i < synthetic.parents.size(); ++i) {
    set.AppendSynthetic(synthetic.features.data() + i * set.width(), real_positives.adjacency_of(synthetic.parents[i]),
                        1);
  }
}

std::vector<size_t> IndicesWhere(const std::vector<int>& values, int wanted, bool equal) {
  std::vector<size_t> out;
  for (size_t i = 0; i < values.size(); ++i) {
    if ((values[i] == wanted) == equal) out.push_back(i);
  }
  return out;
}

Synthetic MakeSynthetic(const SampleSet& real, AugmentMethod method, double ratio, uint64_t seed,
                        SyntheticComparison* comparison) {
  // Synthetic positives are whole feature vectors: with spatial context, values and context together.
  const SampleSet positives = real.Subset(IndicesWhere(real.labels, 1));
  const int width = static_cast<int>(real.width());
  const auto start = std::chrono::steady_clock::now();
  Synthetic synthetic = SynthesisePositives(method, positives.features, width, SyntheticCount(real, ratio), seed + 7);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (comparison) {
    // Compared on the elements' values (block 0 of each sample).
    auto values = [&](const std::vector<float>& features) {
      std::vector<float> out;
      for (size_t first = 0; first + width <= features.size(); first += width)
        out.insert(out.end(), features.begin() + first, features.begin() + first + real.n_elements);
      return out;
    };
    *comparison = CompareWithReal(values(positives.features), values(synthetic.features), real.n_elements);
    comparison->seconds = std::round(seconds * 100) / 100;
  }
  return synthetic;
}

SampleSet WithSynthetic(const SampleSet& real, const Synthetic& synthetic) {
  SampleSet out = real;
  AppendSynthetic(out, real.Subset(IndicesWhere(real.labels, 1)), synthetic);
  return out;
}

std::string ToString(EarlyStopping stopping) {
  switch (stopping) {
    case EarlyStopping::Validation:
      return "validation";
    case EarlyStopping::None:
      return "none";
    case EarlyStopping::InnerCv:
      return "inner-cv";
  }
  return "";
}

EarlyStopping ParseEarlyStopping(const std::string& text) {
  for (auto stopping : {EarlyStopping::Validation, EarlyStopping::None, EarlyStopping::InnerCv}) {
    if (ToString(stopping) == text) return stopping;
  }
  throw UsageError("--early-stopping", "expects validation|none|inner-cv, got '" + text + "'");
}

namespace {
// Fit indices (every sample but inner fold `held`; all with held < 0), validation indices, and the
// synthetic positives made from the fit part.
AugmentedSplit HoldOut(const SampleSet& train, const std::vector<int>& inner, int held, AugmentMethod method,
                       double ratio, uint64_t seed, SyntheticComparison* comparison) {
  AugmentedSplit split;
  split.fit = IndicesWhere(inner, held, false);
  split.validation = IndicesWhere(inner, held);
  split.synthetic = MakeSynthetic(train.Subset(split.fit), method, ratio, seed, comparison);
  return split;
}
}  // namespace

AugmentedSplit SplitAndAugment(const SampleSet& train, AugmentMethod method, double ratio, uint64_t seed,
                               SyntheticComparison* comparison, EarlyStopping stopping) {
  const auto inner = StratifiedFolds(train.labels, kInnerFolds, seed);
  if (stopping == EarlyStopping::Validation) return HoldOut(train, inner, 0, method, ratio, seed, comparison);
  AugmentedSplit split = HoldOut(train, inner, -1, method, ratio, seed, comparison);
  if (stopping == EarlyStopping::InnerCv) {
    for (int k = 0; k < kInnerFolds; ++k)
      split.epoch_folds.push_back(HoldOut(train, inner, k, method, ratio, seed + 1 + k, nullptr));
  }
  return split;
}

FitData ApplySplit(const SampleSet& train, const AugmentedSplit& split) {
  FitData data;
  data.fit = WithSynthetic(train.Subset(split.fit), split.synthetic);
  data.validation = train.Subset(split.validation);
  for (const auto& fold : split.epoch_folds) data.epoch_folds.push_back(ApplySplit(train, fold));
  return data;
}

int ChooseEpochs(const ModelSpec& spec, const std::vector<FitData>& folds, const TrainSettings& train,
                 const std::vector<NamedTensor>& initial_weights, const Progress& progress) {
  if (folds.empty()) throw Error("inner cross-validation", "has no inner fold");
  TrainSettings every_epoch = train;
  every_epoch.patience = train.epochs;
  std::vector<double> pooled(size_t(train.epochs), 0.0);
  for (size_t k = 0; k < folds.size(); ++k) {
    ScaledProgress fold_progress(progress, double(k) / folds.size(), double(k + 1) / folds.size());
    const TrainedModel model =
        TrainResGnn(spec, folds[k].fit, folds[k].validation, every_epoch, fold_progress.get(), initial_weights);
    if (model.monitored_loss.size() != pooled.size())
      throw Error("inner cross-validation", "fold " + std::to_string(k + 1) + " did not run every epoch");
    for (size_t e = 0; e < pooled.size(); ++e) pooled[e] += model.monitored_loss[e] / folds.size();
  }
  // NaN never compares lower, so a diverged epoch is never chosen.
  size_t best = 0;
  for (size_t e = 1; e < pooled.size(); ++e) {
    if (pooled[e] < pooled[best]) best = e;
  }
  if (!std::isfinite(pooled[best])) throw Error("inner cross-validation", "the validation loss never became finite");
  return static_cast<int>(best) + 1;
}

TrainedModel TrainNetwork(const ModelSpec& spec, const FitData& data, const FitSettings& settings, uint64_t seed,
                          const Progress& progress) {
  TrainSettings train = settings.train;
  train.seed = seed;
  const bool pretrains = settings.pretrain.active(), chooses_epochs = !data.epoch_folds.empty();
  if (pretrains && (!data.unlabelled || data.unlabelled->size() == 0))
    throw Error("--pretrain", "has no unlabelled cells to pre-train on");
  // Progress: pre-training up to 0.3, choosing the epoch count up to 0.8, then the fit itself.
  const double pretrained_at = pretrains ? 0.3 : 0.0, chosen_at = chooses_epochs ? 0.8 : pretrained_at;
  ScaledProgress pretrain_progress(progress, 0.0, pretrained_at), choose_progress(progress, pretrained_at, chosen_at),
      train_progress(progress, chosen_at, 1.0);
  PretrainedBackbone backbone;
  std::vector<NamedTensor> initial_weights;
  if (pretrains) {
    backbone = PretrainMaskedBackbone(spec, *data.unlabelled, settings.pretrain, train, pretrain_progress.get());
    initial_weights = WithBackbone(spec, data.fit.n_elements, seed, backbone.weights);
  }
  if (chooses_epochs) {
    train.epochs = ChooseEpochs(spec, data.epoch_folds, train, initial_weights, choose_progress.get());
    train.keep_last_epoch = true;
  }
  TrainedModel model = TrainResGnn(spec, data.fit, data.validation, train, train_progress.get(), initial_weights);
  model.pretraining = backbone.summary;
  return model;
}

// Inner split -> augmentation of the inner training part only -> (pre-training and) training -> weights.
TrainedModel Fit(const SampleSet& train, const FitSettings& settings, uint64_t seed, const Progress& progress,
                 SyntheticComparison* comparison, std::shared_ptr<const SampleSet> unlabelled) {
  FitData data = ApplySplit(train, SplitAndAugment(train, settings.augment, settings.augment_ratio, seed, comparison,
                                                   settings.early_stopping));
  data.unlabelled = std::move(unlabelled);
  return TrainNetwork(settings.spec, data, settings, seed, progress);
}

std::vector<float> FitAndScore(const SampleSet& train, const SampleSet& test, const FitSettings& settings,
                               uint64_t seed, const Progress& progress, SyntheticComparison* comparison) {
  const TrainedModel model = Fit(train, settings, seed, progress, comparison);
  return PredictResGnn(settings.spec, model.weights, test, settings.threads);
}

const std::vector<double> kAlphaSweep = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};

// The study's adaptive threshold: 3-fold inner CV over the sweep, by mean ROC AUC, on training data.
double SelectAlpha(const CellData& data, const FeatureSpace& space, GraphSpec graph, const ContextSpec& context,
                   const std::vector<LabelledCell>& cells, FitSettings settings, uint64_t seed,
                   std::vector<AlphaSweepPoint>* sweep) {
  settings.pretrain.method = PretrainMethod::None;  // the sweep compares graphs; pre-training would cost 21 times
  std::vector<int> labels;
  for (const auto& c : cells) labels.push_back(c.label);
  const auto inner = StratifiedFolds(labels, 3, seed);
  double best_alpha = 0.6, best_auc = -1;
  if (sweep) sweep->clear();
  for (double alpha : kAlphaSweep) {
    graph.alpha = alpha;
    const SampleSet all = BuildSamples(data, space, graph, context, cells);
    std::vector<Metrics> metrics;
    for (int k = 0; k < 3; ++k) {
      const SampleSet test = all.Subset(IndicesWhere(inner, k));
      const auto scores = FitAndScore(all.Subset(IndicesWhere(inner, k, false)), test, settings, seed + k, Progress{});
      metrics.push_back(ComputeMetrics(scores, test.labels));
    }
    const Metrics mean = Summarise(metrics).mean;
    if (sweep) sweep->push_back({alpha, mean.roc_auc, mean.accuracy});
    if (mean.roc_auc > best_auc + 1e-12) {
      best_auc = mean.roc_auc;
      best_alpha = alpha;
    }
  }
  return best_alpha;
}

Labelled ChooseSamples(const LabelSettings& o, const CellData& data) {
  if (o.deposits.path.empty() == o.labels.empty())
    throw UsageError("--deposits", "give exactly one of --deposits and --labels");
  const auto points =
      o.deposits.path.empty() ? ReadLabelRaster(o.labels, data.grid) : ReadDeposits(o.deposits, data.grid);
  const std::string& labels_path = o.deposits.path.empty() ? o.labels : o.deposits.path;
  Labelled out;
  out.deposits = points;
  out.deposits_read = static_cast<int64_t>(points.size());
  std::vector<uint8_t> positive(data.valid.size(), 0);
  for (int64_t cell : CellsNearPoints(points, data.grid, o.label_radius)) {
    if (data.valid[cell]) positive[cell] = 1;
  }
  out.positive_cells = std::count(positive.begin(), positive.end(), uint8_t{1});
  const int64_t on_valid_cells = std::count_if(points.begin(), points.end(), [&](const DepositPoint& p) {
    int col, row;
    return data.grid.CellAt(p.x, p.y, col, row) && data.valid[size_t(row) * data.grid.width + col];
  });
  // A fit on one deposit cell learns that cell alone, and --early-stopping validation holds one back.
  if (on_valid_cells < 2 || out.positive_cells < 2) {
    const auto count = [](int64_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
    throw Error(labels_path, "holds " + count(out.deposits_read, "deposit") + " inside the rasters, " +
                                 count(on_valid_cells, "deposit") + " on a valid cell, giving " +
                                 count(out.positive_cells, "deposit cell") +
                                 ": training needs at least 2 deposit cells (a fit on one learns that cell alone),"
                                 " and a model worth mapping with needs many more (10 or more)");
  }
  const double pixel = std::max(std::abs(data.grid.geotransform[1]), std::abs(data.grid.geotransform[5]));
  const double min_distance = o.min_distance > 0 ? o.min_distance : 2.0 * pixel;
  const auto distance = o.negatives == "distal" ? DistanceToNearest(points, data.grid) : std::vector<float>();
  std::vector<int64_t> candidates;
  for (size_t c = 0; c < data.valid.size(); ++c) {
    if (!data.valid[c] || positive[c]) continue;
    if (!distance.empty() && distance[c] <= min_distance) continue;
    candidates.push_back(static_cast<int64_t>(c));
  }
  if (o.negatives != "all") {
    std::mt19937_64 rng(static_cast<uint64_t>(o.seed));
    for (size_t i = candidates.size(); i > 1; --i) std::swap(candidates[i - 1], candidates[rng() % i]);
    candidates.resize(std::min(candidates.size(), size_t(std::ceil(o.negative_ratio * out.positive_cells))));
    std::sort(candidates.begin(), candidates.end());
  }
  if (candidates.empty()) throw Error("--negatives", "no background cell is left (try a smaller --min-distance)");
  for (size_t c = 0; c < positive.size(); ++c) {
    if (positive[c]) out.cells.push_back({int64_t(c), 1});
  }
  for (int64_t c : candidates) out.cells.push_back({c, 0});
  return out;
}

std::vector<LabelledCell> EveryValidCell(const CellData& data, const std::vector<LabelledCell>& labelled) {
  std::vector<uint8_t> is_positive(data.valid.size(), 0);
  for (const auto& c : labelled) is_positive[c.cell] = static_cast<uint8_t>(c.label);
  std::vector<LabelledCell> every_cell;
  for (size_t c = 0; c < data.valid.size(); ++c) {
    if (data.valid[c]) every_cell.push_back({int64_t(c), is_positive[c]});
  }
  return every_cell;
}

namespace {
// True when a cell of fold `k` lies within `buffer` of `cell` (the --buffer between training and test).
bool NearFold(int64_t cell, const std::vector<int>& fold_of_cell, int k, const Grid& grid, double buffer) {
  if (buffer <= 0) return false;
  const int col = static_cast<int>(cell % grid.width), row = static_cast<int>(cell / grid.width);
  const double dx = std::abs(grid.geotransform[1]), dy = std::abs(grid.geotransform[5]);
  const int reach_x = static_cast<int>(std::ceil(buffer / dx)), reach_y = static_cast<int>(std::ceil(buffer / dy));
  for (int r = std::max(0, row - reach_y); r <= std::min(grid.height - 1, row + reach_y); ++r) {
    for (int c = std::max(0, col - reach_x); c <= std::min(grid.width - 1, col + reach_x); ++c) {
      if (fold_of_cell[size_t(r) * grid.width + c] == k && std::hypot((c - col) * dx, (r - row) * dy) < buffer)
        return true;
    }
  }
  return false;
}
}  // namespace

std::vector<FoldPlan> PlanFolds(const std::vector<LabelledCell>& cells, const CellData& data,
                                const FoldSettings& settings, double buffer) {
  // Every valid cell gets a fold, so each test fold holds all the real cells of its ground at their
  // natural class ratio; training uses the sampled cells (deposits and chosen negatives) elsewhere.
  const auto every_cell = EveryValidCell(data, cells);
  const auto fold_of_every = AssignFolds(every_cell, data.grid, settings);
  std::vector<int> fold_of_cell(data.valid.size(), -1);
  for (size_t i = 0; i < every_cell.size(); ++i) fold_of_cell[every_cell[i].cell] = fold_of_every[i];
  std::vector<int> fold_of_sample;
  for (const auto& c : cells) fold_of_sample.push_back(fold_of_cell[c.cell]);
  std::vector<FoldPlan> plans(settings.folds);
  for (int k = 0; k < settings.folds; ++k) {
    FoldPlan& plan = plans[k];
    // The transform and the global graph see training ground only.
    plan.fit.assign(data.valid.size(), 1);
    for (size_t i = 0; i < every_cell.size(); ++i) {
      if (fold_of_every[i] != k) continue;
      plan.test.push_back(every_cell[i]);
      plan.fit[every_cell[i].cell] = 0;
    }
    for (size_t i = 0; i < cells.size(); ++i) {
      if (fold_of_sample[i] != k && !NearFold(cells[i].cell, fold_of_cell, k, data.grid, buffer)) {
        plan.train.push_back(cells[i]);
      }
    }
    const auto positives =
        std::count_if(plan.train.begin(), plan.train.end(), [](const LabelledCell& c) { return c.label == 1; });
    if (positives < 2) {
      throw Error("--folds",
                  "fold " + std::to_string(k + 1) + " of " + std::to_string(settings.folds) + " would train on " +
                      std::to_string(positives) +
                      " deposit cell(s); a fit needs at least 2 (a fit on one learns that cell alone). Use fewer"
                      " folds, a smaller --buffer, or more deposits");
    }
  }
  return plans;
}

}  // namespace geoprosp
