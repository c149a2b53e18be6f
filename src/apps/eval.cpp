#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "geoprosp/apps/eval.hpp"
#include "geoprosp/experiment/eval_models.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/report/eval_report.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::round(std::chrono::duration<double>(Clock::now() - start).count() * 100) / 100;
}

const std::vector<AugmentMethod> kAugmentMethods = {AugmentMethod::None, AugmentMethod::Noise, AugmentMethod::Smote,
                                                    AugmentMethod::Vae, AugmentMethod::Gan};
const std::vector<std::string> kSweptModels = {"resgcn", "resgat"};
constexpr double kFoldAlpha = -1;  // the fold's own alpha: the one given, or the one --alpha auto selects

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

// One model under one graph threshold and one augmentation, on every fold.
struct Run {
  std::string model;
  double alpha = kFoldAlpha;
  AugmentMethod augment = AugmentMethod::Gan;
  std::vector<Metrics> metrics;
  json folds = json::array();
  std::vector<float> pooled_scores;
  std::vector<int> pooled_labels;
  double seconds = 0;
};

// The runs the experiments need, each made once however many experiments share it.
class RunTable {
 public:
  size_t Need(const std::string& model, double alpha, AugmentMethod augment) {
    for (size_t i = 0; i < runs_.size(); ++i) {
      if (runs_[i].model == model && runs_[i].alpha == alpha && runs_[i].augment == augment) return i;
    }
    Run run;
    run.model = model;
    run.alpha = alpha;
    run.augment = augment;
    runs_.push_back(run);
    return runs_.size() - 1;
  }
  std::vector<Run>& runs() { return runs_; }
  const Run& at(size_t i) const { return runs_[i]; }

 private:
  std::vector<Run> runs_;
};

// Each fold's training data and test samples under the chosen protocol, for any graph threshold
// and augmentation. Within a fold, the samples of each alpha and the inner split and synthetic
// positives of each augmentation are made once, so every model of the fold trains on the same ones.
class FoldSource {
 public:
  struct Fold {
    FitData train;
    SampleSet test;
  };

  FoldSource(const CellData& data, const std::vector<LabelledCell>& cells, const ExperimentSetup& setup,
             const EvalOptions& o)
      : data_(data), cells_(cells), setup_(setup), o_(o) {
    if (setup.protocol == CvProtocol::Paper) {
      space_ = FitFeatures(data, std::vector<uint8_t>(data.valid.size(), 1), setup.transform, o.zero_replace);
    } else {
      plans_ = PlanFolds(cells, data, {setup.protocol, o.folds, o.block_size, static_cast<uint64_t>(o.seed)}, o.buffer);
    }
  }

  uint64_t fold_seed() const { return static_cast<uint64_t>(o_.seed) + 101 * (k_ + 1); }
  double fold_alpha() const { return fold_alpha_; }
  // How the synthetic positives of each augmentation compare with the real ones (first fold).
  const json& synthetic_report() const { return synthetic_report_; }

  void StartFold(int k) {
    k_ = k;
    fold_alpha_ = setup_.graph.alpha;  // the paper protocol keeps it under --alpha auto, as geoprosp-train does
    if (setup_.protocol == CvProtocol::Paper) return;
    space_ = FitFeatures(data_, plans_[k].fit, setup_.transform, o_.zero_replace);
    samples_.clear();
    splits_.clear();
    if (setup_.alpha_auto) {
      json sweep;
      fold_alpha_ = SelectAlpha(data_, space_, setup_.graph, plans_[k].train, setup_.settings, o_.seed + k, sweep);
    }
  }

  Fold Get(double alpha, AugmentMethod method) {
    const std::string key = ToString(method);
    if (setup_.protocol == CvProtocol::Paper) {
      // The study's protocol: synthetic positives join every labelled sample, then the folds are drawn.
      if (!synthetic_.count(key)) {
        synthetic_[key] =
            MakeSynthetic(Samples(alpha, cells_), method, o_.augment_ratio, o_.seed, &synthetic_report_[key]);
      }
      const SampleSet all = WithSynthetic(Samples(alpha, cells_), synthetic_[key]);
      const auto fold = StratifiedFolds(all.labels, o_.folds, o_.seed);
      const SampleSet train = all.Subset(IndicesWhere(fold, k_, false));
      const auto split = SplitAndAugment(train, AugmentMethod::None, o_.augment_ratio, fold_seed(), nullptr);
      return {ApplySplit(train, split), all.Subset(IndicesWhere(fold, k_))};
    }
    const SampleSet& train = Samples(alpha, plans_[k_].train);
    if (!splits_.count(key)) {
      json* report = k_ == 0 ? &synthetic_report_[key] : nullptr;
      splits_[key] = SplitAndAugment(train, method, o_.augment_ratio, fold_seed(), report);
    }
    return {ApplySplit(train, splits_[key]), Samples(alpha, plans_[k_].test)};
  }

 private:
  // The samples of `cells` at `alpha` (cached per fold; the test cells of a fold differ from its
  // training cells, so the key holds both).
  const SampleSet& Samples(double alpha, const std::vector<LabelledCell>& cells) {
    const auto key = std::make_pair(alpha, &cells);
    auto found = samples_.find(key);
    if (found == samples_.end()) {
      GraphSpec graph = setup_.graph;
      graph.alpha = alpha;
      found = samples_.emplace(key, BuildSamples(data_, space_, graph, cells)).first;
    }
    return found->second;
  }

  const CellData& data_;
  const std::vector<LabelledCell>& cells_;
  const ExperimentSetup& setup_;
  const EvalOptions& o_;
  std::vector<FoldPlan> plans_;
  FeatureSpace space_;
  int k_ = 0;
  double fold_alpha_ = 0.6;
  std::map<std::pair<double, const std::vector<LabelledCell>*>, SampleSet> samples_;
  std::map<std::string, AugmentedSplit> splits_;
  std::map<std::string, Synthetic> synthetic_;
  json synthetic_report_ = json::object();
};

json ModelJson(const EvalModel& model, const Run& run, const json& study) {
  json out = {{"name", model.name},
              {"label", model.label},
              {"family", model.family},
              {"description", model.description},
              {"folds", run.folds},
              {"mean", MeanJson(run.metrics)},
              {"sd", SdJson(run.metrics)},
              {"seconds", std::round(run.seconds * 100) / 100},
              {"pooled",
               {{"roc_auc", RocAuc(run.pooled_scores, run.pooled_labels)},
                {"success_auc", SuccessRateAuc(run.pooled_scores, run.pooled_labels)},
                {"roc_curve", RocCurve(run.pooled_scores, run.pooled_labels)},
                {"success_curve", SuccessCurve(run.pooled_scores, run.pooled_labels)}}}};
  out["study"] = !model.paper_row.empty() && study["table2"].contains(model.paper_row)
                     ? study["table2"][model.paper_row]
                     : json(nullptr);
  return out;
}

Confusion SummedConfusion(const std::vector<Metrics>& folds) {
  Confusion sum;
  for (const auto& m : folds) {
    sum.tn += m.confusion.tn;
    sum.fp += m.confusion.fp;
    sum.fn += m.confusion.fn;
    sum.tp += m.confusion.tp;
  }
  return sum;
}

// The alpha with the best mean of `metric` (the first of equals).
double BestAlpha(const json& points, const std::string& metric) {
  double best = -1, alpha = 0;
  for (const auto& p : points) {
    if (p["mean"][metric].is_number() && p["mean"][metric].get<double>() > best + 1e-12) {
      best = p["mean"][metric];
      alpha = p["alpha"];
    }
  }
  return alpha;
}

void PrintSummary(const json& results, const std::string& out_dir) {
  std::printf("geoprosp-eval (%s): %s\n", results["protocol"].get<std::string>().c_str(),
              results["protocol_note"].get<std::string>().c_str());
  // NaN (printed "nan") where no fold could be scored.
  const auto value = [](const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); };
  const auto line = [&](const std::string& label, const json& mean, const std::string& extra) {
    std::printf("%-22s %6.1f %6.1f %6.1f %6.1f %7.3f %7.3f  %s\n", label.c_str(), 100 * value(mean["accuracy"]),
                100 * value(mean["sensitivity"]), 100 * value(mean["specificity"]), 100 * value(mean["f1"]),
                value(mean["roc_auc"]), value(mean["pr_auc"]), extra.c_str());
  };
  const char* header = "%-22s %6s %6s %6s %6s %7s %7s  %s\n";
  if (!results["models"].empty()) {
    std::printf("\nModels (mean over %d folds)\n", results["models"][0]["mean"]["folds_scored"].get<int>());
    if (!results.value("folds_note", "").empty()) std::printf("%s\n", results["folds_note"].get<std::string>().c_str());
    std::printf(header, "model", "acc%", "sens%", "spec%", "F1%", "ROC", "PR", "time");
    for (const auto& m : results["models"]) {
      line(m["label"], m["mean"], std::to_string(static_cast<int>(std::round(m["seconds"].get<double>()))) + " s");
    }
  }
  if (!results["augmentation"].is_null()) {
    std::printf("\nAugmentation (%s)\n", results["augmentation"]["label"].get<std::string>().c_str());
    std::printf(header, "method", "acc%", "sens%", "spec%", "F1%", "ROC", "PR", "tn/fp/fn/tp");
    for (const auto& m : results["augmentation"]["methods"]) {
      const auto& c = m["confusion"];
      line(m["method"], m["mean"],
           std::to_string(c["tn"].get<int64_t>()) + "/" + std::to_string(c["fp"].get<int64_t>()) + "/" +
               std::to_string(c["fn"].get<int64_t>()) + "/" + std::to_string(c["tp"].get<int64_t>()));
    }
  }
  if (!results["alpha_sweep"].is_null()) {
    std::printf("\nAlpha sweep (mean ROC AUC / accuracy %%)\n%-8s", "alpha");
    for (const auto& m : results["alpha_sweep"]["models"]) std::printf(" %17s", m["label"].get<std::string>().c_str());
    std::printf("\n");
    const auto& models = results["alpha_sweep"]["models"];
    for (size_t i = 0; i < models[0]["points"].size(); ++i) {
      std::printf("%-8.1f", models[0]["points"][i]["alpha"].get<double>());
      for (const auto& m : models) {
        const auto& mean = m["points"][i]["mean"];
        std::printf("    %6.3f / %5.1f", value(mean["roc_auc"]), 100 * value(mean["accuracy"]));
      }
      std::printf("\n");
    }
  }
  if (!results["final_map"].is_null()) {
    const auto& cross = results["final_map"]["prediction_area"]["intersection"];
    if (!cross.is_null()) {
      std::printf("\nFinal ResGCN map (in-sample): %.0f %% of deposit cells in %.0f %% of the area\n",
                  cross["deposits_percent"].get<double>(), cross["area_percent"].get<double>());
    }
  }
  std::printf("\nReport written to %s in %.1f s.\n", (fs::path(out_dir) / "report.html").string().c_str(),
              results["timing"]["total_seconds"].get<double>());
}

}  // namespace

const std::vector<std::string>& EvalExperiments() {
  static const std::vector<std::string> experiments = {"models", "augmentation", "alpha-sweep", "map"};
  return experiments;
}

json RunEval(const EvalOptions& o, const Progress& progress) {
  const auto start = Clock::now();
  // Validation before heavy work: every option, the inputs, the labels and the output folder.
  const ExperimentSetup setup = SetUpExperiment(o, "resgcn");
  const auto models = ParseList(o.models, ModelNames(), "--models");
  const auto experiments = ParseList(o.experiments, EvalExperiments(), "--experiments");
  const auto wants = [&](const std::string& experiment) {
    return std::find(experiments.begin(), experiments.end(), experiment) != experiments.end();
  };
  const EvalModel& augment_model = FindEvalModel(o.augment_model);
  if (o.folds < 2 && (wants("models") || wants("augmentation") || wants("alpha-sweep")))
    throw UsageError("--folds", "the comparisons need at least 2 folds");
  const auto stack = OpenInputStack(o);
  SetTorchThreads(1);  // tiny graphs: torch's intra-op threads cost more than they give (see geoprosp-train)
  if (fs::exists(o.out_dir) && !fs::is_directory(o.out_dir)) throw Error(o.out_dir, "exists and is not a folder");
  if (fs::exists(fs::path(o.out_dir) / "results.json") && !o.overwrite)
    throw Error(o.out_dir, "holds results already; use --overwrite to replace them");
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw Error(o.out_dir, "cannot be created: " + ec.message());

  const CellData data = LoadCells(*stack);
  const Labelled labelled = ChooseSamples(setup.labels, data);
  const auto& cells = labelled.cells;
  const double load_seconds = SecondsSince(start);

  EvalModelSettings model_settings;
  model_settings.network = setup.settings.spec;
  model_settings.train = setup.settings.train;
  model_settings.threads = setup.settings.threads;
  const AugmentMethod augment = setup.settings.augment;
  const double base_alpha = setup.alpha_auto ? kFoldAlpha : setup.graph.alpha;

  RunTable table;
  std::vector<size_t> model_runs, augment_runs;
  std::map<std::string, std::vector<size_t>> sweep_runs;
  if (wants("models")) {
    for (const auto& name : models) model_runs.push_back(table.Need(name, base_alpha, augment));
  }
  if (wants("augmentation")) {
    for (auto method : kAugmentMethods) augment_runs.push_back(table.Need(augment_model.name, base_alpha, method));
  }
  if (wants("alpha-sweep")) {
    for (const auto& name : kSweptModels) {
      for (double alpha : kAlphaSweep) sweep_runs[name].push_back(table.Need(name, alpha, augment));
    }
  }

  // Cross-validation: fold by fold, every run on the same fold data.
  const auto cv_start = Clock::now();
  FoldSource source(data, cells, setup, o);
  auto& runs = table.runs();
  const double cv_share = wants("map") ? 0.85 : 0.98;
  const size_t units = std::max<size_t>(1, runs.size() * std::max(0, o.folds));
  size_t done = 0;
  double fold_data_seconds = 0;  // features, samples, inner splits and synthetic positives
  for (int k = 0; k < o.folds && !runs.empty(); ++k) {
    const auto fold_start = Clock::now();
    source.StartFold(k);
    fold_data_seconds += SecondsSince(fold_start);
    for (auto& run : runs) {
      const double alpha = run.alpha == kFoldAlpha ? source.fold_alpha() : run.alpha;
      const auto data_start = Clock::now();
      const auto fold = source.Get(alpha, run.augment);
      fold_data_seconds += SecondsSince(data_start);
      ScaledProgress run_progress(progress, 0.02 + cv_share * done / units, 0.02 + cv_share * (done + 1) / units);
      const auto run_start = Clock::now();
      const auto scores =
          FitAndScoreModel(run.model, fold.train, fold.test, model_settings, source.fold_seed(), run_progress.get());
      const double seconds = SecondsSince(run_start);
      run.metrics.push_back(ComputeMetrics(scores, fold.test.labels));
      auto entry = ToJson(run.metrics.back());
      entry["fold"] = k + 1;
      entry["n_fit"] = fold.train.fit.size();
      entry["n_validation"] = fold.train.validation.size();
      entry["n_test"] = fold.test.size();
      entry["positives_test"] = std::count(fold.test.labels.begin(), fold.test.labels.end(), 1);
      entry["alpha"] = alpha;
      entry["seconds"] = seconds;
      run.folds.push_back(entry);
      run.seconds += seconds;
      run.pooled_scores.insert(run.pooled_scores.end(), scores.begin(), scores.end());
      run.pooled_labels.insert(run.pooled_labels.end(), fold.test.labels.begin(), fold.test.labels.end());
      ++done;
    }
  }
  const double cv_seconds = SecondsSince(cv_start);

  const json study = StudyFigures();
  json results;
  results["tool"] = "geoprosp-eval";
  results["version"] = GEOPROSP_VERSION;
  results["protocol"] = ToString(setup.protocol);
  results["protocol_note"] = ProtocolNote(setup.protocol);
  results["data"] = {{"inputs", stack->input_paths()},
                     {"elements", data.elements},
                     {"width", data.grid.width},
                     {"height", data.grid.height},
                     {"valid_cells", data.valid_count},
                     {"labels_from", o.deposits.empty() ? o.labels : o.deposits},
                     {"deposits", labelled.deposits_read},
                     {"positive_cells", labelled.positive_cells},
                     {"negative_cells", static_cast<int64_t>(cells.size()) - labelled.positive_cells},
                     {"negatives", o.negatives},
                     {"label_radius", o.label_radius}};
  results["settings"] =
      SettingsJson(o, o.folds >= 2 && setup.protocol == CvProtocol::Spatial
                          ? ResolveBlockSize(cells, data.grid, {setup.protocol, o.folds, o.block_size, 0})
                          : o.block_size);
  results["settings"]["augment_model"] = o.augment_model;
  results["settings"]["models"] = models;
  results["settings"]["experiments"] = experiments;
  results["study"] = study;
  results["folds_note"] = runs.empty() ? "" : LeftOutNote(runs.front().metrics);

  results["models"] = json::array();
  for (size_t i : model_runs)
    results["models"].push_back(ModelJson(FindEvalModel(table.at(i).model), table.at(i), study));

  results["augmentation"] = nullptr;
  if (!augment_runs.empty()) {
    json methods = json::array();
    for (size_t i : augment_runs) {
      const Run& run = table.at(i);
      const std::string method = ToString(run.augment);
      const Confusion c = SummedConfusion(run.metrics);
      methods.push_back(
          {{"method", method},
           {"mean", MeanJson(run.metrics)},
           {"sd", SdJson(run.metrics)},
           {"confusion", {{"tn", c.tn}, {"fp", c.fp}, {"fn", c.fn}, {"tp", c.tp}}},
           {"study_confusion", study["figure6"].contains(method) ? study["figure6"][method] : json()},
           {"synthetic_vs_real",
            source.synthetic_report().contains(method) ? source.synthetic_report()[method] : json::object()},
           {"seconds", std::round(run.seconds * 100) / 100}});
    }
    results["augmentation"] = {{"model", augment_model.name},
                               {"label", augment_model.label},
                               {"alpha", o.alpha},
                               {"methods", methods},
                               {"note", "confusion matrices are summed over the test folds"}};
  }

  results["alpha_sweep"] = nullptr;
  if (!sweep_runs.empty()) {
    json swept = json::array();
    for (const auto& name : kSweptModels) {
      json points = json::array();
      for (size_t i : sweep_runs[name]) {
        const Run& run = table.at(i);
        points.push_back({{"alpha", run.alpha},
                          {"mean", MeanJson(run.metrics)},
                          {"sd", SdJson(run.metrics)},
                          {"seconds", std::round(run.seconds * 100) / 100}});
      }
      swept.push_back({{"name", name},
                       {"label", FindEvalModel(name).label},
                       {"points", points},
                       {"best_alpha_by_roc_auc", BestAlpha(points, "roc_auc")},
                       {"best_alpha_by_accuracy", BestAlpha(points, "accuracy")}});
    }
    results["alpha_sweep"] = {{"values", kAlphaSweep}, {"models", swept}, {"study_best_alpha", study["best_alpha"]}};
  }

  // The final ResGCN map: every cell fits the transform and graph; all labelled cells train it.
  results["final_map"] = nullptr;
  svg::MapThumbnail thumbnail;
  const auto map_start = Clock::now();
  if (wants("map")) {
    const FeatureSpace space =
        FitFeatures(data, std::vector<uint8_t>(data.valid.size(), 1), setup.transform, o.zero_replace);
    GraphSpec graph = setup.graph;
    if (setup.alpha_auto) {
      json sweep;
      graph.alpha = SelectAlpha(data, space, setup.graph, cells, setup.settings, o.seed, sweep);
    }
    ScaledProgress map_progress(progress, 0.02 + cv_share, 0.97);
    const TrainedModel model =
        Fit(BuildSamples(data, space, graph, cells), setup.settings, o.seed, map_progress.get(), nullptr);
    const auto every_cell = EveryValidCell(data, cells);
    const SampleSet map_cells = BuildSamples(data, space, graph, every_cell);
    const auto probabilities = PredictResGnn(setup.settings.spec, model.weights, map_cells, setup.settings.threads);
    std::vector<float> raster(data.valid.size(), kProbabilityNodata);
    for (size_t i = 0; i < every_cell.size(); ++i) raster[every_cell[i].cell] = probabilities[i];
    const std::string raster_name = "resgcn_probability.tif";
    RasterOutput output({(fs::path(o.out_dir) / raster_name).string(), "GTiff", {"COMPRESS=DEFLATE", "TILED=YES"}},
                        data.grid, OutputKind::Probability);
    output.WriteRows(0, data.grid.height, raster.data());
    output.Commit(true, Progress{});
    thumbnail = ProbabilityThumbnail(raster, data.valid, data.grid, labelled.deposits);
    thumbnail.title = "Final ResGCN probability map";
    results["final_map"] = {{"model", "resgcn"},
                            {"alpha", graph.alpha},
                            {"epochs_run", model.epochs_run},
                            {"best_epoch", model.best_epoch},
                            {"probability_raster", raster_name},
                            {"prediction_area", PredictionArea(probabilities, map_cells.labels)},
                            {"success_auc", SuccessRateAuc(probabilities, map_cells.labels)},
                            {"note", "trained on all labelled cells and scored in-sample: not test figures"}};
  }
  const double map_seconds = SecondsSince(map_start);

  const auto report_start = Clock::now();
  results["timing"] = {{"load_seconds", load_seconds},
                       {"cross_validation_seconds", cv_seconds},
                       {"fold_data_seconds", std::round(fold_data_seconds * 100) / 100},
                       {"map_seconds", map_seconds},
                       {"total_seconds", SecondsSince(start)}};
  auto files = WriteEvalReport(results, results["final_map"].is_null() ? nullptr : &thumbnail, o.out_dir);
  if (!results["final_map"].is_null()) files.push_back(results["final_map"]["probability_raster"]);
  results["timing"]["report_seconds"] = SecondsSince(report_start);
  results["timing"]["total_seconds"] = SecondsSince(start);
  results["files"] = files;
  const auto results_path = (fs::path(o.out_dir) / "results.json").string();
  std::ofstream out(results_path);
  out << results.dump(2) << "\n";
  if (!out) throw Error(results_path, "cannot be written");
  progress.Report(1.0);
  return results;
}

Command<EvalOptions> EvalCommand() {
  Command<EvalOptions> command;
  command.program = "geoprosp-eval";
  command.description =
      "Run the study's experiments on your own data: ResGCN and ResGAT against graph, neural and classical "
      "baselines on the same folds, the augmentation comparison, the alpha sweep and the final map, written as "
      "results.json, CSV tables, SVG plots and report.html.";
  auto& t = command.table;
  using O = EvalOptions;
  AddInputRasterOptions(t);
  t.Add("out-dir", &O::out_dir)
      .Path()
      .Role("output_dir")
      .Required()
      .Help("Folder for results.json, the CSV tables, the SVG plots and report.html");
  AddSurveyOptions(t);
  std::string model_names;
  for (const auto& name : ModelNames()) model_names += (model_names.empty() ? "" : ",") + name;
  t.Add("models", &O::models).Help("Models to compare, comma-separated, or all: " + model_names);
  t.Add("augment-model", &O::augment_model)
      .Choices(ModelNames())
      .Help("Model trained with each augmentation in the augmentation comparison");
  t.Add("experiments", &O::experiments)
      .Help("Experiments to run, comma-separated, or all: models,augmentation,alpha-sweep,map");
  AddTrainingOptions(t);
  AddRunOptions(t);
  t.Add("overwrite", &O::overwrite).Role("ui").Help("Replace the results in an --out-dir that holds some");
  AddCommonOptions(t);
  command.run = [](const EvalOptions& options, const Progress& progress) {
    const auto results = RunEval(options, progress);
    if (!options.quiet) PrintSummary(results, options.out_dir);
  };
  return command;
}

}  // namespace geoprosp
