#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "geoprosp/apps/eval.hpp"
#include "geoprosp/experiment/calibration.hpp"
#include "geoprosp/experiment/cross_validation.hpp"
#include "geoprosp/experiment/eval_models.hpp"
#include "geoprosp/experiment/importance.hpp"
#include "geoprosp/experiment/results_json.hpp"
#include "geoprosp/io/output_set.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/pipeline/explain.hpp"
#include "geoprosp/pipeline/score_region.hpp"
#include "geoprosp/report/eval_report.hpp"
#include "geoprosp/report/map_thumbnail.hpp"
#include "geoprosp/report/study_figures.hpp"
#include "geoprosp/training/trainer.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::round(std::chrono::duration<double>(Clock::now() - start).count() * 100) / 100;
}

const std::vector<AugmentMethod> kAugmentMethods = {AugmentMethod::None, AugmentMethod::Noise, AugmentMethod::Smote,
                                                    AugmentMethod::Vae, AugmentMethod::Gan};
const std::vector<std::string> kSweptModels = {"resgcn", "resgat"};

// A comma list of names from `known`, in known's order; "all" is every name.
std::vector<std::string> ParseList(const std::string& text, const std::vector<std::string>& known,
                                   const std::string& option) {
  const auto wanted = SplitList(text);
  if (wanted.size() == 1 && wanted[0] == "all") return known;
  for (const auto& name : wanted) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string all;
      for (const auto& k : known) all += (all.empty() ? "" : ",") + k;
      throw UsageError(option, "unknown name '" + name + "'; known: " + all + " (or all)");
    }
  }
  if (wanted.empty()) throw UsageError(option, "names nothing");
  std::vector<std::string> out;
  for (const auto& name : known) {
    if (std::find(wanted.begin(), wanted.end(), name) != wanted.end()) out.push_back(name);
  }
  return out;
}

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const auto& model : EvalModels()) names.push_back(model.name);
  return names;
}

// The runs the experiments need, each cross-validated once however many experiments share it.
class RunList {
 public:
  size_t Need(const std::string& model, double alpha, AugmentMethod augment) {
    for (size_t i = 0; i < runs_.size(); ++i) {
      if (runs_[i].model == model && runs_[i].alpha == alpha && runs_[i].augment == augment) return i;
    }
    runs_.push_back({model, alpha, augment});
    return runs_.size() - 1;
  }
  const std::vector<CvRun>& runs() const { return runs_; }

 private:
  std::vector<CvRun> runs_;
};

// What each experiment needs from the cross-validation: indices into the run list.
struct EvalPlan {
  std::vector<std::string> models, experiments;
  const EvalModel* augment_model = nullptr;
  RunList runs;
  std::vector<size_t> model_runs, augment_runs;
  std::vector<std::pair<std::string, std::vector<size_t>>> sweep_runs;
  bool Wants(const std::string& experiment) const {
    return std::find(experiments.begin(), experiments.end(), experiment) != experiments.end();
  }
};

EvalPlan PlanEval(const EvalOptions& o, const ExperimentSettings& settings) {
  EvalPlan plan;
  plan.models = ParseList(o.models, ModelNames(), "--models");
  plan.experiments = ParseList(o.experiments, EvalExperiments(), "--experiments");
  plan.augment_model = &FindEvalModel(o.augment_model);
  if (o.folds < 2 && (plan.Wants("models") || plan.Wants("augmentation") || plan.Wants("alpha-sweep")))
    throw UsageError("--folds", "the comparisons need at least 2 folds");
  const double base_alpha = settings.features.alpha_auto ? kFoldAlpha : settings.features.graph.alpha;
  const AugmentMethod augment = settings.fit.augment;
  if (plan.Wants("models")) {
    for (const auto& name : plan.models) plan.model_runs.push_back(plan.runs.Need(name, base_alpha, augment));
  }
  if (plan.Wants("augmentation")) {
    for (auto method : kAugmentMethods)
      plan.augment_runs.push_back(plan.runs.Need(plan.augment_model->name, base_alpha, method));
  }
  if (plan.Wants("alpha-sweep")) {
    for (const auto& name : kSweptModels) {
      std::vector<size_t> points;
      for (double alpha : kAlphaSweep) points.push_back(plan.runs.Need(name, alpha, augment));
      plan.sweep_runs.emplace_back(name, points);
    }
  }
  return plan;
}

// Checks --out-dir and stages it in `outputs`; returns where to write its files.
std::string StageOutDir(const EvalOptions& o, OutputSet& outputs) {
  if (fs::exists(fs::path(o.out_dir) / "results.json") && !o.overwrite)
    throw Error(o.out_dir, "holds results already; use --overwrite to replace them");
  return outputs.Stage("--out-dir", o.out_dir, OutputForm::FolderFiles);
}

// The alpha with the best mean of `metric` (the first of equals).
double BestAlpha(const std::vector<RunResult>& points, double Metrics::*metric) {
  double best = -1, alpha = 0;
  for (const auto& point : points) {
    if (point.summary.mean.*metric > best + 1e-12) {
      best = point.summary.mean.*metric;
      alpha = point.run.alpha;
    }
  }
  return alpha;
}

// Each model against the best classical baseline (by mean ROC AUC) on the same folds: the
// difference of their mean ROC AUCs repeat by repeat, with its interval.
void PairWithBestBaseline(std::vector<ModelComparison>& comparison) {
  const ModelComparison* baseline = nullptr;
  for (const auto& m : comparison) {
    if (m.family.rfind("classical", 0) == 0 &&
        (!baseline || m.run.summary.mean.roc_auc > baseline->run.summary.mean.roc_auc))
      baseline = &m;
  }
  if (!baseline) return;
  const std::string name = baseline->name;
  const std::vector<MetricSummary> baseline_repeats = baseline->run.repeats;
  for (auto& m : comparison) {
    m.baseline = name;
    if (m.name == name) continue;
    std::vector<double> differences;
    for (size_t r = 0; r < m.run.repeats.size() && r < baseline_repeats.size(); ++r) {
      if (m.run.repeats[r].folds_scored > 0 && baseline_repeats[r].folds_scored > 0)
        differences.push_back(m.run.repeats[r].mean.roc_auc - baseline_repeats[r].mean.roc_auc);
    }
    m.roc_auc_difference = MeanInterval(differences);
  }
}

// The cross-validated runs, grouped by the experiments that asked for them.
void AssembleComparisons(const EvalPlan& plan, const CvOutcome& cv, const std::string& alpha_option,
                         EvalResults& results) {
  for (size_t i : plan.model_runs) {
    const EvalModel& model = FindEvalModel(cv.runs[i].run.model);
    std::vector<std::string> ignored;  // the protocol's reason is given once, below
    results.comparison.push_back({model.name, model.label, model.family, model.description, model.paper_row, cv.runs[i],
                                  "", std::nullopt,
                                  CalibrateRun(CalibrationMethod::Platt, cv.protocol, cv.runs[i], ignored)});
  }
  PairWithBestBaseline(results.comparison);
  if (!plan.augment_runs.empty()) {
    AugmentationComparison augmentation{
        plan.augment_model->name, plan.augment_model->label, alpha_option, {}, cv.synthetic};
    for (size_t i : plan.augment_runs) augmentation.methods.push_back(cv.runs[i]);
    results.augmentation = augmentation;
  }
  for (const auto& [name, indices] : plan.sweep_runs) {
    AlphaSweepModel swept{name, FindEvalModel(name).label, {}, 0, 0};
    for (size_t i : indices) swept.points.push_back(cv.runs[i]);
    swept.best_alpha_by_roc_auc = BestAlpha(swept.points, &Metrics::roc_auc);
    swept.best_alpha_by_accuracy = BestAlpha(swept.points, &Metrics::accuracy);
    results.alpha_sweep.push_back(swept);
  }
}

// The final ResGCN map: fitted on every labelled cell, scored in-sample through the map pipeline, with
// each element's global importance (its contributions over the map, pipeline/explain.hpp).
// `out_dir` is where --out-dir (`shown_dir`) is staged.
FinalMap MakeFinalMap(const RasterStack& stack, const CellData& data, const Labelled& labelled,
                      const ExperimentSettings& settings, const std::string& out_dir, const std::string& shown_dir,
                      svg::MapThumbnail& thumbnail, std::vector<std::string>& warnings, const Progress& progress) {
  ScaledProgress fit_progress(progress, 0.0, 0.9);
  const FinalModel model = FitFinal(data, labelled, settings, fit_progress.get());
  WarnIfEmptyGraph(model.graph_edges, model.graph, "the final ResGCN map", warnings);
  const Bundle bundle = MakeBundle(data.elements, model, settings.fit.spec);
  ScaledProgress score_progress(progress, 0.9, 1.0);
  ContributionTotals contributions;
  const std::vector<float> grid =
      ScoreGrid(stack, bundle, settings.fit.threads, score_progress.get(), true, &contributions);
  FinalMap map;
  map.model = "resgcn";
  map.alpha = model.graph.alpha;
  map.epochs_run = model.members.front().epochs_run;
  map.best_epoch = model.members.front().best_epoch;
  map.probability_raster = "resgcn_probability.tif";
  RasterOutput output(
      (fs::path(out_dir) / map.probability_raster).string(),
      {(fs::path(shown_dir) / map.probability_raster).string(), "GTiff", {"COMPRESS=DEFLATE", "TILED=YES"}}, data.grid,
      OutputKind::Probability);
  output.WriteRows(0, data.grid.height, grid.data());
  output.Finish(Progress{});
  const CellScores cells = ValidCellScores(data, grid, labelled.cells);
  map.prediction_area = PredictionAreaOf(cells.scores, cells.labels);
  map.success_auc = SuccessRateAuc(cells.scores, cells.labels);
  map.importance = SummariseImportance(data.elements, contributions.sum, contributions.abs_sum, contributions.cells,
                                       DepositCorrelations(data, model.composition, labelled.cells));
  thumbnail = ProbabilityThumbnail(grid, data.valid, data.grid, labelled.deposits);
  thumbnail.title = "Final ResGCN probability map";
  return map;
}

void PrintSummary(const EvalResults& results, const std::string& out_dir, double seconds) {
  const CvProtocol protocol = results.settings.cv.protocol;
  const std::string blocks =
      protocol == CvProtocol::Spatial
          ? ", blocks of " + FormatDistance(results.layout.block_size, results.data.distance_unit)
          : "";
  std::printf("geoprosp-eval (%s%s): %s\n", ToString(protocol).c_str(), blocks.c_str(), ProtocolNote(protocol).c_str());
  const auto line = [](const std::string& label, const Metrics& mean, const std::string& extra) {
    std::printf("%-22s %6.1f %6.1f %6.1f %6.1f %7.3f %7.3f  %s\n", label.c_str(), 100 * mean.accuracy,
                100 * mean.sensitivity, 100 * mean.specificity, 100 * mean.f1, mean.roc_auc, mean.pr_auc,
                extra.c_str());
  };
  const char* header = "%-22s %6s %6s %6s %6s %7s %7s  %s\n";
  if (!results.comparison.empty()) {
    std::printf("\nModels (mean over %d folds)\n", results.settings.cv.folds);
    std::printf(header, "model", "acc%", "sens%", "spec%", "F1%", "ROC", "PR", "time");
    for (const auto& m : results.comparison) {
      std::string extra = std::to_string(static_cast<int>(std::round(m.run.seconds))) + " s";
      if (m.run.repeats.size() > 1) {
        extra += "  ROC " + FormatNumber(std::round(m.run.roc_auc.mean * 1000) / 1000) + " [" +
                 FormatNumber(std::round(m.run.roc_auc.low * 1000) / 1000) + ", " +
                 FormatNumber(std::round(m.run.roc_auc.high * 1000) / 1000) + "]";
      }
      if (m.roc_auc_difference && m.roc_auc_difference->n > 1) {
        const Interval& d = *m.roc_auc_difference;
        extra += "  vs " + m.baseline + " " + FormatNumber(std::round(d.mean * 1000) / 1000) + " [" +
                 FormatNumber(std::round(d.low * 1000) / 1000) + ", " + FormatNumber(std::round(d.high * 1000) / 1000) +
                 "]";
      }
      if (m.run.summary.folds_unscored > 0)
        extra += " (" + std::to_string(m.run.summary.folds_unscored) + " folds without both classes left out)";
      line(m.label, m.run.summary.mean, extra);
    }
  }
  if (results.augmentation) {
    std::printf("\nAugmentation (%s)\n", results.augmentation->label.c_str());
    std::printf(header, "method", "acc%", "sens%", "spec%", "F1%", "ROC", "PR", "tn/fp/fn/tp");
    for (const auto& run : results.augmentation->methods) {
      line(ToString(run.run.augment), run.summary.mean, ConfusionText(run.summary.confusion));
    }
  }
  if (!results.alpha_sweep.empty()) {
    std::printf("\nAlpha sweep (mean ROC AUC / accuracy %%)\n%-8s", "alpha");
    for (const auto& m : results.alpha_sweep) std::printf(" %17s", m.label.c_str());
    std::printf("\n");
    for (size_t i = 0; i < results.alpha_sweep.front().points.size(); ++i) {
      std::printf("%-8.1f", results.alpha_sweep.front().points[i].run.alpha);
      for (const auto& m : results.alpha_sweep) {
        const Metrics& mean = m.points[i].summary.mean;
        std::printf("    %6.3f / %5.1f", mean.roc_auc, 100 * mean.accuracy);
      }
      std::printf("\n");
    }
  }
  if (results.final_map && results.final_map->prediction_area.intersection) {
    const auto& cross = *results.final_map->prediction_area.intersection;
    std::printf("\nFinal ResGCN map (in-sample): %.0f %% of deposit cells in %.0f %% of the area\n",
                cross.deposits_percent, cross.area_percent);
  }
  std::printf("\nReport written to %s in %.1f s.\n", (fs::path(out_dir) / "report.html").string().c_str(), seconds);
}

}  // namespace

const std::vector<std::string>& EvalExperiments() {
  static const std::vector<std::string> experiments = {"models", "augmentation", "alpha-sweep", "map"};
  return experiments;
}

EvalResults RunEval(const EvalOptions& o, const Progress& progress) {
  const auto start = Clock::now();
  // Validation before heavy work: every option, the inputs, the labels and the output folder.
  const ExperimentSettings settings = SetUpExperiment(o, "resgcn");
  const EvalPlan plan = PlanEval(o, settings);
  const auto stack = OpenInputStack(o);
  // Every file the run reads is protected; the files are staged and committed together.
  OutputSet outputs(o.overwrite);
  outputs.AddInputs(EvalCommand().table.ValuesWithRole(o, "input_"));
  const std::string out_dir = StageOutDir(o, outputs);
  SetTorchThreads(1);  // tiny graphs: torch's intra-op threads cost more than they give (see geoprosp-train)
  const CellData data = LoadCells(*stack);
  const Labelled labelled = ChooseSamples(settings.labels, data);
  EvalResults results;
  results.settings = settings;
  results.models = plan.models;
  results.experiments = plan.experiments;
  results.augment_model = o.augment_model;
  results.timing.emplace_back("load_seconds", SecondsSince(start));
  for (const char* gnn : {"resgcn", "resgat"}) {
    if (std::find(plan.models.begin(), plan.models.end(), gnn) != plan.models.end()) {
      WarnIfPortableTrainer(settings.fit.train.engine, results.warnings);
      break;
    }
  }

  const double cv_share = plan.Wants("map") ? 0.85 : 0.98;
  ScaledProgress cv_progress(progress, 0.02, 0.02 + cv_share);
  const CvOutcome cv = CrossValidate(data, labelled.cells, settings, plan.runs.runs(), cv_progress.get());
  results.layout = cv.layout;
  AssembleComparisons(plan, cv, o.alpha, results);
  results.timing.emplace_back("cross_validation_seconds", cv.seconds);
  results.timing.emplace_back("fold_data_seconds", cv.fold_data_seconds);

  const auto map_start = Clock::now();
  svg::MapThumbnail thumbnail;
  ScaledProgress map_progress(progress, 0.02 + cv_share, 0.99);
  if (plan.Wants("map"))
    results.final_map = MakeFinalMap(*stack, data, labelled, settings, out_dir, o.out_dir, thumbnail, results.warnings,
                                     map_progress.get());
  results.timing.emplace_back("map_seconds", SecondsSince(map_start));
  results.data = SummariseData(o.inputs, stack->input_paths(), data, labelled, settings.labels);

  const auto report_start = Clock::now();
  results.files =
      WriteEvalReport(results, ReportedStudyFigures(), results.final_map ? &thumbnail : nullptr, out_dir, o.out_dir);
  if (results.final_map) results.files.push_back(results.final_map->probability_raster);
  results.timing.emplace_back("report_seconds", SecondsSince(report_start));
  results.timing.emplace_back("total_seconds", SecondsSince(start));
  WriteJsonFile((fs::path(out_dir) / "results.json").string(), EvalResultsJson(results, ReportedStudyFigures()),
                (fs::path(o.out_dir) / "results.json").string());
  progress.Report(1.0);
  outputs.Commit();
  return results;
}

Command<EvalOptions> EvalCommand() {
  Command<EvalOptions> command;
  command.program = "geoprosp-eval";
  command.title = "Evaluate models";
  command.description =
      "Run the study's experiments on your own data: ResGCN and ResGAT against graph, neural and classical "
      "baselines on the same folds, the augmentation comparison, the alpha sweep and the final map, written as "
      "results.json, CSV tables, SVG plots and report.html.";
  auto& t = command.table;
  using O = EvalOptions;
  AddInputRasterOptions(t);
  t.Add("out-dir", &O::out_dir)
      .Label("Output folder")
      .Path()
      .Role("output_dir")
      .Required()
      .Help("Folder for results.json, the CSV tables, the SVG plots and report.html");
  AddSurveyOptions(t);
  std::string model_names;
  for (const auto& name : ModelNames()) model_names += (model_names.empty() ? "" : ",") + name;
  t.Add("models", &O::models)
      .Label("Models to compare")
      .Help("Models to compare, comma-separated, or all: " + model_names);
  t.Add("augment-model", &O::augment_model)
      .Label("Model of the augmentation comparison")
      .Choices(ModelNames())
      .Help("Model trained with each augmentation in the augmentation comparison");
  t.Add("experiments", &O::experiments)
      .Label("Experiments")
      .Help("Experiments to run, comma-separated, or all: models,augmentation,alpha-sweep,map");
  AddTrainingOptions(t);
  AddRunOptions(t);
  t.Add("overwrite", &O::overwrite).Role("ui").Help("Replace the results in an --out-dir that holds some");
  AddCommonOptions(t);
  command.run = [](const EvalOptions& options, const Progress& progress) {
    const EvalResults results = RunEval(options, progress);
    if (!options.quiet) PrintSummary(results, options.out_dir, results.timing.back().second);
  };
  return command;
}

}  // namespace geoprosp
