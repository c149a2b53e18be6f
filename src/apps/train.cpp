#include <chrono>
#include <cstdio>
#include <filesystem>

#include "geoprosp/apps/train.hpp"
#include "geoprosp/experiment/cross_validation.hpp"
#include "geoprosp/experiment/results_json.hpp"
#include "geoprosp/pipeline/score_region.hpp"
#include "geoprosp/training/trainer.hpp"

namespace fs = std::filesystem;

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

void CheckOutputs(const TrainOptions& o) {
  if (fs::exists(o.output) && !o.overwrite) throw Error(o.output, "exists; use --overwrite to replace it");
  const fs::path output_parent = fs::absolute(o.output).parent_path();
  if (!fs::is_directory(output_parent))
    throw Error(o.output, "cannot be written: folder " + output_parent.string() + " does not exist");
  if (!o.report.empty() && fs::exists(o.report) && !o.overwrite)
    throw Error(o.report, "exists; use --overwrite to replace it");
}

// How the final model ranks its own training area: the class breaks, and in-sample figures.
FinalModelSummary SummariseFinalModel(const FinalModel& model, const CellScores& cells) {
  FinalModelSummary summary;
  const TrainedModel& first = model.members.front();
  summary.epochs_run = first.epochs_run;
  summary.best_epoch = first.best_epoch;
  summary.best_validation_loss = first.best_validation_loss;
  summary.nnpu_prior = first.prior;
  summary.class_breaks = AreaShareBreaks(cells.scores);
  summary.class_breaks_method = kAreaShareBreaksMethod;
  summary.training_area_success_auc = SuccessRateAuc(cells.scores, cells.labels);
  for (size_t i = 0; i < cells.scores.size(); ++i) {
    if (cells.labels[i] && cells.scores[i] >= summary.class_breaks[1]) ++summary.deposit_cells_in_moderate_or_high;
  }
  return summary;
}

void PrintTable(const TrainReport& report) {
  const RunResult& run = report.cv->runs.front();
  std::printf("Cross-validation (%s): %s\n", ToString(report.cv->protocol).c_str(),
              ProtocolNote(report.cv->protocol).c_str());
  std::printf("%-6s %8s %8s %8s %8s %8s %8s %8s %8s  %s\n", "fold", "acc", "sens", "spec", "prec", "F1", "ROC", "PR",
              "success", "tn/fp/fn/tp");
  const auto row = [](const std::string& name, const Metrics& m, const std::string& extra) {
    std::printf("%-6s %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f  %s\n", name.c_str(), m.accuracy, m.sensitivity,
                m.specificity, m.precision, m.f1, m.roc_auc, m.pr_auc, m.success_auc, extra.c_str());
  };
  const bool repeated = report.cv->layout.repeats > 1;
  for (const auto& fold : run.folds) {
    const auto& c = fold.metrics.confusion;
    row(repeated ? std::to_string(fold.repeat) + "." + std::to_string(fold.fold) : std::to_string(fold.fold),
        fold.metrics,
        std::to_string(c.tn) + "/" + std::to_string(c.fp) + "/" + std::to_string(c.fn) + "/" + std::to_string(c.tp) +
            (fold.scored ? "" : "  (no test deposit or background: not scored)"));
  }
  row("mean", run.summary.mean, "");
  row("sd", run.summary.sd, "");
  if (run.summary.folds_unscored > 0) {
    std::printf("%d of %zu folds held no test deposit (or no background) and are left out of the mean.\n",
                run.summary.folds_unscored, run.folds.size());
  }
  if (repeated) {
    std::printf("ROC AUC over %d repeats: %.3f (95 %% interval %.3f to %.3f)\n", report.cv->layout.repeats,
                run.roc_auc.mean, run.roc_auc.low, run.roc_auc.high);
  }
}

}  // namespace

TrainReport RunTrain(const TrainOptions& o, const Progress& progress) {
  StageClock clock;
  // Validation before heavy work: every option, the inputs, the labels and the outputs.
  const ExperimentSettings settings = SetUpExperiment(o, o.arch);
  const auto stack = OpenInputStack(o);
  CheckOutputs(o);
  // Training batches are tiny graphs: torch's intra-op threads cost more than they give (3x slower
  // on 2 threads here). Scoring whole grids uses settings.fit.threads through the fused path.
  SetTorchThreads(1);
  const CellData data = LoadCells(*stack);
  const Labelled labelled = ChooseSamples(settings.labels, data);
  progress.Report(0.02);
  clock.Lap("reading_and_labels");

  TrainReport report;
  report.arch = o.arch;
  report.ensemble = o.ensemble;
  report.settings = settings;
  const double cv_share = settings.cv.folds > 0 ? 0.8 : 0.0;
  if (settings.cv.folds > 0) {
    ScaledProgress cv_progress(progress, 0.02, 0.02 + cv_share);
    report.cv =
        CrossValidate(data, labelled.cells, settings, {{o.arch, kFoldAlpha, settings.fit.augment}}, cv_progress.get());
    report.alpha.per_fold = report.cv->fold_alphas;
    int empty = 0;
    for (const auto& fold : report.cv->runs.front().folds) empty += fold.graph_edges == 0 ? 1 : 0;
    if (empty > 0) {
      report.warnings.push_back(WarnIfEmptyGraph(0, settings.features.graph,
                                                 std::to_string(empty) + " of " +
                                                     std::to_string(report.cv->runs.front().folds.size()) +
                                                     " cross-validation folds"));
    }
  }
  clock.Lap("cross_validation");

  ScaledProgress final_progress(progress, 0.02 + cv_share, 0.95);
  const FinalModel final_model = FitFinal(data, labelled, settings, o.ensemble, final_progress.get());
  report.alpha.automatic = final_model.alpha.automatic;
  report.alpha.value = final_model.alpha.value;
  report.alpha.sweep = final_model.alpha.sweep;
  report.graph_edges = final_model.graph_edges;
  if (const auto warning = WarnIfEmptyGraph(final_model.graph_edges, final_model.graph, "the final model");
      !warning.empty())
    report.warnings.push_back(warning);
  clock.Lap("final_model");

  Bundle bundle = MakeBundle(data.elements, final_model, settings.fit.spec);
  ScaledProgress scoring_progress(progress, 0.95, 0.99);
  const std::vector<float> grid = ScoreGrid(*stack, bundle, settings.fit.threads, scoring_progress.get());
  report.final_model = SummariseFinalModel(final_model, ValidCellScores(data, grid, labelled.cells));
  bundle.class_breaks = report.final_model.class_breaks;
  bundle.class_breaks_method = report.final_model.class_breaks_method;
  clock.Lap("scoring_every_cell");

  report.data = SummariseData(stack->input_paths(), data, labelled, settings.labels);
  report.seconds = clock.Total();
  report.seconds_by_stage = clock.stages();
  bundle.training = TrainingSummaryJson(report);
  SaveBundle(bundle, o.output, o.overwrite);
  report.model_path = o.output;
  report.model_sha256 = bundle.hash;
  if (!o.report.empty()) WriteJsonFile(o.report, TrainReportJson(report));
  progress.Report(1.0);
  return report;
}

Command<TrainOptions> TrainCommand() {
  Command<TrainOptions> command;
  command.program = "geoprosp-train";
  command.description =
      "Train a residual GNN prospectivity model from element rasters and known deposits, with honest cross-validation.";
  auto& t = command.table;
  using O = TrainOptions;
  AddInputRasterOptions(t);
  t.Add("output", &O::output)
      .Flags({"-o", "--output"})
      .Path()
      .Role("output_model")
      .Required()
      .Help("Model bundle folder to write");
  AddSurveyOptions(t);
  t.Add("arch", &O::arch).Choices({"resgcn", "resgat"}).Help("Residual GCN or residual GAT");
  AddTrainingOptions(t);
  t.Add("ensemble", &O::ensemble)
      .Range(1, 100)
      .Help("Train N members over seeds and random negative sets; geoprosp-map --sd then maps their spread");
  t.Add("report", &O::report)
      .Path()
      .Role("output_file")
      .Help("JSON report of the cross-validation and the final model");
  AddRunOptions(t);
  t.Add("overwrite", &O::overwrite).Role("ui").Help("Replace an existing bundle and report");
  AddCommonOptions(t);
  command.run = [](const TrainOptions& options, const Progress& progress) {
    const TrainReport report = RunTrain(options, progress);
    if (!options.quiet) {
      if (report.cv && !report.cv->runs.front().folds.empty()) PrintTable(report);
      std::printf("Model written to %s (alpha %.2f, %d epochs) in %.1f s.\n", options.output.c_str(),
                  report.alpha.value, report.final_model.epochs_run, report.seconds);
    }
  };
  return command;
}

}  // namespace geoprosp
