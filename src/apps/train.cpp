#include <cpl_string.h>

#include <chrono>
#include <cstdio>

#include "geoprosp/apps/train.hpp"
#include "geoprosp/experiment/calibration.hpp"
#include "geoprosp/experiment/cross_validation.hpp"
#include "geoprosp/experiment/results_json.hpp"
#include "geoprosp/io/output_set.hpp"
#include "geoprosp/pipeline/score_region.hpp"
#include "geoprosp/training/trainer.hpp"

namespace geoprosp {
namespace {

using Clock = std::chrono::steady_clock;

// Seconds spent in each stage, in order.
class StageClock {
 public:
  void Lap(const std::string& stage) {
    const auto now = Clock::now();
    stages_.emplace_back(stage, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  double Total() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  const std::vector<std::pair<std::string, double>>& stages() const { return stages_; }

 private:
  Clock::time_point start_ = Clock::now(), last_ = start_;
  std::vector<std::pair<std::string, double>> stages_;
};

// How the final model ranks its own training area: the class breaks (on the calibrated probability
// and on the raw score), and in-sample figures.
FinalModelSummary SummariseFinalModel(const FinalModel& model, const CellScores& cells, const CellScores& raw) {
  FinalModelSummary summary;
  const TrainedModel& first = model.members.front();
  summary.epochs_run = first.epochs_run;
  summary.best_epoch = first.best_epoch;
  summary.best_validation_loss = first.best_validation_loss;
  summary.nnpu_prior = first.prior;
  summary.pretraining = first.pretraining;
  summary.class_breaks = AreaShareBreaks(cells.scores);
  summary.score_class_breaks = AreaShareBreaks(raw.scores);
  summary.class_breaks_method = kAreaShareBreaksMethod;
  summary.training_area_success_auc = SuccessRateAuc(cells.scores, cells.labels);
  for (size_t i = 0; i < cells.scores.size(); ++i) {
    if (cells.labels[i] && cells.scores[i] >= summary.class_breaks[1]) ++summary.deposit_cells_in_moderate_or_high;
  }
  return summary;
}

std::string Percent(double fraction) { return std::string(CPLSPrintf("%.0f%%", 100 * fraction)); }

// What a geologist reads after training: the data used, the folds, how many held-out deposits the
// top of each fold's ranking finds, the calibration and the class breaks. The JSON report has the rest.
void PrintSummary(const TrainOptions& options, const TrainReport& report) {
  const DataSummary& data = report.data;
  std::string elements;
  for (const auto& e : data.elements) elements += (elements.empty() ? "" : " ") + e;
  std::printf("Inputs: %zu elements (%s)", data.elements.size(), elements.c_str());
  if (!data.ignored_inputs.empty()) std::printf("; %zu inputs not used", data.ignored_inputs.size());
  std::printf("\nDeposits: %lld read -> %lld deposit cells; %lld background cells (%s)\n",
              static_cast<long long>(data.deposits), static_cast<long long>(data.positive_cells),
              static_cast<long long>(data.negative_cells), data.negatives.c_str());
  std::string replaced;
  for (size_t e = 0; e < data.elements.size() && e < data.replaced.size(); ++e) {
    if (data.replaced[e]) replaced += " " + data.elements[e] + " " + std::to_string(data.replaced[e]);
  }
  if (!replaced.empty()) std::printf("Zero or negative values replaced (cells):%s\n", replaced.c_str());
  if (report.graph_edges >= 0)
    std::printf("Element graph: %d edges among %zu elements\n", report.graph_edges, data.elements.size());
  if (report.cv && !report.cv->runs.front().folds.empty()) {
    const CvOutcome& cv = *report.cv;
    const RunResult& run = cv.runs.front();
    const std::string blocks = cv.protocol == CvProtocol::Spatial
                                   ? ", blocks of " + FormatDistance(cv.layout.block_size, data.distance_unit)
                                   : "";
    std::printf("\nCross-validation (%s%s): %s\n", ToString(cv.protocol).c_str(), blocks.c_str(),
                ProtocolNote(cv.protocol).c_str());
    if (cv.layout.autocorrelation_range > 0) {
      std::printf(
          "Blocks follow the features' spatial autocorrelation range, %s (shrunk only to give every fold "
          "deposits)\n",
          FormatDistance(cv.layout.autocorrelation_range, data.distance_unit).c_str());
    }
    std::printf("%-6s %9s %9s  %s\n", "fold", "ROC AUC", "deposits",
                "held-out deposit cells found in the top 5/15/30 % of the fold");
    const bool repeated = cv.layout.repeats > 1;
    for (const auto& fold : run.folds) {
      const std::string name =
          repeated ? std::to_string(fold.repeat) + "." + std::to_string(fold.fold) : std::to_string(fold.fold);
      const Metrics& m = fold.metrics;
      if (!fold.scored) {
        std::printf("%-6s %9s %9lld  (no held-out deposit or background: not scored)\n", name.c_str(), "-",
                    static_cast<long long>(fold.positives_test));
        continue;
      }
      std::printf("%-6s %9.3f %9lld  %s / %s / %s\n", name.c_str(), m.roc_auc,
                  static_cast<long long>(fold.positives_test), Percent(m.captured_top5).c_str(),
                  Percent(m.captured_top15).c_str(), Percent(m.captured_top30).c_str());
    }
    const Metrics& mean = run.summary.mean;
    std::printf("%-6s %9.3f %9s  %s / %s / %s\n", "mean", mean.roc_auc, "", Percent(mean.captured_top5).c_str(),
                Percent(mean.captured_top15).c_str(), Percent(mean.captured_top30).c_str());
    if (run.summary.folds_unscored > 0) {
      std::printf("%d of %zu folds held no test deposit (or no background) and are left out of the mean.\n",
                  run.summary.folds_unscored, run.folds.size());
    }
    if (repeated) {
      std::printf("ROC AUC over %d repeats: %.3f (95 %% interval %.3f to %.3f)\n", cv.layout.repeats, run.roc_auc.mean,
                  run.roc_auc.low, run.roc_auc.high);
    }
  }
  if (report.calibration) {
    const CalibrationReport& c = *report.calibration;
    std::printf(
        "\nCalibration: %s, fitted on %lld out-of-fold cells holding %lld deposit cells; Brier score %.5f "
        "(raw score %.5f)\n",
        ToString(c.calibration.method).c_str(), static_cast<long long>(c.calibration.cells),
        static_cast<long long>(c.calibration.deposit_cells), c.brier_score_calibrated, c.brier_score_raw);
  }
  const auto& breaks = report.final_model.class_breaks;
  std::printf("Class breaks (%s): low %.4g, moderate %.4g, high %.4g\n",
              report.calibration ? "probability" : "raw score", breaks[0], breaks[1], breaks[2]);
  std::printf("Model written to %s (alpha %.2f, %d epochs) in %.1f s.\n", options.output.c_str(), report.alpha.value,
              report.final_model.epochs_run, report.seconds);
}

// The cross-validation, and the calibration fitted on its out-of-fold scores.
void CrossValidateAndCalibrate(const CellData& data, const Labelled& labelled, const ExperimentSettings& settings,
                               const std::string& arch, TrainReport& report, const Progress& progress) {
  if (settings.cv.folds == 0) {
    AddWarning(report.warnings, "no cross-validation, so no calibration: the map will hold raw scores");
    return;
  }
  report.cv = CrossValidate(data, labelled.cells, settings, {{arch, kFoldAlpha, settings.fit.augment}}, progress);
  report.alpha.per_fold = report.cv->fold_alphas;
  int empty = 0;
  for (const auto& fold : report.cv->runs.front().folds) empty += fold.graph_edges == 0 ? 1 : 0;
  if (empty > 0) {
    WarnIfEmptyGraph(0, settings.features.graph,
                     std::to_string(empty) + " of " + std::to_string(report.cv->runs.front().folds.size()) +
                         " cross-validation folds",
                     report.warnings);
  }
  report.calibration =
      CalibrateRun(settings.calibration, settings.cv.protocol, report.cv->runs.front(), report.warnings);
}

// Scores every cell with the final bundle (raw and calibrated): the summary and the class breaks.
void ScoreEveryCell(const RasterStack& stack, const CellData& data, const Labelled& labelled,
                    const FinalModel& final_model, int threads, Bundle& bundle, TrainReport& report,
                    const Progress& progress) {
  const std::vector<float> raw = ScoreGrid(stack, bundle, threads, progress, false);
  const std::vector<float> calibrated =
      bundle.calibration.active() ? ScoreGrid(stack, bundle, threads, Progress{}) : raw;
  report.final_model = SummariseFinalModel(final_model, ValidCellScores(data, calibrated, labelled.cells),
                                           ValidCellScores(data, raw, labelled.cells));
  bundle.class_breaks = report.final_model.class_breaks;
  bundle.score_class_breaks = report.final_model.score_class_breaks;
  bundle.class_breaks_method = report.final_model.class_breaks_method;
}

}  // namespace

TrainReport RunTrain(const TrainOptions& o, const Progress& progress) {
  StageClock clock;
  // Validation before heavy work: every option, the inputs, the labels and the outputs.
  const ExperimentSettings settings = SetUpExperiment(o, o.arch);
  const auto stack = OpenInputStack(o);
  // Every file the run reads is protected; the bundle and the report are committed together.
  OutputSet outputs(o.overwrite);
  outputs.AddInputs(TrainCommand().table.ValuesWithRole(o, "input_"));
  CheckBundleDestination(o.output, o.overwrite);
  const std::string bundle_folder = outputs.Stage("-o", o.output, OutputForm::Folder);
  const std::string report_path = o.report.empty() ? "" : outputs.Stage("--report", o.report, OutputForm::File);
  // Training batches are tiny graphs: torch's intra-op threads cost more than they give (3x slower
  // on 2 threads here). Scoring whole grids uses settings.fit.threads through the fused path.
  SetTorchThreads(1);
  const CellData data = LoadCells(*stack);
  const Labelled labelled = ChooseSamples(settings.labels, data);
  progress.Report(0.02);
  clock.Lap("reading_and_labels");

  TrainReport report;
  WarnIfPortableTrainer(settings.fit.train.engine, report.warnings);
  report.arch = o.arch;
  report.settings = settings;
  const double cv_share = settings.cv.folds > 0 ? 0.8 : 0.0;
  {
    ScaledProgress cv_progress(progress, 0.02, 0.02 + cv_share);
    CrossValidateAndCalibrate(data, labelled, settings, o.arch, report, cv_progress.get());
  }
  clock.Lap("cross_validation");

  ScaledProgress final_progress(progress, 0.02 + cv_share, 0.95);
  const FinalModel final_model = FitFinal(data, labelled, settings, final_progress.get());
  report.alpha.automatic = final_model.alpha.automatic;
  report.alpha.value = final_model.alpha.value;
  report.alpha.sweep = final_model.alpha.sweep;
  report.graph_edges = final_model.graph_edges;
  WarnIfEmptyGraph(final_model.graph_edges, final_model.graph, "the final model", report.warnings);
  if (settings.fit.pretrain.active() && final_model.graph_edges == 0) {
    AddWarning(report.warnings,
               "--pretrain masked: with no edges a hidden element sees no other one, so pre-training cannot learn to "
               "predict it (its loss stays near 1); use --edge-rule top-k or a lower --alpha");
  }
  clock.Lap("final_model");

  Bundle bundle = MakeBundle(data.elements, final_model, settings.fit.spec);
  if (report.calibration) bundle.calibration = report.calibration->calibration;
  {
    ScaledProgress scoring_progress(progress, 0.95, 0.99);
    ScoreEveryCell(*stack, data, labelled, final_model, settings.fit.threads, bundle, report, scoring_progress.get());
  }
  clock.Lap("scoring_every_cell");

  report.data = SummariseData(o.inputs, stack->input_paths(), data, labelled, settings.labels);
  report.seconds = clock.Total();
  report.seconds_by_stage = clock.stages();
  bundle.training = TrainingSummaryJson(report);
  WriteBundle(bundle, bundle_folder, o.output);
  report.model_path = o.output;
  report.model_sha256 = bundle.hash;
  if (!o.report.empty()) WriteJsonFile(report_path, TrainReportJson(report), o.report);
  progress.Report(1.0);
  outputs.Commit();
  return report;
}

Command<TrainOptions> TrainCommand() {
  Command<TrainOptions> command;
  command.program = "geoprosp-train";
  command.title = "Train model";
  command.description =
      "Train a residual GNN prospectivity model from element rasters and known deposits, with honest cross-validation.";
  auto& t = command.table;
  using O = TrainOptions;
  AddInputRasterOptions(t);
  t.Add("output", &O::output)
      .Label("Model bundle folder")
      .Flags({"-o", "--output"})
      .Path()
      .Role("output_model")
      .Required()
      .Help("Model bundle folder to write");
  AddSurveyOptions(t);
  t.Add("arch", &O::arch).Label("Architecture").Choices({"resgcn", "resgat"}).Help("Residual GCN or residual GAT");
  AddTrainingOptions(t);
  t.Add("report", &O::report)
      .Label("JSON report")
      .Path()
      .Role("output_file")
      .Help("JSON report of the cross-validation and the final model");
  AddRunOptions(t);
  t.Add("overwrite", &O::overwrite).Role("ui").Help("Replace an existing bundle and report");
  AddCommonOptions(t);
  command.run = [](const TrainOptions& options, const Progress& progress) {
    const TrainReport report = RunTrain(options, progress);
    if (!options.quiet) {
      PrintSummary(options, report);
    }
  };
  return command;
}

}  // namespace geoprosp
