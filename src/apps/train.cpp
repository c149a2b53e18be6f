#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "geoprosp/apps/train.hpp"
#include "geoprosp/experiment/experiment.hpp"
#include "geoprosp/experiment/folds.hpp"
#include "geoprosp/experiment/metrics.hpp"
#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/training/augment.hpp"
#include "geoprosp/training/trainer.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {
void PrintTable(const nlohmann::json& report) {
  std::printf("Cross-validation (%s): %s\n", report["protocol"].get<std::string>().c_str(),
              report["protocol_note"].get<std::string>().c_str());
  std::printf("%-6s %8s %8s %8s %8s %8s %8s %8s %8s  %s\n", "fold", "acc", "sens", "spec", "prec", "F1", "ROC", "PR",
              "success", "tn/fp/fn/tp");
  for (const auto& f : report["folds"]) {
    const auto& c = f["confusion"];
    std::printf("%-6d %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f  %lld/%lld/%lld/%lld\n", f["fold"].get<int>(),
                f["accuracy"].get<double>(), f["sensitivity"].get<double>(), f["specificity"].get<double>(),
                f["precision"].get<double>(), f["f1"].get<double>(), f["roc_auc"].get<double>(),
                f["pr_auc"].get<double>(), f["success_auc"].get<double>(), c["tn"].get<long long>(),
                c["fp"].get<long long>(), c["fn"].get<long long>(), c["tp"].get<long long>());
  }
  for (const char* row : {"mean", "sd"}) {
    const auto& m = report[row];
    if (m.is_null()) continue;
    std::printf("%-6s %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f\n", row, m["accuracy"].get<double>(),
                m["sensitivity"].get<double>(), m["specificity"].get<double>(), m["precision"].get<double>(),
                m["f1"].get<double>(), m["roc_auc"].get<double>(), m["pr_auc"].get<double>(),
                m["success_auc"].get<double>());
  }
}

}  // namespace

nlohmann::json RunTrain(const TrainOptions& o, const Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  // Validation before heavy work: every option, the inputs, the labels and the outputs.
  const ExperimentSetup setup = SetUpExperiment(o, o.arch);
  const ExperimentSettings& settings = setup.settings;
  const Transform transform = setup.transform;
  GraphSpec graph = setup.graph;
  const bool alpha_auto = setup.alpha_auto;
  const CvProtocol protocol = setup.protocol;
  const auto stack = OpenInputStack(o);
  if (fs::exists(o.output) && !o.overwrite) throw Error(o.output, "exists; use --overwrite to replace it");
  const fs::path output_parent = fs::absolute(o.output).parent_path();
  if (!fs::is_directory(output_parent))
    throw Error(o.output, "cannot be written: folder " + output_parent.string() + " does not exist");
  if (!o.report.empty() && fs::exists(o.report) && !o.overwrite)
    throw Error(o.report, "exists; use --overwrite to replace it");

  // Training batches are tiny graphs: torch's intra-op threads cost more than they give (3x slower
  // on 2 threads here). Scoring whole grids uses settings.threads through the fused path.
  SetTorchThreads(1);
  const CellData data = LoadCells(*stack);
  const Labelled labelled = ChooseSamples(setup.labels, data);
  const auto& cells = labelled.cells;
  progress.Report(0.02);

  nlohmann::json report;
  report["protocol"] = ToString(protocol);
  report["protocol_note"] = ProtocolNote(protocol);
  report["data"] = {{"elements", data.elements},
                    {"width", data.grid.width},
                    {"height", data.grid.height},
                    {"valid_cells", data.valid_count},
                    {"deposits", labelled.deposits_read},
                    {"positive_cells", labelled.positive_cells},
                    {"negative_cells", static_cast<int64_t>(cells.size()) - labelled.positive_cells},
                    {"negatives", o.negatives},
                    {"label_radius", o.label_radius}};
  report["augment"] = {{"method", o.augment}, {"ratio", o.augment_ratio}};
  report["folds"] = nlohmann::json::array();
  nlohmann::json alpha_report = {{"mode", alpha_auto ? "auto" : "fixed"}, {"per_fold", nlohmann::json::array()}};

  std::vector<Metrics> fold_metrics;
  // Where the time goes, for docs/benchmarks.md: stages and, per fold, training and augmentation.
  nlohmann::json seconds_by_stage;
  const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count() * 100) / 100;
  };
  seconds_by_stage["reading_and_labels"] = seconds_since(start);
  const auto cv_start = std::chrono::steady_clock::now();
  const double cv_share = o.folds > 0 ? 0.8 : 0.0;
  if (o.folds > 0) {
    FoldSettings fold_settings{protocol, o.folds, o.block_size, static_cast<uint64_t>(o.seed)};
    if (protocol == CvProtocol::Paper) {
      // Augment everything first, then split: the study's protocol.
      const std::vector<uint8_t> everywhere(data.valid.size(), 1);
      const FeatureSpace space = FitFeatures(data, everywhere, transform, o.zero_replace);
      const SampleSet real = BuildSamples(data, space, graph, cells);
      const SampleSet all = WithSynthetic(real, MakeSynthetic(real, settings.augment, settings.augment_ratio, o.seed,
                                                              &report["augment"]["comparison"]));
      const auto fold = StratifiedFolds(all.labels, o.folds, o.seed);
      ExperimentSettings no_more = settings;
      no_more.augment = AugmentMethod::None;
      for (int k = 0; k < o.folds; ++k) {
        ScaledProgress fold_progress(progress, 0.02 + cv_share * k / o.folds, 0.02 + cv_share * (k + 1) / o.folds);
        const auto fold_start = std::chrono::steady_clock::now();
        const SampleSet test = all.Subset(IndicesWhere(fold, k));
        const auto scores = FitAndScore(all.Subset(IndicesWhere(fold, k, false)), test, no_more, o.seed + 101 * (k + 1),
                                        fold_progress.get());
        fold_metrics.push_back(ComputeMetrics(scores, test.labels));
        auto entry = ToJson(fold_metrics.back());
        entry["fold"] = k + 1;
        entry["n_test"] = test.size();
        entry["positives_test"] = std::count(test.labels.begin(), test.labels.end(), 1);
        entry["seconds"] = seconds_since(fold_start);
        report["folds"].push_back(entry);
      }
    } else {
      const auto plans = PlanFolds(cells, data, fold_settings, o.buffer);
      for (int k = 0; k < o.folds; ++k) {
        ScaledProgress fold_progress(progress, 0.02 + cv_share * k / o.folds, 0.02 + cv_share * (k + 1) / o.folds);
        const auto fold_start = std::chrono::steady_clock::now();
        const auto& train_cells = plans[k].train;
        const auto& test_cells = plans[k].test;
        const FeatureSpace space = FitFeatures(data, plans[k].fit, transform, o.zero_replace);
        GraphSpec fold_graph = graph;
        if (alpha_auto) {
          nlohmann::json sweep;
          fold_graph.alpha = SelectAlpha(data, space, graph, train_cells, settings, o.seed + k, sweep);
        }
        alpha_report["per_fold"].push_back(fold_graph.alpha);
        const SampleSet train = BuildSamples(data, space, fold_graph, train_cells);
        const SampleSet test = BuildSamples(data, space, fold_graph, test_cells);
        nlohmann::json augment_comparison;
        const auto scores =
            FitAndScore(train, test, settings, o.seed + 101 * (k + 1), fold_progress.get(), &augment_comparison);
        fold_metrics.push_back(ComputeMetrics(scores, test.labels));
        auto entry = ToJson(fold_metrics.back());
        entry["fold"] = k + 1;
        entry["n_train"] = train.size();
        entry["n_test"] = test.size();
        entry["positives_test"] = std::count(test.labels.begin(), test.labels.end(), 1);
        entry["alpha"] = fold_graph.alpha;
        entry["seconds"] = seconds_since(fold_start);
        entry["augment_seconds"] = augment_comparison.value("seconds", 0.0);
        if (k == 0) report["augment"]["comparison"] = augment_comparison;
        report["folds"].push_back(entry);
      }
    }
    report["mean"] = MeanJson(fold_metrics);
    report["sd"] = SdJson(fold_metrics);
  } else {
    report["mean"] = nullptr;
    report["sd"] = nullptr;
  }

  seconds_by_stage["cross_validation"] = seconds_since(cv_start);
  const auto final_start = std::chrono::steady_clock::now();
  // The final model: every cell fits the transform and graph; all labelled cells train it.
  const std::vector<uint8_t> everywhere(data.valid.size(), 1);
  const FeatureSpace space = FitFeatures(data, everywhere, transform, o.zero_replace);
  if (alpha_auto) {
    nlohmann::json sweep;
    graph.alpha = SelectAlpha(data, space, graph, cells, settings, o.seed, sweep);
    alpha_report["sweep"] = sweep;
  }
  alpha_report["value"] = graph.alpha;
  report["alpha"] = alpha_report;
  // An ensemble's members differ in seed and in their random negatives.
  std::vector<TrainedModel> members;
  for (int member = 0; member < o.ensemble; ++member) {
    const auto member_cells = member == 0
                                  ? cells
                                  : ChooseSamples({o.deposits, o.deposits_srs, o.labels, o.label_radius, o.negatives,
                                                   o.negative_ratio, o.min_distance, o.seed + member},
                                                  data)
                                        .cells;
    ScaledProgress member_progress(progress, 0.02 + cv_share + (0.95 - cv_share) * member / o.ensemble,
                                   0.02 + cv_share + (0.95 - cv_share) * (member + 1) / o.ensemble);
    members.push_back(Fit(BuildSamples(data, space, graph, member_cells), settings, o.seed + 7919 * member,
                          member_progress.get(), nullptr));
  }
  const TrainedModel& model = members.front();
  seconds_by_stage["final_model"] = seconds_since(final_start);
  const auto scoring_start = std::chrono::steady_clock::now();

  Bundle bundle;
  bundle.elements = data.elements;
  bundle.composition = space.params;
  bundle.graph = graph;
  if (graph.mode == GraphMode::Global) {
    bundle.correlation = space.correlation;
    bundle.adjacency = NormalisedAdjacency(space.correlation, data.n_elements, graph.alpha, graph.edge_weight);
  }
  bundle.model = settings.spec;
  bundle.members = o.ensemble;
  for (int member = 0; member < o.ensemble; ++member) {
    for (auto tensor : members[member].weights) {
      if (o.ensemble > 1) tensor.name = MemberPrefix(member) + tensor.name;
      bundle.weights.push_back(std::move(tensor));
    }
  }

  // Score every valid cell for the class breaks and the area figures.
  const auto every_cell = EveryValidCell(data, cells);
  const SampleSet map_cells = BuildSamples(data, space, graph, every_cell);
  std::vector<float> probabilities(map_cells.size(), 0.0f);
  for (const auto& member : members) {
    const auto member_probabilities = PredictResGnn(settings.spec, member.weights, map_cells, settings.threads);
    for (size_t i = 0; i < probabilities.size(); ++i) probabilities[i] += member_probabilities[i] / o.ensemble;
  }
  bundle.class_breaks = AreaShareBreaks(probabilities);
  bundle.class_breaks_method = "area shares of the training area: top 5% high, next 10% moderate, next 15% low";
  int64_t deposits_in_high_or_moderate = 0;
  for (size_t i = 0; i < every_cell.size(); ++i) {
    if (every_cell[i].label && probabilities[i] >= bundle.class_breaks[1]) ++deposits_in_high_or_moderate;
  }
  seconds_by_stage["scoring_every_cell"] = seconds_since(scoring_start);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report["final_model"] = {{"epochs_run", model.epochs_run},
                           {"best_epoch", model.best_epoch},
                           {"best_validation_loss", model.best_validation_loss},
                           {"nnpu_prior", model.prior > 0 ? nlohmann::json(model.prior) : nlohmann::json()},
                           {"class_breaks", bundle.class_breaks},
                           {"training_area_success_auc", SuccessRateAuc(probabilities, map_cells.labels)},
                           {"deposit_cells_in_moderate_or_high", deposits_in_high_or_moderate},
                           {"note", "fitted on all labelled cells: these are not test figures"}};
  report["settings"] = SettingsJson(o, protocol == CvProtocol::Spatial && o.folds > 0
                                           ? ResolveBlockSize(cells, data.grid, {protocol, o.folds, o.block_size, 0})
                                           : o.block_size);
  report["settings"]["arch"] = o.arch;
  report["settings"]["ensemble"] = o.ensemble;
  report["replaced_zero_or_negative"] = space.replaced.replaced;
  bundle.training = {
      {"protocol", report["protocol"]},      {"data", report["data"]},
      {"settings", report["settings"]},      {"augment", {{"method", o.augment}, {"ratio", o.augment_ratio}}},
      {"cv_mean", report["mean"]},           {"cv_sd", report["sd"]},
      {"final_model", report["final_model"]}};
  SaveBundle(bundle, o.output, o.overwrite);
  report["model"] = {{"path", o.output}, {"sha256", bundle.hash}};
  report["seconds"] = std::round(seconds * 100) / 100;
  report["seconds_by_stage"] = seconds_by_stage;
  if (!o.report.empty()) {
    std::ofstream out(o.report);
    out << report.dump(2) << "\n";
    if (!out) throw Error(o.report, "cannot be written");
  }
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
    const auto report = RunTrain(options, progress);
    if (!options.quiet) {
      if (!report["folds"].empty()) PrintTable(report);
      std::printf("Model written to %s (alpha %.2f, %d epochs) in %.1f s.\n", options.output.c_str(),
                  report["alpha"]["value"].get<double>(), report["final_model"]["epochs_run"].get<int>(),
                  report["seconds"].get<double>());
    }
  };
  return command;
}

}  // namespace geoprosp
