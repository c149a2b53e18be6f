#include "geoprosp/report/html_report.hpp"

#include <algorithm>
#include <cmath>

#include "geoprosp/core/options.hpp"
#include "geoprosp/experiment/cross_validation.hpp"
#include "geoprosp/report/report_text.hpp"
#include "geoprosp/report/svg_plot.hpp"

namespace geoprosp {
namespace {

const char* const kStyle = R"(
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--ink);background:#f6f8fa}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{margin:0 0 4px;font-size:26px}
h2{margin:0 0 6px;font-size:19px}
h3{margin:14px 0 4px;font-size:15px}
.sub{color:var(--muted);margin:0}
.protocol{margin:18px 0;padding:12px 16px;border-radius:8px;border:1px solid #9fc5f8;background:#ddf4ff}
.protocol.paper{border:2px solid #d1242f;background:#ffebe9}
.protocol.other{border:2px solid #bf8700;background:#fff8c5}
.tag{font-weight:700;letter-spacing:.03em}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
section.study{border:2px dashed #d4a72c;background:#fffdf2}
p.caption,figcaption{color:var(--muted);font-size:13px;max-width:95ch;margin:6px 0}
table{border-collapse:collapse;margin:10px 0;font-size:12.5px}
th,td{padding:4px 7px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
th{background:#f6f8fa;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{font-weight:700}
tr.group td{background:#f6f8fa;color:var(--muted);font-weight:600;font-size:12px;padding-top:6px}
.sd{color:#6e7781;font-size:11px}
.scroll{overflow-x:auto}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:10px 0;max-width:100%}
.grid>figure{width:560px}
.grid.small>figure{width:auto}
figure svg{max-width:100%;height:auto;border:1px solid #eaeef2;border-radius:6px;display:block}
details{margin:10px 0}
summary{cursor:pointer;color:var(--accent)}
.kv td:first-child{color:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:24px}
)";

std::string Cell(const std::string& text, const std::string& cls = "") {
  return cls.empty() ? "<td>" + svg::Escape(text) + "</td>"
                     : "<td class=\"" + cls + "\">" + svg::Escape(text) + "</td>";
}
std::string Head(const std::string& text, const std::string& cls = "") {
  return cls.empty() ? "<th>" + svg::Escape(text) + "</th>"
                     : "<th class=\"" + cls + "\">" + svg::Escape(text) + "</th>";
}
// A header row: the first column text, the others numbers (right-aligned).
std::string HeaderRow(const std::string& first, const std::vector<std::string>& numeric) {
  std::string out = "<tr>" + Head(first);
  for (const auto& name : numeric) out += Head(name, "num");
  return out + "</tr>\n";
}
std::string Row(const std::string& key, const std::string& value) { return "<tr>" + Cell(key) + Cell(value) + "</tr>"; }

// A table cell of a mean and, in small grey type, its standard deviation.
std::string MeanSd(const MetricSummary& summary, double Metrics::*metric, bool percent) {
  const double m = summary.mean.*metric, s = summary.sd.*metric;
  if (!std::isfinite(m)) return "<td class=\"num\"></td>";
  const std::string value = percent ? PercentText(m) : FixedText(m, 3);
  const std::string spread =
      std::isfinite(s) ? " <span class=\"sd\">± " + (percent ? PercentText(s) : FixedText(s, 3)) + "</span>" : "";
  return "<td class=\"num\">" + value + spread + "</td>";
}

double Metrics::*const kRates[] = {&Metrics::accuracy, &Metrics::sensitivity, &Metrics::specificity, &Metrics::f1};

std::string Figure(const std::string& svg_text, const std::string& caption) {
  return "<figure>" + svg_text + "<figcaption>" + caption + "</figcaption></figure>\n";
}

std::string Figures(const std::vector<std::string>& svgs) {
  std::string out = "<div class=\"grid small\">";
  for (const auto& svg_text : svgs) out += "<figure>" + svg_text + "</figure>";
  return out + "</div>\n";
}

// A stage's seconds, or NaN when the results do not hold it (yet).
double Seconds(const EvalResults& results, const std::string& stage) {
  for (const auto& [name, seconds] : results.timing) {
    if (name == stage) return seconds;
  }
  return std::nan("");
}

std::string AlphaSetting(const FeatureSettings& features) {
  return features.alpha_auto ? std::string("auto") : FormatNumber(features.graph.alpha);
}

std::string ProtocolBanner(CvProtocol protocol) {
  if (protocol == CvProtocol::Paper) {
    return "<div class=\"protocol paper\"><span class=\"tag\">PAPER PROTOCOL (augment-then-split)</span> — synthetic "
           "positives were made from every deposit cell before the folds were drawn, so they sit in the test folds "
           "and the classes there are balanced. These figures reproduce how the study measured; they are not an "
           "estimate of performance on new ground (run with <code>--cv spatial</code> for that).</div>\n";
  }
  const std::string tag = protocol == CvProtocol::Spatial ? "SPATIAL CROSS-VALIDATION" : "RANDOM CROSS-VALIDATION";
  return "<div class=\"protocol\"><span class=\"tag\">" + tag + "</span> — " + svg::Escape(ProtocolNote(protocol)) +
         ".</div>\n";
}

std::string DataSection(const EvalResults& results) {
  const DataSummary& data = results.data;
  const ExperimentSettings& settings = results.settings;
  std::string elements;
  for (const auto& e : data.elements) elements += (elements.empty() ? "" : " ") + e;
  std::string out = "<section id=\"data\"><h2>Data and settings</h2><div class=\"grid\"><table class=\"kv\">";
  out += Row("elements", std::to_string(data.elements.size()) + ": " + elements);
  out += Row("grid", std::to_string(data.width) + " x " + std::to_string(data.height) + " cells, " +
                         std::to_string(data.valid_cells) + " valid");
  out += Row("deposits",
             std::to_string(data.deposits) + " read, " + std::to_string(data.positive_cells) + " deposit cells");
  out += Row("background cells", std::to_string(data.negative_cells) + " (" + data.negatives + ")");
  out += "</table><table class=\"kv\">";
  const FoldLayout& layout = results.layout;
  std::string cv = ToString(settings.cv.protocol) + ", " + std::to_string(settings.cv.folds) + " folds";
  if (layout.repeats > 1) cv += " x " + std::to_string(layout.repeats) + " repeats";
  if (settings.cv.protocol == CvProtocol::Spatial) {
    cv += ", blocks of " + FormatDistance(layout.block_size, data.distance_unit);
    // Repeats shift the block grid and may shrink the blocks until every fold holds deposits.
    const auto [smallest, largest] = std::minmax_element(layout.block_sizes.begin(), layout.block_sizes.end());
    if (smallest != layout.block_sizes.end() && *smallest != *largest) {
      cv += " (" + FormatDistance(*smallest, data.distance_unit) + " to " +
            FormatDistance(*largest, data.distance_unit) + " over the repeats)";
    }
  }
  out += Row("cross-validation", cv);
  out += Row("augmentation", ToString(settings.fit.augment) +
                                 ", positives = " + FixedText(settings.fit.augment_ratio, 2) + " x negatives");
  out += Row("graph", ToString(settings.features.graph.mode) + ", alpha " + AlphaSetting(settings.features));
  const ModelSpec& spec = settings.fit.spec;
  out += Row("networks", "hidden " + std::to_string(spec.hidden) + ", " + std::to_string(spec.layers) +
                             " layers, dropout " + FixedText(spec.dropout, 2) + ", lr " +
                             FixedText(settings.fit.train.lr, 4) + ", up to " +
                             std::to_string(settings.fit.train.epochs) + " epochs");
  out += Row("seed", std::to_string(settings.seed));
  out += "</table></div></section>\n";
  return out;
}

std::string ModelsSection(const EvalResults& results, const ReportCharts& charts) {
  const auto& models = results.comparison;
  double best_auc = -1;
  for (const auto& m : models) best_auc = std::max(best_auc, m.run.summary.mean.roc_auc);
  std::string out = "<section id=\"models\"><h2>1. Model comparison</h2>\n";
  out += "<p class=\"caption\">Every model was trained and tested on the same " +
         std::to_string(results.settings.cv.folds) +
         " folds, with the same in-fold features and the same synthetic positives; mean ± standard deviation over "
         "the folds. Accuracy, sensitivity, specificity and F1 are at a probability of 0.5; ROC AUC and PR AUC rank "
         "the test cells; success AUC is the area under the success-rate curve. Bold: the best mean ROC AUC. The "
         "study's reported figures, from other data under another protocol, are in a section of their own at the "
         "end.</p>\n";
  out += "<div class=\"scroll\"><table>" +
         HeaderRow("model", {"acc. %", "sens. %", "spec. %", "F1 %", "ROC AUC", "PR AUC", "success AUC", "time s"});
  std::string family;
  for (const auto& m : models) {
    if (m.family != family) {
      family = m.family;
      out += "<tr class=\"group\"><td colspan=\"9\">" + svg::Escape(family) + "</td></tr>\n";
    }
    const MetricSummary& s = m.run.summary;
    out += s.mean.roc_auc == best_auc ? "<tr class=\"best\">" : "<tr>";
    out += "<td title=\"" + svg::Escape(m.description) + "\">" + svg::Escape(m.label) + "</td>";
    for (auto metric : kRates) out += MeanSd(s, metric, true);
    for (auto metric : {&Metrics::roc_auc, &Metrics::pr_auc, &Metrics::success_auc}) out += MeanSd(s, metric, false);
    out += Cell(FixedText(m.run.seconds, 1), "num") + "</tr>\n";
  }
  out += "</table></div>\n<div class=\"grid\">";
  out += Figure(charts.roc,
                "ROC curves of the out-of-fold scores pooled over all folds (AUC in brackets): the share of deposit "
                "cells found against the share of background cells wrongly flagged, as the threshold falls. The "
                "dashed diagonal is a random ranking.");
  out += Figure(charts.success_rate,
                "Success-rate curves of the pooled out-of-fold scores: the share of deposit cells captured against "
                "the share of the test cells (the held-out ground under spatial or random CV), highest scores "
                "first. Steeper is better.");
  out += Figure(charts.model_comparison, "Mean ROC AUC and accuracy per model, with ± sd whiskers.");
  if (!charts.reliability.empty()) {
    out += Figure(charts.reliability,
                  "Reliability diagram: each model's out-of-fold scores, calibrated (Platt) at the data's deposit "
                  "prevalence, in ten bins of equal cell count; each dot is a bin's mean calibrated probability "
                  "against its share of deposit cells. Cross-fitted: each fold's scores were calibrated by a fit on "
                  "the other folds. On the dashed diagonal a probability means what it says. With a few dozen "
                  "deposit cells a bin holds a handful of them, so the dots are coarse.");
  }
  out += "</div>\n<details><summary>What each model is</summary><table>";
  for (const auto& m : models) out += "<tr>" + Cell(m.label) + Cell(m.family) + Cell(m.description) + "</tr>";
  out +=
      "</table><p class=\"caption\">Every model scores the same samples: graph models read each cell's element "
      "graph (node value and element one-hot), the others its standardised clr vector. Neural models train "
      "with Adam and class-weighted loss, stopping as --early-stopping says (on the training loss by default, "
      "on an inner validation part with validation); the others fit on every training sample."
      "</p></details>\n<details><summary>Per-fold figures</summary>";
  for (const auto& m : models) {
    out += "<h3>" + svg::Escape(m.label) + "</h3><table>" +
           HeaderRow("fold", {"test cells", "deposits", "alpha", "accuracy %", "sensitivity %", "specificity %", "F1 %",
                              "ROC AUC", "TN/FP/FN/TP", "time (s)"});
    for (const auto& f : m.run.folds) {
      out += "<tr>" + Cell(std::to_string(f.fold), "num") + Cell(std::to_string(f.n_test), "num") +
             Cell(std::to_string(f.positives_test), "num") + Cell(FixedText(f.alpha, 2), "num");
      for (auto metric : kRates) out += Cell(PercentText(f.metrics.*metric), "num");
      out += Cell(FixedText(f.metrics.roc_auc, 3), "num") + Cell(ConfusionText(f.metrics.confusion), "num") +
             Cell(FixedText(f.seconds, 1), "num") + "</tr>";
    }
    out += "</table>";
  }
  out += "</details></section>\n";
  return out;
}

std::string AugmentationSection(const AugmentationComparison& augmentation, const ReportCharts& charts) {
  std::string out = "<section id=\"augmentation\"><h2>2. Augmentation comparison</h2>\n";
  out += "<p class=\"caption\">" + svg::Escape(augmentation.label) +
         " trained with each way of making synthetic deposit samples, on the same folds. The confusion matrices "
         "are summed over the test folds: rows are the actual class, columns the prediction at a probability of "
         "0.5, and the shading is each cell's share of its actual class. The last column says how far the "
         "synthetic samples' element correlations lie from the real ones' (mean |Δr|).</p>\n";
  out += "<table>" + HeaderRow("augmentation", {"accuracy %", "sensitivity %", "specificity %", "F1 %", "ROC AUC",
                                                "TN/FP/FN/TP", "mean |Δr|"});
  for (const auto& run : augmentation.methods) {
    const std::string method = ToString(run.run.augment);
    out += "<tr>" + Cell(method);
    for (auto metric : kRates) out += MeanSd(run.summary, metric, true);
    out += MeanSd(run.summary, &Metrics::roc_auc, false) + Cell(ConfusionText(run.summary.confusion), "num");
    const auto synthetic = augmentation.synthetic.find(method);
    const bool compared = synthetic != augmentation.synthetic.end() && !synthetic->second.empty();
    out += Cell(compared ? FixedText(synthetic->second.correlation_mean_abs_difference, 3) : "", "num") + "</tr>\n";
  }
  out += "</table>\n<h3>Confusion matrices</h3>" + Figures(charts.confusions) + "</section>\n";
  return out;
}

std::string AlphaSection(const std::vector<AlphaSweepModel>& sweep, const std::string& plot_svg) {
  std::string out = "<section id=\"alpha\"><h2>3. Correlation threshold α</h2>\n";
  out +=
      "<p class=\"caption\">An edge joins two elements when their Pearson |r| exceeds α; a low α gives a dense "
      "graph, a high one a sparse graph. Each point is the mean over the same folds. α runs over the values the "
      "study tried; what the study found is in its own section at the end.</p>\n<div class=\"grid\">";
  out += Figure(plot_svg, "Mean ROC AUC (solid) and accuracy (dashed) against α.");
  out += "<table><tr>" + Head("α", "num");
  for (const auto& model : sweep) out += Head(model.label + " ROC", "num") + Head(model.label + " acc. %", "num");
  out += "</tr>";
  const size_t points = sweep.empty() ? 0 : sweep.front().points.size();
  for (size_t i = 0; i < points; ++i) {
    out += "<tr>" + Cell(FixedText(sweep.front().points[i].run.alpha, 1), "num");
    for (const auto& model : sweep) {
      const MetricSummary& s = model.points[i].summary;
      out += MeanSd(s, &Metrics::roc_auc, false) + MeanSd(s, &Metrics::accuracy, true);
    }
    out += "</tr>";
  }
  out += "<tr><td>best</td>";
  for (const auto& model : sweep) {
    out += Cell(FixedText(model.best_alpha_by_roc_auc, 1), "num") +
           Cell(FixedText(model.best_alpha_by_accuracy, 1), "num");
  }
  out += "</tr></table></div></section>\n";
  return out;
}

// The elements that drive the final map, beside the data's own association with the deposits.
std::string ImportanceSection(const ImportanceSummary& importance, const ReportCharts& charts) {
  if (importance.elements.empty()) return "";
  std::string out = "<h3 id=\"importance\">Which elements drive the map</h3>\n";
  out +=
      "<p class=\"caption\">Each element's contribution to a cell is the probability minus the probability with "
      "that element's standardised clr value set to the training mean (occlusion, as <code>geoprosp-map "
      "--explain</code> writes it); its global importance is the mean absolute contribution over the map's " +
      std::to_string(importance.cells) +
      " valid cells. Beside it, the data's own association: Pearson r of the element's standardised clr value "
      "with the deposit cells (1 on the labelled deposit cells, 0 elsewhere; small when deposit cells are few, so "
      "compare its ranking). Rank agreement (Spearman ρ of "
      "importance against |r|): " +
      FixedText(importance.rank_agreement, 2) + "; " + std::to_string(importance.top3_shared) +
      " of the top three elements are the same. Occlusion is not additive, and correlated elements share "
      "credit, so read the ranking, not the decimals.</p>\n<div class=\"grid\">";
  if (!charts.element_importance.empty())
    out += Figure(charts.element_importance, "Both measures as shares of their largest value.");
  out += "<div class=\"scroll\"><table>" +
         HeaderRow("element", {"mean |contribution|", "mean contribution", "r with deposits"});
  for (const auto& e : importance.elements) {
    out += "<tr>" + Cell(e.element) + Cell(FixedText(e.mean_abs_contribution, 4), "num") +
           Cell(FixedText(e.mean_contribution, 4), "num") + Cell(FixedText(e.deposit_correlation, 3), "num") + "</tr>";
  }
  out += "</table></div></div>\n";
  return out;
}

std::string MapSection(const FinalMap& final_map, const ReportCharts& charts) {
  std::string out = "<section id=\"map\"><h2>4. The final ResGCN map</h2>\n";
  out += "<p class=\"caption\">ResGCN trained on every labelled cell (α " + FixedText(final_map.alpha, 2) +
         ", augmentation as above, " + std::to_string(final_map.epochs_run) +
         " epochs) and applied to every valid cell. These are in-sample figures: the known deposits helped train "
         "the model, so they show where it points, not how well it predicts new ground (the cross-validation above "
         "does that).</p>\n<div class=\"grid\">";
  if (!charts.map.empty()) out += Figure(charts.map, "Probability of the deposit class, with the known deposits.");
  std::string summary;
  if (final_map.prediction_area.intersection) {
    const PredictionAreaPoint& cross = *final_map.prediction_area.intersection;
    summary = " Here " + FixedText(cross.deposits_percent, 0) + " % of the deposit cells lie in " +
              FixedText(cross.area_percent, 0) + " % of the area (probability ≥ " + FixedText(cross.threshold, 3) +
              ").";
  }
  out += Figure(charts.prediction_area,
                "Prediction-area plot: the share of deposit cells (red, left axis) and of the area (blue, right axis, "
                "reversed) at or above each probability threshold. Where the curves cross, x % of the deposits lie "
                "in (100 − x) % of the area; the higher x, the better the map separates deposits from "
                "background." +
                    summary);
  out += "</div>\n" + ImportanceSection(final_map.importance, charts) + "</section>\n";
  return out;
}

// The study's figures for the experiments that ran, apart from ours and labelled as not comparable.
std::string StudySection(const EvalResults& results, const StudyFigures& study, const ReportCharts& charts) {
  const bool table2 = !results.comparison.empty(), figure6 = results.augmentation.has_value(),
             alpha = !results.alpha_sweep.empty();
  if (!table2 && !figure6 && !alpha) return "";
  std::string out = "<section id=\"study\" class=\"study\"><h2>What the study reported</h2>\n";
  out +=
      "<div class=\"protocol other\"><span class=\"tag\">OTHER DATA, OTHER PROTOCOL: NOT COMPARABLE</span> — these "
      "are the study's own figures, from its Pangxidong survey (Guangdong), measured under the augment-then-split "
      "protocol: synthetic deposit samples were made before the folds were drawn, so they sat in the test folds, "
      "and the classes there were near balanced. They are listed for reference. A difference between them and "
      "the figures above says nothing about either method.</div>\n";
  out += "<p class=\"caption\">Source: " + svg::Escape(study.source) +
         ". Shown as the study printed them: percentages and counts.</p>\n";
  if (table2) {
    out += "<h3>Its Table 2: model comparison</h3><table><tr>" + Head("the study's model") + Head("accuracy %", "num") +
           Head("sensitivity %", "num") + Head("specificity %", "num") + Head("F1 %", "num") +
           Head("the model of that kind here") + "</tr>\n";
    for (const auto& [name, rates] : study.table2) {
      std::string here;
      for (const auto& m : results.comparison) {
        if (m.paper_row == name) here += (here.empty() ? "" : ", ") + m.label;
      }
      out += "<tr>" + Cell(name);
      for (double value : {rates.accuracy, rates.sensitivity, rates.specificity, rates.f1})
        out += Cell(FixedText(value, 2), "num");
      out += Cell(here.empty() ? "—" : here) + "</tr>\n";
    }
    out += "</table>\n";
  }
  if (figure6) {
    out +=
        "<h3>Its Figure 6: confusion matrices by augmentation</h3><p class=\"caption\">6,700 background and "
        "6,500 deposit samples evaluated, most of the deposit samples synthetic (" +
        svg::Escape(study.figure6_note) + ").</p><table>" + HeaderRow("augmentation", {"TN/FP/FN/TP"});
    for (const auto& [method, confusion] : study.figure6)
      out += "<tr>" + Cell(ToString(method)) + Cell(ConfusionText(confusion), "num") + "</tr>\n";
    out += "</table>\n" + Figures(charts.study_confusions);
  }
  if (alpha) {
    std::string tried;
    for (double a : study.alphas_tried) tried += (tried.empty() ? "" : ", ") + FixedText(a, 1);
    out += "<h3>Its correlation threshold</h3><p>The study tried α = " + tried +
           " and found α = " + FixedText(study.best_alpha, 1) + " best, by accuracy, for both ResGCN and ResGAT.</p>\n";
  }
  out += "</section>\n";
  return out;
}

std::string TimingSection(const EvalResults& results, const std::vector<std::string>& files) {
  const std::pair<const char*, const char*> parts[] = {
      {"load_seconds", "reading the rasters and labels"},
      {"cross_validation_seconds", "cross-validation, every run"},
      {"fold_data_seconds", "… of which fold features, samples and synthetic positives"},
      {"map_seconds", "final map"},
      {"report_seconds", "tables, plots and this page"},
      {"total_seconds", "total"}};
  std::string out = "<section id=\"timing\"><h2>Time taken</h2><div class=\"grid\"><table class=\"kv\">";
  for (const auto& [stage, label] : parts) {
    const double seconds = Seconds(results, stage);
    if (std::isfinite(seconds)) out += Row(label, DurationText(seconds));
  }
  out += "</table><table class=\"kv\">";
  for (const auto& m : results.comparison) out += Row(m.label, DurationText(m.run.seconds));
  out +=
      "</table></div><p class=\"caption\">Model times are training and scoring, summed over the folds. Files "
      "written next to this page: ";
  for (size_t i = 0; i < files.size(); ++i) out += (i ? ", " : "") + svg::Escape(files[i]);
  out += ", results.json (every figure above, and the curves).</p></section>\n";
  return out;
}

}  // namespace

std::string EvalReportPage(const EvalResults& results, const StudyFigures& study, const ReportCharts& charts,
                           const std::vector<std::string>& files) {
  const std::string tool = std::string("geoprosp-eval ") + GEOPROSP_VERSION;
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>geoprosp-eval report</title><style>" +
      std::string(kStyle) + "</style></head><body><main>\n";
  const double total = Seconds(results, "total_seconds");
  html += "<header><h1>Prospectivity models compared: " + std::to_string(results.data.elements.size()) + " elements, " +
          std::to_string(results.data.positive_cells) + " deposit cells</h1><p class=\"sub\">" + svg::Escape(tool) +
          " · " + ToString(results.settings.cv.protocol) + " protocol" +
          (std::isfinite(total) ? " · " + DurationText(total) : "") + "</p></header>\n";
  html += ProtocolBanner(results.settings.cv.protocol);
  for (const auto& warning : results.warnings)
    html += "<div class=\"protocol other\"><span class=\"tag\">WARNING</span> — " + svg::Escape(warning) + "</div>\n";
  html += DataSection(results);
  if (!results.comparison.empty()) html += ModelsSection(results, charts);
  if (results.augmentation) html += AugmentationSection(*results.augmentation, charts);
  if (!results.alpha_sweep.empty()) html += AlphaSection(results.alpha_sweep, charts.alpha_sweep);
  if (results.final_map) html += MapSection(*results.final_map, charts);
  html += StudySection(results, study, charts);
  html += TimingSection(results, files);
  html += "<footer>Made by " + svg::Escape(tool) + ".</footer>\n</main></body></html>\n";
  return html;
}

}  // namespace geoprosp
