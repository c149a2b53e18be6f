#pragma once
// What the experiments produce, as types. results_json.hpp turns them into the reports' JSON (the
// only place that does; docs/schema/ states the schema, and a test checks real reports against it).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geoprosp/experiment/experiment.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/io/distance_unit.hpp"
#include "geoprosp/models/calibration.hpp"

namespace geoprosp {

// One fold of one model: its test metrics and what it trained on.
struct FoldResult {
  int repeat = 0;  // 1-based: which repetition of the CV (other block offsets and seeds)
  int fold = 0;    // 1-based
  Metrics metrics;
  bool scored = true;  // false: the test fold lacks a class, so it is left out of the means
  int64_t n_train = 0, n_fit = 0, n_validation = 0, n_test = 0, positives_test = 0;
  double alpha = 0;
  int graph_edges = -1;        // edges of the fold's global graph (-1 in window mode)
  double seconds = 0;          // training and scoring
  double augment_seconds = 0;  // making the fold's synthetic positives for this augmentation
};

// A model, under one graph threshold and one augmentation, cross-validated.
constexpr double kFoldAlpha = -1;  // the fold's own alpha: the one given, or the one --alpha auto picks
struct CvRun {
  std::string model;  // as geoprosp-eval's --models names it (resgcn, resgat, logreg, ...)
  double alpha = kFoldAlpha;
  AugmentMethod augment = AugmentMethod::Gan;
};

struct RunResult {
  CvRun run;
  std::vector<FoldResult> folds;       // every fold of every repeat
  MetricSummary summary;               // over the scored folds of every repeat
  std::vector<MetricSummary> repeats;  // one per repeat
  Interval roc_auc;                    // the repeats' mean ROC AUCs: mean and 95 % interval
  // Every test cell of the first repeat's folds, pooled (a cell is tested in exactly one fold).
  std::vector<float> pooled_scores;
  std::vector<int> pooled_labels;
  double seconds = 0;
};

// How the folds were drawn.
struct FoldLayout {
  int folds = 0;
  int repeats = 1;
  double block_size = 0;               // spatial: the first repeat's block size (CRS units); else 0
  std::vector<double> block_sizes;     // spatial: each repeat's
  double autocorrelation_range = 0;    // the features' range automatic blocks start from; 0 when not used
  std::vector<double> element_ranges;  // each element's range
};

struct CvOutcome {
  CvProtocol protocol = CvProtocol::Spatial;
  FoldLayout layout;
  std::vector<RunResult> runs;  // in the order asked for
  std::vector<double> fold_alphas;
  // How each augmentation's synthetic positives compare with the real ones (first fold).
  std::map<std::string, SyntheticComparison> synthetic;
  double seconds = 0, fold_data_seconds = 0;
};

// The data an experiment ran on.
struct DataSummary {
  std::vector<std::string> inputs, elements;
  std::vector<std::string> ignored_inputs;  // given, but holding no selected element
  int width = 0, height = 0;
  int64_t valid_cells = 0;
  std::string labels_from;
  int64_t deposits = 0, positive_cells = 0, negative_cells = 0;
  std::string negatives;
  double label_radius = 0;
  std::vector<int64_t> replaced;  // zero or negative concentrations replaced, per element
  DistanceUnit distance_unit;     // of the grid's CRS: block size, buffer and radii are in it
};

struct AlphaChoice {
  bool automatic = false;
  double value = 0;
  std::vector<double> per_fold;
  std::vector<AlphaSweepPoint> sweep;  // the final model's inner-CV sweep (automatic only)
};

// The model fitted on every labelled cell, and how it ranks the training area itself.
struct FinalModelSummary {
  int epochs_run = 0, best_epoch = 0;
  double best_validation_loss = 0;
  double nnpu_prior = 0;                   // --loss nnpu: the class prior used (given or estimated)
  PretrainSummary pretraining;             // --pretrain masked: what pre-training did (epochs 0: none)
  std::vector<double> class_breaks;        // on the calibrated probability (the raw score without calibration)
  std::vector<double> score_class_breaks;  // on the raw score
  std::string class_breaks_method;
  double training_area_success_auc = 0;
  int64_t deposit_cells_in_moderate_or_high = 0;
};

// A calibration and how well it holds on cells it was not fitted on (see experiment/calibration.hpp).
struct ReliabilityBin {
  double mean_predicted = 0, observed = 0;  // mean calibrated probability, share of deposit cells
  int64_t cells = 0, deposit_cells = 0;
};

struct CalibrationReport {
  Calibration calibration;                                 // fitted on every out-of-fold score: what a bundle carries
  std::vector<ReliabilityBin> reliability;                 // cross-fitted; ten bins of equal cell count
  double brier_score_raw = 0, brier_score_calibrated = 0;  // cross-fitted
  double prevalence = 0;
};

struct TrainReport {
  std::vector<std::string> warnings;  // also printed as they arise
  int graph_edges = -1;               // of the final model's global graph (-1 in window mode)
  std::string arch;
  ExperimentSettings settings;
  DataSummary data;
  std::optional<CvOutcome> cv;  // none with --folds 0
  AlphaChoice alpha;
  std::optional<CalibrationReport> calibration;  // none without CV, or under the paper protocol
  FinalModelSummary final_model;
  std::string model_path, model_sha256;
  double seconds = 0;
  std::vector<std::pair<std::string, double>> seconds_by_stage;
};

// geoprosp-eval's results.
struct ModelComparison {
  std::string name, label, family, description, paper_row;
  RunResult run;
  // Paired against the best classical baseline on the same folds: each repeat's mean ROC AUC minus
  // the baseline's, with its 95 % interval (absent for the baseline itself and without classical models).
  std::string baseline;
  std::optional<Interval> roc_auc_difference;
  std::optional<CalibrationReport> calibration;  // of its out-of-fold scores (not under the paper protocol)
};

struct AugmentationComparison {
  std::string model, label, alpha;
  std::vector<RunResult> methods;  // one per augmentation, run.run.augment says which
  std::map<std::string, SyntheticComparison> synthetic;
};

struct AlphaSweepModel {
  std::string name, label;
  std::vector<RunResult> points;  // one per alpha of the sweep
  double best_alpha_by_roc_auc = 0, best_alpha_by_accuracy = 0;
};

// One element's part in the final map, by occlusion (pipeline/explain.hpp), beside the data's own
// association of the element with the deposits.
struct ElementImportance {
  std::string element;
  double mean_abs_contribution = 0;  // over the final map's valid cells: the global importance
  double mean_contribution = 0;
  // Pearson r of the element's standardised clr value with the deposit-cell indicator (1 on the
  // labelled deposit cells, 0 on every other valid cell).
  double deposit_correlation = 0;
};

struct ImportanceSummary {
  std::vector<ElementImportance> elements;  // by mean_abs_contribution, largest first
  int64_t cells = 0;                        // explained
  double rank_agreement = 0;                // Spearman's rho of mean |contribution| against |r|
  int top3_shared = 0;                      // elements in both top threes (by mean |contribution| and by |r|)
};

struct FinalMap {
  std::string model;
  double alpha = 0;
  int epochs_run = 0, best_epoch = 0;
  std::string probability_raster;  // file name inside --out-dir
  PredictionArea prediction_area;
  double success_auc = 0;
  ImportanceSummary importance;
};

// What the study reported (paper-notes.md), in its own units: Table 2's percentages and Figure 6's
// counts as printed. They come from other data (Pangxidong) under the augment-then-split protocol,
// so reports keep them apart from ours. report/study_figures.cpp holds the values.
struct StudyFigures {
  struct Rates {
    double accuracy = 0, sensitivity = 0, specificity = 0, f1 = 0;  // percent
  };
  std::string source;
  std::vector<std::pair<std::string, Rates>> table2;         // by the study's model name, in its order
  std::vector<std::pair<AugmentMethod, Confusion>> figure6;  // by augmentation, in its order
  std::string figure6_note;
  std::vector<double> alphas_tried;
  double best_alpha = 0;

  // nullptr where the study reported none.
  const Rates* Table2Row(const std::string& model) const {
    for (const auto& [name, rates] : table2) {
      if (name == model) return &rates;
    }
    return nullptr;
  }
  const Confusion* Figure6Matrix(AugmentMethod augment) const {
    for (const auto& [method, confusion] : figure6) {
      if (method == augment) return &confusion;
    }
    return nullptr;
  }
};

struct EvalResults {
  std::vector<std::string> warnings;
  ExperimentSettings settings;
  std::vector<std::string> models, experiments;
  std::string augment_model;
  DataSummary data;
  FoldLayout layout;
  std::vector<ModelComparison> comparison;
  std::optional<AugmentationComparison> augmentation;
  std::vector<AlphaSweepModel> alpha_sweep;
  std::optional<FinalMap> final_map;
  std::vector<std::pair<std::string, double>> timing;  // seconds by stage, in order
  std::vector<std::string> files;
};

}  // namespace geoprosp
