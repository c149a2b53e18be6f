#include "geoprosp/experiment/results_json.hpp"

#include <cmath>

#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/experiment/cross_validation.hpp"

namespace geoprosp {
namespace {

using json = nlohmann::json;

double Rounded(double seconds) { return std::round(seconds * 100) / 100; }

json ToJson(const Confusion& c) { return {{"tn", c.tn}, {"fp", c.fp}, {"fn", c.fn}, {"tp", c.tp}}; }

// Means and standard deviations over the scored folds, and how many folds were left out.
void AddSummary(json& out, const MetricSummary& summary) {
  out["mean"] = ToJson(summary.mean);
  out["sd"] = ToJson(summary.sd);
  out["mean"].erase("confusion");
  out["sd"].erase("confusion");
  out["folds_scored"] = summary.folds_scored;
  out["folds_unscored"] = summary.folds_unscored;
  out["confusion"] = ToJson(summary.confusion);
}

// A per-element array as an object keyed by element name.
template <class T>
json ByElement(const std::vector<std::string>& elements, const std::vector<T>& values) {
  json out = json::object();
  for (size_t e = 0; e < elements.size() && e < values.size(); ++e) out[elements[e]] = values[e];
  return out;
}

json ToJson(const SyntheticComparison& c, const std::vector<std::string>& elements) {
  if (c.empty()) return json::object();
  return {{"real_mean", ByElement(elements, c.real_mean)},
          {"generated_mean", ByElement(elements, c.generated_mean)},
          {"real_sd", ByElement(elements, c.real_sd)},
          {"generated_sd", ByElement(elements, c.generated_sd)},
          {"correlation_max_abs_difference", c.correlation_max_abs_difference},
          {"correlation_mean_abs_difference", c.correlation_mean_abs_difference},
          {"seconds", Rounded(c.seconds)}};
}

json ToJson(const FoldResult& fold) {
  json out = ToJson(fold.metrics);
  out["repeat"] = fold.repeat;
  out["fold"] = fold.fold;
  out["scored"] = fold.scored;
  out["n_train"] = fold.n_train;
  out["n_fit"] = fold.n_fit;
  out["n_validation"] = fold.n_validation;
  out["n_test"] = fold.n_test;
  out["positives_test"] = fold.positives_test;
  out["alpha"] = fold.alpha;
  out["graph_edges"] = fold.graph_edges;
  out["seconds"] = Rounded(fold.seconds);
  out["augment_seconds"] = Rounded(fold.augment_seconds);
  return out;
}

json FoldsJson(const RunResult& run) {
  json folds = json::array();
  for (const auto& fold : run.folds) folds.push_back(ToJson(fold));
  return folds;
}

json ToJson(const Interval& interval) {
  if (interval.n == 0) return nullptr;
  return {{"mean", interval.mean}, {"low", interval.low}, {"high", interval.high}, {"n", interval.n}};
}

// A run's folds, its summary over all of them, and (with repeats) each repeat's mean ROC AUC with
// the interval over repeats.
void AddRun(json& out, const RunResult& run) {
  out["folds"] = FoldsJson(run);
  AddSummary(out, run.summary);
  json repeats = json::array();
  for (const auto& repeat : run.repeats) repeats.push_back(repeat.mean.roc_auc);
  out["repeat_roc_auc"] = repeats;
  out["roc_auc_interval"] = run.repeats.size() > 1 ? ToJson(run.roc_auc) : json(nullptr);
}

// How the folds were drawn (for spatial CV: the blocks and the range they follow).
json ToJson(const FoldLayout& layout, const DataSummary& data) {
  const auto& elements = data.elements;
  return {{"folds", layout.folds},
          {"repeats", layout.repeats},
          {"block_size", layout.block_size},
          {"block_size_text", layout.block_size > 0 ? FormatDistance(layout.block_size, data.distance_unit) : ""},
          {"autocorrelation_range_text",
           layout.autocorrelation_range > 0 ? FormatDistance(layout.autocorrelation_range, data.distance_unit) : ""},
          {"block_sizes", layout.block_sizes},
          {"autocorrelation_range", layout.autocorrelation_range},
          {"element_ranges", ByElement(elements, layout.element_ranges)}};
}

json ToJson(const DataSummary& data) {
  return {{"inputs", data.inputs},
          {"ignored_inputs", data.ignored_inputs},
          {"elements", data.elements},
          {"width", data.width},
          {"height", data.height},
          {"valid_cells", data.valid_cells},
          {"labels_from", data.labels_from},
          {"deposits", data.deposits},
          {"positive_cells", data.positive_cells},
          {"negative_cells", data.negative_cells},
          {"negatives", data.negatives},
          {"label_radius", data.label_radius},
          {"replaced_zero_or_negative", ByElement(data.elements, data.replaced)}};
}

json ImportanceJson(const ImportanceSummary& importance) {
  json elements = json::array();
  for (const auto& e : importance.elements) {
    elements.push_back({{"element", e.element},
                        {"mean_abs_contribution", e.mean_abs_contribution},
                        {"mean_contribution", e.mean_contribution},
                        {"deposit_correlation", e.deposit_correlation}});
  }
  return {{"method",
           "occlusion: each element's standardised clr value set to the training mean, the cell's graph kept; mean "
           "|contribution| over the map's valid cells"},
          {"association",
           "deposit_correlation: Pearson r of the element's standardised clr value with the labelled deposit cells' "
           "indicator over the valid cells"},
          {"cells", importance.cells},
          {"rank_agreement", importance.rank_agreement},
          {"top3_shared", importance.top3_shared},
          {"elements", elements}};
}

json ToJson(const StudyFigures::Rates& rates) {
  return {{"accuracy", rates.accuracy / 100},
          {"sensitivity", rates.sensitivity / 100},
          {"specificity", rates.specificity / 100},
          {"f1", rates.f1 / 100}};
}

// As fractions, like ours.
json ToJson(const StudyFigures& study) {
  json table2 = json::object(), figure6 = json::object();
  for (const auto& [model, rates] : study.table2) table2[model] = ToJson(rates);
  for (const auto& [method, confusion] : study.figure6) figure6[ToString(method)] = ToJson(confusion);
  return {{"source", study.source},
          {"table2", table2},
          {"figure6", figure6},
          {"figure6_note", study.figure6_note},
          {"alphas_tried", study.alphas_tried},
          {"best_alpha", study.best_alpha}};
}

// Masked pre-training of the final model (its first member), or null.
json ToJson(const PretrainSummary& p) {
  if (p.epochs == 0) return nullptr;
  return {{"cells", p.cells},
          {"epochs", p.epochs},
          {"hidden_per_cell", p.hidden_per_cell},
          {"epoch_loss", p.epoch_loss},
          {"seconds", Rounded(p.seconds)},
          {"note",
           "epoch_loss: mean squared error of the hidden standardised values (predicting the mean scores about 1)"}};
}

json StageSeconds(const std::vector<std::pair<std::string, double>>& stages) {
  json out = json::object();
  for (const auto& [stage, seconds] : stages) out[stage] = Rounded(seconds);
  return out;
}

json ToJson(const Calibration& c) {
  json out = {{"method", ToString(c.method)},
              {"prevalence", c.prevalence},
              {"cells", c.cells},
              {"deposit_cells", c.deposit_cells}};
  if (c.method == CalibrationMethod::Platt) {
    out["slope"] = c.slope;
    out["intercept"] = c.intercept;
  }
  if (c.method == CalibrationMethod::Isotonic) out["knots"] = static_cast<int64_t>(c.knot_scores.size());
  return out;
}

// The calibration and its cross-fitted reliability diagram (ten bins of equal cell count).
json ToJson(const std::optional<CalibrationReport>& report) {
  if (!report) return nullptr;
  json bins = json::array();
  for (const auto& bin : report->reliability) {
    bins.push_back({{"mean_predicted", bin.mean_predicted},
                    {"observed", bin.observed},
                    {"cells", bin.cells},
                    {"deposit_cells", bin.deposit_cells}});
  }
  return {{"calibration", ToJson(report->calibration)},
          {"reliability", bins},
          {"brier_score_raw", report->brier_score_raw},
          {"brier_score_calibrated", report->brier_score_calibrated},
          {"note", "reliability and Brier scores are cross-fitted: each fold calibrated by a fit on the others"}};
}

}  // namespace

json ToJson(const Metrics& metrics) {
  json out;
  const auto values = MetricValues(metrics);
  for (size_t i = 0; i < values.size(); ++i) out[MetricNames()[i]] = values[i];
  out["confusion"] = ToJson(metrics.confusion);
  return out;
}

json ToJson(const ExperimentSettings& s) {
  const FeatureSettings& f = s.features;
  const FitSettings& fit = s.fit;
  return {{"cv", ToString(s.cv.protocol)},
          {"folds", s.cv.folds},
          {"block_size", s.cv.block_size},
          {"buffer", s.cv.buffer},
          {"negatives", s.labels.negatives},
          {"negative_ratio", s.labels.negative_ratio},
          {"min_distance", s.labels.min_distance},
          {"label_radius", s.labels.label_radius},
          {"transform", ToString(f.transform)},
          {"zero_replace", f.zero_rule},
          {"graph", ToString(f.graph.mode)},
          {"window", f.graph.window},
          {"alpha", f.alpha_auto ? std::string("auto") : FormatNumber(f.graph.alpha)},
          {"edge_weight", ToString(f.graph.edge_weight)},
          {"edge_rule", ToString(f.graph.rule)},
          {"top_k", f.graph.top_k},
          {"global_share", f.graph.global_share},
          {"arch", fit.spec.arch},
          {"hidden", fit.spec.hidden},
          {"layers", fit.spec.layers},
          {"heads", fit.spec.heads},
          {"dropout", fit.spec.dropout},
          {"lr", fit.train.lr},
          {"weight_decay", fit.train.weight_decay},
          {"input_noise", fit.train.input_noise},
          {"epochs", fit.train.epochs},
          {"batch_size", fit.train.batch_size},
          {"patience", fit.train.patience},
          {"early_stopping", ToString(fit.early_stopping)},
          {"loss", ToString(fit.train.loss)},
          {"prior", fit.train.prior > 0 ? FormatNumber(fit.train.prior) : std::string("auto")},
          {"train_engine", ToString(fit.train.engine)},
          {"pretrain", ToString(fit.pretrain.method)},
          {"pretrain_epochs", fit.pretrain.epochs},
          {"mask_share", fit.pretrain.mask_share},
          {"context", ToString(f.context)},
          {"augment", ToString(fit.augment)},
          {"augment_ratio", fit.augment_ratio},
          {"ensemble", fit.members},
          {"calibration", ToString(s.calibration)},
          {"repeats", s.cv.repeats},
          {"seed", s.seed}};
}

void WriteJsonFile(const std::string& path, const json& value, const std::string& shown_as) {
  WriteTextFile(path, value.dump(2) + "\n", shown_as);
}

json TrainReportJson(const TrainReport& r) {
  json out = {{"tool", "geoprosp-train"}, {"version", GEOPROSP_VERSION}};
  const CvProtocol protocol = r.cv ? r.cv->protocol : r.settings.cv.protocol;
  out["protocol"] = ToString(protocol);
  out["protocol_note"] = ProtocolNote(protocol);
  out["data"] = ToJson(r.data);
  out["augment"] = {{"method", ToString(r.settings.fit.augment)}, {"ratio", r.settings.fit.augment_ratio}};
  out["folds"] = json::array();
  out["mean"] = nullptr;
  out["sd"] = nullptr;
  if (r.cv && !r.cv->runs.empty() && !r.cv->runs.front().folds.empty()) {
    const RunResult& run = r.cv->runs.front();
    AddRun(out, run);
    out["layout"] = ToJson(r.cv->layout, r.data);
    const auto found = r.cv->synthetic.find(ToString(run.run.augment));
    if (found != r.cv->synthetic.end()) out["augment"]["comparison"] = ToJson(found->second, r.data.elements);
  }
  out["alpha"] = {
      {"mode", r.alpha.automatic ? "auto" : "fixed"}, {"per_fold", r.alpha.per_fold}, {"value", r.alpha.value}};
  if (r.alpha.automatic) {
    json sweep = json::array();
    for (const auto& point : r.alpha.sweep)
      sweep.push_back({{"alpha", point.alpha}, {"roc_auc", point.roc_auc}, {"accuracy", point.accuracy}});
    out["alpha"]["sweep"] = sweep;
  }
  const FinalModelSummary& f = r.final_model;
  out["final_model"] = {{"epochs_run", f.epochs_run},
                        {"best_epoch", f.best_epoch},
                        {"best_validation_loss", f.best_validation_loss},
                        {"nnpu_prior", f.nnpu_prior > 0 ? json(f.nnpu_prior) : json()},
                        {"pretraining", ToJson(f.pretraining)},
                        {"class_breaks", f.class_breaks},
                        {"score_class_breaks", f.score_class_breaks},
                        {"class_breaks_method", f.class_breaks_method},
                        {"training_area_success_auc", f.training_area_success_auc},
                        {"deposit_cells_in_moderate_or_high", f.deposit_cells_in_moderate_or_high},
                        {"note", "fitted on all labelled cells: these are not test figures"}};
  out["settings"] = ToJson(r.settings);
  out["settings"]["block_size"] = r.cv ? r.cv->layout.block_size : r.settings.cv.block_size;
  out["settings"]["block_size_unit"] = r.data.distance_unit.name;
  out["model"] = {{"path", r.model_path}, {"sha256", r.model_sha256}};
  out["graph_edges"] = r.graph_edges;
  out["calibration"] = ToJson(r.calibration);
  out["warnings"] = r.warnings;
  out["seconds"] = Rounded(r.seconds);
  out["seconds_by_stage"] = StageSeconds(r.seconds_by_stage);
  return out;
}

json TrainingSummaryJson(const TrainReport& r) {
  const json report = TrainReportJson(r);
  return {{"protocol", report["protocol"]},
          {"data", report["data"]},
          {"settings", report["settings"]},
          {"augment", {{"method", report["augment"]["method"]}, {"ratio", report["augment"]["ratio"]}}},
          {"cv_mean", report["mean"]},
          {"cv_sd", report["sd"]},
          {"cv_folds_unscored", report.value("folds_unscored", 0)},
          {"final_model", report["final_model"]},
          {"calibration", report["calibration"]},
          {"warnings", report["warnings"]}};
}

json EvalResultsJson(const EvalResults& r, const StudyFigures& study_figures) {
  json out = {{"tool", "geoprosp-eval"}, {"version", GEOPROSP_VERSION}};
  out["protocol"] = ToString(r.settings.cv.protocol);
  out["protocol_note"] = ProtocolNote(r.settings.cv.protocol);
  out["data"] = ToJson(r.data);
  out["settings"] = ToJson(r.settings);
  out["settings"]["block_size"] = r.layout.block_size;
  out["settings"]["block_size_unit"] = r.data.distance_unit.name;
  out["layout"] = ToJson(r.layout, r.data);
  out["settings"]["augment_model"] = r.augment_model;
  out["settings"]["models"] = r.models;
  out["settings"]["experiments"] = r.experiments;
  out["study"] = ToJson(study_figures);

  out["models"] = json::array();
  for (const auto& m : r.comparison) {
    json model = {{"name", m.name},
                  {"label", m.label},
                  {"family", m.family},
                  {"description", m.description},
                  {"seconds", Rounded(m.run.seconds)}};
    AddRun(model, m.run);
    model["baseline"] = m.baseline;
    model["calibration"] = ToJson(m.calibration);
    model["roc_auc_difference"] = m.roc_auc_difference ? ToJson(*m.roc_auc_difference) : json(nullptr);
    json roc = json::array(), success = json::array();
    for (const auto& p : RocCurve(m.run.pooled_scores, m.run.pooled_labels)) roc.push_back({p[0], p[1]});
    for (const auto& p : SuccessCurve(m.run.pooled_scores, m.run.pooled_labels)) success.push_back({p[0], p[1]});
    model["pooled"] = {{"roc_auc", RocAuc(m.run.pooled_scores, m.run.pooled_labels)},
                       {"success_auc", SuccessRateAuc(m.run.pooled_scores, m.run.pooled_labels)},
                       {"roc_curve", roc},
                       {"success_curve", success}};
    const StudyFigures::Rates* row = study_figures.Table2Row(m.paper_row);
    model["study"] = row ? ToJson(*row) : json(nullptr);
    out["models"].push_back(model);
  }

  out["augmentation"] = nullptr;
  if (r.augmentation) {
    const AugmentationComparison& a = *r.augmentation;
    json methods = json::array();
    for (const auto& run : a.methods) {
      const std::string method = ToString(run.run.augment);
      json entry = {{"method", method}, {"seconds", Rounded(run.seconds)}};
      AddRun(entry, run);
      const Confusion* study_confusion = study_figures.Figure6Matrix(run.run.augment);
      entry["study_confusion"] = study_confusion ? ToJson(*study_confusion) : json();
      const auto found = a.synthetic.find(method);
      entry["synthetic_vs_real"] = found != a.synthetic.end() ? ToJson(found->second, r.data.elements) : json::object();
      methods.push_back(entry);
    }
    out["augmentation"] = {{"model", a.model},
                           {"label", a.label},
                           {"alpha", a.alpha},
                           {"methods", methods},
                           {"note", "confusion matrices are summed over the test folds"}};
  }

  out["alpha_sweep"] = nullptr;
  if (!r.alpha_sweep.empty()) {
    json swept = json::array(), values = json::array();
    for (const auto& point : r.alpha_sweep.front().points) values.push_back(point.run.alpha);
    for (const auto& model : r.alpha_sweep) {
      json points = json::array();
      for (const auto& point : model.points) {
        json entry = {{"alpha", point.run.alpha}, {"seconds", Rounded(point.seconds)}};
        AddRun(entry, point);
        points.push_back(entry);
      }
      swept.push_back({{"name", model.name},
                       {"label", model.label},
                       {"points", points},
                       {"best_alpha_by_roc_auc", model.best_alpha_by_roc_auc},
                       {"best_alpha_by_accuracy", model.best_alpha_by_accuracy}});
    }
    out["alpha_sweep"] = {{"values", values}, {"models", swept}, {"study_best_alpha", study_figures.best_alpha}};
  }

  out["final_map"] = nullptr;
  if (r.final_map) {
    const FinalMap& f = *r.final_map;
    json curve = json::array();
    for (const auto& p : f.prediction_area.curve)
      curve.push_back(
          {{"threshold", p.threshold}, {"deposits_percent", p.deposits_percent}, {"area_percent", p.area_percent}});
    json intersection = nullptr;
    if (f.prediction_area.intersection) {
      const auto& p = *f.prediction_area.intersection;
      intersection = {
          {"threshold", p.threshold}, {"deposits_percent", p.deposits_percent}, {"area_percent", p.area_percent}};
    }
    out["final_map"] = {{"model", f.model},
                        {"alpha", f.alpha},
                        {"epochs_run", f.epochs_run},
                        {"best_epoch", f.best_epoch},
                        {"probability_raster", f.probability_raster},
                        {"prediction_area",
                         {{"cells", f.prediction_area.cells},
                          {"deposit_cells", f.prediction_area.deposit_cells},
                          {"curve", curve},
                          {"intersection", intersection}}},
                        {"success_auc", f.success_auc},
                        {"element_importance", ImportanceJson(f.importance)},
                        {"note", "trained on all labelled cells and scored in-sample: not test figures"}};
  }
  out["warnings"] = r.warnings;
  out["timing"] = StageSeconds(r.timing);
  out["files"] = r.files;
  return out;
}

}  // namespace geoprosp
