#include "geoprosp/report/eval_report.hpp"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <locale>
#include <numeric>
#include <sstream>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {

using json = nlohmann::json;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "";
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string Percent(double fraction) { return Fixed(100 * fraction, 1); }

std::string Duration(double seconds) {
  return seconds >= 120 ? Fixed(seconds / 60, 1) + " min" : Fixed(seconds, 1) + " s";
}

double Number(const json& object, const std::string& key) {
  return object.is_object() && object.contains(key) && object[key].is_number() ? object[key].get<double>() : kNaN;
}

bool Has(const json& results, const std::string& key) {
  return results.contains(key) && !results[key].is_null() && !results[key].empty();
}

class Csv {
 public:
  explicit Csv(const std::vector<std::string>& header) { Row(header); }
  void Row(const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      const bool quote = cells[i].find_first_of(",\"\n") != std::string::npos;
      std::string cell = cells[i];
      if (quote) {
        std::string escaped;
        for (char c : cell) escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
        cell = "\"" + escaped + "\"";
      }
      text_ += (i ? "," : "") + cell;
    }
    text_ += "\n";
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

std::string CsvNumber(double value) { return std::isfinite(value) ? Fixed(value, 6) : ""; }

class OutputFolder {
 public:
  explicit OutputFolder(const std::string& dir) : dir_(dir) {}
  void Write(const std::string& name, const std::string& text) {
    const auto path = (std::filesystem::path(dir_) / name).string();
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw Error(path, "cannot be written");
    files_.push_back(name);
  }
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

// --- CSV tables -----------------------------------------------------------------------------

const std::vector<std::string> kMetricKeys = {"accuracy", "sensitivity", "specificity", "precision",
                                              "f1",       "roc_auc",     "pr_auc",      "success_auc"};

std::vector<std::string> MetricCells(const json& metrics) {
  std::vector<std::string> cells;
  for (const auto& key : kMetricKeys) cells.push_back(CsvNumber(Number(metrics, key)));
  return cells;
}

std::string ModelsCsv(const json& results) {
  std::vector<std::string> header = {"model", "label", "fold"};
  header.insert(header.end(), kMetricKeys.begin(), kMetricKeys.end());
  header.insert(header.end(), {"tn", "fp", "fn", "tp", "seconds"});
  Csv csv(header);
  for (const auto& model : results["models"]) {
    const auto row = [&](const std::string& fold, const json& metrics, double seconds) {
      std::vector<std::string> cells = {model["name"], model["label"], fold};
      const auto values = MetricCells(metrics);
      cells.insert(cells.end(), values.begin(), values.end());
      const json confusion = metrics.contains("confusion") ? metrics["confusion"] : json::object();
      for (const char* key : {"tn", "fp", "fn", "tp"}) {
        cells.push_back(confusion.contains(key) ? std::to_string(confusion[key].get<int64_t>()) : "");
      }
      cells.push_back(CsvNumber(seconds));
      csv.Row(cells);
    };
    for (const auto& fold : model["folds"]) row(std::to_string(fold["fold"].get<int>()), fold, Number(fold, "seconds"));
    row("mean", model["mean"], Number(model, "seconds"));
    row("sd", model["sd"], kNaN);
    if (!model["study"].is_null()) row("study (Table 2)", model["study"], kNaN);
  }
  return csv.text();
}

std::string AugmentationCsv(const json& augmentation) {
  std::vector<std::string> header = {"method", "model"};
  for (const auto& key : kMetricKeys) {
    header.push_back(key + "_mean");
    header.push_back(key + "_sd");
  }
  header.insert(header.end(), {"tn", "fp", "fn", "tp", "study_tn", "study_fp", "study_fn", "study_tp"});
  Csv csv(header);
  for (const auto& method : augmentation["methods"]) {
    std::vector<std::string> cells = {method["method"], augmentation["model"]};
    for (const auto& key : kMetricKeys) {
      cells.push_back(CsvNumber(Number(method["mean"], key)));
      cells.push_back(CsvNumber(Number(method["sd"], key)));
    }
    for (const char* key : {"tn", "fp", "fn", "tp"})
      cells.push_back(std::to_string(method["confusion"][key].get<int64_t>()));
    for (const char* key : {"tn", "fp", "fn", "tp"}) {
      cells.push_back(
          method["study_confusion"].is_null() ? "" : std::to_string(method["study_confusion"][key].get<int64_t>()));
    }
    csv.Row(cells);
  }
  return csv.text();
}

std::string AlphaSweepCsv(const json& sweep) {
  Csv csv({"model", "alpha", "roc_auc_mean", "roc_auc_sd", "accuracy_mean", "accuracy_sd", "f1_mean", "f1_sd"});
  for (const auto& model : sweep["models"]) {
    for (const auto& point : model["points"]) {
      csv.Row({model["name"], Fixed(point["alpha"].get<double>(), 2), CsvNumber(Number(point["mean"], "roc_auc")),
               CsvNumber(Number(point["sd"], "roc_auc")), CsvNumber(Number(point["mean"], "accuracy")),
               CsvNumber(Number(point["sd"], "accuracy")), CsvNumber(Number(point["mean"], "f1")),
               CsvNumber(Number(point["sd"], "f1"))});
    }
  }
  return csv.text();
}

// --- SVG plots ------------------------------------------------------------------------------

std::string ModelColour(size_t index) { return svg::Palette()[index % svg::Palette().size()]; }

svg::Series CurveSeries(const json& model, size_t index, const json& curve, const std::string& name) {
  svg::Series series;
  series.name = name;
  for (const auto& point : curve) {
    series.x.push_back(point[0].get<double>());
    series.y.push_back(point[1].get<double>());
  }
  series.colour = ModelColour(index);
  const std::string family = model["family"];
  series.width = family == "residual GNN" ? 2.8 : 1.6;
  series.dashed = family.rfind("classical", 0) == 0;
  return series;
}

std::string CurvesPlot(const json& results, const std::string& curve_key, const std::string& auc_key,
                       const std::string& title, const std::string& x_label, const std::string& y_label) {
  svg::LinePlot plot;
  plot.title = title;
  plot.x_label = x_label;
  plot.y_label = y_label;
  plot.diagonal = true;
  plot.height = std::max(420, 60 + 17 * static_cast<int>(results["models"].size()) + 40);
  size_t index = 0;
  for (const auto& model : results["models"]) {
    const json& pooled = model["pooled"];
    plot.series.push_back(
        CurveSeries(model, index++, pooled[curve_key],
                    model["label"].get<std::string>() + " (" + Fixed(Number(pooled, auc_key), 2) + ")"));
  }
  return svg::RenderLinePlot(plot);
}

std::string ComparisonChart(const json& results) {
  svg::BarChart chart;
  chart.title = "Model comparison: mean over folds (whiskers: ± sd)";
  chart.x_label = "ROC AUC, accuracy";
  svg::BarSeries auc{"ROC AUC", {}, {}, "#1f77b4"}, accuracy{"accuracy", {}, {}, "#ff7f0e"},
      study{"study's accuracy (Table 2)", {}, {}, "#c9b100"};
  for (const auto& model : results["models"]) {
    chart.categories.push_back(model["label"]);
    auc.values.push_back(Number(model["mean"], "roc_auc"));
    auc.errors.push_back(Number(model["sd"], "roc_auc"));
    accuracy.values.push_back(Number(model["mean"], "accuracy"));
    accuracy.errors.push_back(Number(model["sd"], "accuracy"));
    study.values.push_back(model["study"].is_null() ? kNaN : Number(model["study"], "accuracy"));
  }
  chart.series = {auc, accuracy, study};
  return svg::RenderBarChart(chart);
}

std::string AlphaSweepPlot(const json& sweep) {
  svg::LinePlot plot;
  plot.title = "Alpha sweep: mean over folds";
  plot.x_label = "correlation threshold alpha";
  plot.y_label = "ROC AUC (solid), accuracy (dashed)";
  plot.x_min = 0.15;
  plot.x_max = 0.85;
  double low = 1, high = 0;
  size_t index = 0;
  for (const auto& model : sweep["models"]) {
    svg::Series auc, accuracy;
    auc.name = model["label"].get<std::string>() + " ROC AUC";
    accuracy.name = model["label"].get<std::string>() + " accuracy";
    auc.colour = accuracy.colour = ModelColour(index++);
    auc.dots = accuracy.dots = true;
    auc.width = accuracy.width = 2.2;
    accuracy.dashed = true;
    for (const auto& point : model["points"]) {
      for (auto* series : {&auc, &accuracy}) {
        const double value = Number(point["mean"], series == &auc ? "roc_auc" : "accuracy");
        series->x.push_back(point["alpha"].get<double>());
        series->y.push_back(value);
        if (std::isfinite(value)) {
          low = std::min(low, value);
          high = std::max(high, value);
        }
      }
    }
    plot.series.push_back(auc);
    plot.series.push_back(accuracy);
  }
  plot.y_min = std::max(0.0, std::floor((low - 0.05) * 10) / 10);
  plot.y_max = std::min(1.0, std::ceil((high + 0.05) * 10) / 10);
  if (plot.y_max <= plot.y_min) plot.y_max = plot.y_min + 0.1;
  svg::Series best;
  best.name = "study's best alpha (0.6)";
  best.x = {0.6, 0.6};
  best.y = {plot.y_min, plot.y_max};
  best.colour = "#999999";
  best.dashed = true;
  best.width = 1.2;
  plot.series.push_back(best);
  return svg::RenderLinePlot(plot);
}

std::string PredictionAreaPlot(const json& area) {
  svg::LinePlot plot;
  plot.title = "Prediction-area plot of the final ResGCN map";
  plot.x_label = "probability threshold";
  plot.y_label = "deposit cells at or above the threshold (%)";
  plot.reversed_right_label = "area at or above the threshold (%)";
  plot.y_max = 100;
  svg::Series deposits, land;
  deposits.name = "deposits (left axis)";
  land.name = "area (right axis)";
  deposits.colour = "#d62728";
  land.colour = "#1f77b4";
  deposits.width = land.width = 2.4;
  for (const auto& point : area["curve"]) {
    deposits.x.push_back(point["threshold"].get<double>());
    deposits.y.push_back(point["deposits_percent"].get<double>());
    land.x.push_back(point["threshold"].get<double>());
    land.y.push_back(100 - point["area_percent"].get<double>());
  }
  plot.series = {deposits, land};
  const json& cross = area["intersection"];
  if (!cross.is_null()) {
    plot.annotations.push_back({cross["threshold"].get<double>(), cross["deposits_percent"].get<double>(),
                                Fixed(cross["deposits_percent"].get<double>(), 0) + " % of deposits in " +
                                    Fixed(cross["area_percent"].get<double>(), 0) + " % of the area"});
  }
  return svg::RenderLinePlot(plot);
}

// --- report.html ----------------------------------------------------------------------------

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
.tag{font-weight:700;letter-spacing:.03em}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
p.caption,figcaption{color:var(--muted);font-size:13px;max-width:95ch;margin:6px 0}
table{border-collapse:collapse;margin:10px 0;font-size:12.5px}
th,td{padding:4px 7px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
th{background:#f6f8fa;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
.study{background:#fff8c5}
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

// A table cell of a mean and, in small grey type, its standard deviation.
std::string MeanSd(const json& mean, const json& sd, const std::string& key, bool percent) {
  const double m = Number(mean, key), s = Number(sd, key);
  if (!std::isfinite(m)) return "<td class=\"num\"></td>";
  const std::string value = percent ? Percent(m) : Fixed(m, 3);
  const std::string spread =
      std::isfinite(s) ? " <span class=\"sd\">± " + (percent ? Percent(s) : Fixed(s, 3)) + "</span>" : "";
  return "<td class=\"num\">" + value + spread + "</td>";
}

std::string Figure(const std::string& svg_text, const std::string& caption) {
  return "<figure>" + svg_text + "<figcaption>" + caption + "</figcaption></figure>\n";
}

std::string ProtocolBanner(const json& results) {
  const std::string protocol = results["protocol"];
  if (protocol == "paper") {
    return "<div class=\"protocol paper\"><span class=\"tag\">PAPER PROTOCOL (augment-then-split)</span> — synthetic "
           "positives were made from every deposit cell before the folds were drawn, so they sit in the test folds "
           "and the classes there are balanced. These figures reproduce how the study measured; they are not an "
           "estimate of performance on new ground (run with <code>--cv spatial</code> for that).</div>\n";
  }
  const std::string tag = protocol == "spatial" ? "SPATIAL CROSS-VALIDATION" : "RANDOM CROSS-VALIDATION";
  return "<div class=\"protocol\"><span class=\"tag\">" + tag + "</span> — " +
         svg::Escape(results["protocol_note"].get<std::string>()) + ".</div>\n";
}

std::string DataSection(const json& results) {
  const json& data = results["data"];
  const json& settings = results["settings"];
  const auto row = [](const std::string& key, const std::string& value) {
    return "<tr>" + Cell(key) + Cell(value) + "</tr>";
  };
  std::string elements;
  for (const auto& e : data["elements"]) elements += (elements.empty() ? "" : " ") + e.get<std::string>();
  std::string out = "<section id=\"data\"><h2>Data and settings</h2><div class=\"grid\"><table class=\"kv\">";
  out += row("elements", std::to_string(data["elements"].size()) + ": " + elements);
  out += row("grid", std::to_string(data["width"].get<int>()) + " x " + std::to_string(data["height"].get<int>()) +
                         " cells, " + std::to_string(data["valid_cells"].get<int64_t>()) + " valid");
  out += row("deposits", std::to_string(data["deposits"].get<int64_t>()) + " read, " +
                             std::to_string(data["positive_cells"].get<int64_t>()) + " deposit cells");
  out += row("background cells",
             std::to_string(data["negative_cells"].get<int64_t>()) + " (" + data["negatives"].get<std::string>() + ")");
  out += "</table><table class=\"kv\">";
  out += row(
      "cross-validation",
      settings["cv"].get<std::string>() + ", " + std::to_string(settings["folds"].get<int>()) + " folds" +
          (settings["cv"] == "spatial" ? ", blocks of " + Fixed(settings["block_size"].get<double>(), 0) + " CRS units"
                                       : ""));
  out += row("augmentation", settings["augment"].get<std::string>() +
                                 ", positives = " + Fixed(settings["augment_ratio"].get<double>(), 2) + " x negatives");
  out += row("graph", settings["graph"].get<std::string>() + ", alpha " + settings["alpha"].get<std::string>());
  out += row("networks", "hidden " + std::to_string(settings["hidden"].get<int>()) + ", " +
                             std::to_string(settings["layers"].get<int>()) + " layers, dropout " +
                             Fixed(settings["dropout"].get<double>(), 2) + ", lr " +
                             Fixed(settings["lr"].get<double>(), 4) + ", up to " +
                             std::to_string(settings["epochs"].get<int>()) + " epochs");
  out += row("seed", std::to_string(settings["seed"].get<int>()));
  out += "</table></div></section>\n";
  return out;
}

std::string ModelsSection(const json& results, const std::string& comparison_svg, const std::string& roc_svg,
                          const std::string& success_svg) {
  const json& models = results["models"];
  double best_auc = -1;
  for (const auto& m : models) best_auc = std::max(best_auc, Number(m["mean"], "roc_auc"));
  const int folds = results["settings"]["folds"];
  std::string out = "<section id=\"models\"><h2>1. Model comparison</h2>\n";
  out += "<p class=\"caption\">Every model was trained and tested on the same " + std::to_string(folds) +
         " folds, with the same in-fold features and the same synthetic positives; mean ± standard deviation over "
         "the folds. Accuracy, sensitivity, specificity and F1 are at a probability of 0.5; ROC AUC and PR AUC rank "
         "the test cells; success AUC is the area under the success-rate curve. The yellow columns are the study's "
         "Table 2, measured with its own protocol on its own data. Bold: the best mean ROC AUC.</p>\n";
  out += "<div class=\"scroll\"><table><tr>" + Head("model") + Head("acc. %", "num") + Head("sens. %", "num") +
         Head("spec. %", "num") + Head("F1 %", "num") + Head("ROC AUC", "num") + Head("PR AUC", "num") +
         Head("success AUC", "num") + Head("time s", "num") + Head("study acc.", "num study") +
         Head("sens.", "num study") + Head("spec.", "num study") + Head("F1", "num study") + "</tr>\n";
  std::string family;
  for (const auto& m : models) {
    if (m["family"] != family) {
      family = m["family"];
      out += "<tr class=\"group\"><td colspan=\"13\">" + svg::Escape(family) + "</td></tr>\n";
    }
    const bool best = Number(m["mean"], "roc_auc") == best_auc;
    out += best ? "<tr class=\"best\">" : "<tr>";
    out += "<td title=\"" + svg::Escape(m["description"].get<std::string>()) + "\">" +
           svg::Escape(m["label"].get<std::string>()) + "</td>";
    for (const char* key : {"accuracy", "sensitivity", "specificity", "f1"})
      out += MeanSd(m["mean"], m["sd"], key, true);
    for (const char* key : {"roc_auc", "pr_auc", "success_auc"}) out += MeanSd(m["mean"], m["sd"], key, false);
    out += Cell(Fixed(Number(m, "seconds"), 1), "num");
    for (const char* key : {"accuracy", "sensitivity", "specificity", "f1"}) {
      out += Cell(m["study"].is_null() ? "" : Percent(Number(m["study"], key)), "num study");
    }
    out += "</tr>\n";
  }
  out += "</table></div>\n<div class=\"grid\">";
  out += Figure(roc_svg,
                "ROC curves of the out-of-fold scores pooled over all folds (AUC in brackets): the share of deposit "
                "cells found against the share of background cells wrongly flagged, as the threshold falls. The "
                "dashed diagonal is a random ranking.");
  out += Figure(success_svg,
                "Success-rate curves of the pooled out-of-fold scores: the share of deposit cells captured against "
                "the share of the test cells (the held-out ground under spatial or random CV), highest scores "
                "first. Steeper is better.");
  out += Figure(comparison_svg,
                "Mean ROC AUC and accuracy per model, with the study's reported accuracy where it has one.");
  out += "</div>\n<details><summary>What each model is</summary><table>";
  for (const auto& m : models) {
    out += "<tr>" + Cell(m["label"]) + Cell(m["family"]) + Cell(m["description"]) + "</tr>";
  }
  out +=
      "</table><p class=\"caption\">Every model scores the same samples: graph models read each cell's element "
      "graph (node value and element one-hot), the others its standardised clr vector. Neural models train "
      "with Adam, class-weighted loss and early stopping on the inner validation part; the others fit on the "
      "inner training and validation parts together.</p></details>\n<details><summary>Per-fold figures</summary>";
  for (const auto& m : models) {
    out += "<h3>" + svg::Escape(m["label"].get<std::string>()) + "</h3><table><tr>" + Head("fold", "num") +
           Head("test cells", "num") + Head("deposits", "num") + Head("alpha", "num") + Head("accuracy %", "num") +
           Head("sensitivity %", "num") + Head("specificity %", "num") + Head("F1 %", "num") + Head("ROC AUC", "num") +
           Head("TN/FP/FN/TP", "num") + Head("time (s)", "num") + "</tr>";
    for (const auto& f : m["folds"]) {
      const auto& c = f["confusion"];
      out += "<tr>" + Cell(std::to_string(f["fold"].get<int>()), "num") +
             Cell(std::to_string(f["n_test"].get<int64_t>()), "num") +
             Cell(std::to_string(f["positives_test"].get<int64_t>()), "num") +
             Cell(Fixed(Number(f, "alpha"), 2), "num");
      for (const char* key : {"accuracy", "sensitivity", "specificity", "f1"})
        out += Cell(Percent(Number(f, key)), "num");
      out += Cell(Fixed(Number(f, "roc_auc"), 3), "num") +
             Cell(std::to_string(c["tn"].get<int64_t>()) + "/" + std::to_string(c["fp"].get<int64_t>()) + "/" +
                      std::to_string(c["fn"].get<int64_t>()) + "/" + std::to_string(c["tp"].get<int64_t>()),
                  "num") +
             Cell(Fixed(Number(f, "seconds"), 1), "num") + "</tr>";
    }
    out += "</table>";
  }
  out += "</details></section>\n";
  return out;
}

std::string AugmentationSection(const json& augmentation, const std::vector<std::string>& ours,
                                const std::vector<std::string>& study) {
  std::string out = "<section id=\"augmentation\"><h2>2. Augmentation comparison</h2>\n";
  out += "<p class=\"caption\">" + svg::Escape(augmentation["label"].get<std::string>()) +
         " trained with each way of making synthetic deposit samples, on the same folds. The confusion matrices "
         "are summed over the test folds: rows are the actual class, columns the prediction at a probability of "
         "0.5, and the shading is each cell's share of its actual class. The study's Figure 6 (6,700 background "
         "and 6,500 deposit samples evaluated, most of them synthetic) is shown for comparison. The last column "
         "says how far the synthetic samples' element correlations lie from the real ones' (mean |Δr|).</p>\n";
  out += "<table><tr>" + Head("augmentation") + Head("accuracy %", "num") + Head("sensitivity %", "num") +
         Head("specificity %", "num") + Head("F1 %", "num") + Head("ROC AUC", "num") + Head("TN/FP/FN/TP", "num") +
         Head("study TN/FP/FN/TP", "num study") + Head("mean |Δr|", "num") + "</tr>\n";
  const auto counts = [](const json& c) {
    return std::to_string(c["tn"].get<int64_t>()) + "/" + std::to_string(c["fp"].get<int64_t>()) + "/" +
           std::to_string(c["fn"].get<int64_t>()) + "/" + std::to_string(c["tp"].get<int64_t>());
  };
  for (const auto& method : augmentation["methods"]) {
    out += "<tr>" + Cell(method["method"]);
    for (const char* key : {"accuracy", "sensitivity", "specificity", "f1"})
      out += MeanSd(method["mean"], method["sd"], key, true);
    out += MeanSd(method["mean"], method["sd"], "roc_auc", false) + Cell(counts(method["confusion"]), "num");
    out += Cell(method["study_confusion"].is_null() ? "" : counts(method["study_confusion"]), "num study");
    out += Cell(Fixed(Number(method["synthetic_vs_real"], "correlation_mean_abs_difference"), 3), "num") + "</tr>\n";
  }
  out += "</table>\n<h3>Ours</h3><div class=\"grid small\">";
  for (const auto& svg_text : ours) out += "<figure>" + svg_text + "</figure>";
  out += "</div>\n<h3>The study's Figure 6</h3><div class=\"grid small\">";
  for (const auto& svg_text : study) out += "<figure>" + svg_text + "</figure>";
  out += "</div></section>\n";
  return out;
}

std::string AlphaSection(const json& sweep, const std::string& plot_svg) {
  std::string out = "<section id=\"alpha\"><h2>3. Correlation threshold α</h2>\n";
  out +=
      "<p class=\"caption\">An edge joins two elements when their Pearson |r| exceeds α; a low α gives a dense "
      "graph, a high one a sparse graph. Each point is the mean over the same folds. The study tried 0.2 to 0.8 "
      "and found α = 0.6 best (by accuracy) for both ResGCN and ResGAT.</p>\n<div class=\"grid\">";
  out += Figure(plot_svg, "Mean ROC AUC (solid) and accuracy (dashed) against α.");
  out += "<table><tr>" + Head("α", "num");
  for (const auto& model : sweep["models"]) {
    const std::string label = model["label"];
    out += Head(label + " ROC", "num") + Head(label + " acc. %", "num");
  }
  out += "</tr>";
  const size_t points = sweep["models"].empty() ? 0 : sweep["models"][0]["points"].size();
  for (size_t i = 0; i < points; ++i) {
    out += "<tr>" + Cell(Fixed(sweep["models"][0]["points"][i]["alpha"].get<double>(), 1), "num");
    for (const auto& model : sweep["models"]) {
      const json& point = model["points"][i];
      out +=
          MeanSd(point["mean"], point["sd"], "roc_auc", false) + MeanSd(point["mean"], point["sd"], "accuracy", true);
    }
    out += "</tr>";
  }
  out += "<tr><td>best</td>";
  for (const auto& model : sweep["models"]) {
    out += Cell(Fixed(Number(model, "best_alpha_by_roc_auc"), 1), "num") +
           Cell(Fixed(Number(model, "best_alpha_by_accuracy"), 1), "num");
  }
  out += "</tr></table></div></section>\n";
  return out;
}

std::string MapSection(const json& final_map, const std::string& map_svg, const std::string& area_svg) {
  const json& cross = final_map["prediction_area"]["intersection"];
  std::string out = "<section id=\"map\"><h2>4. The final ResGCN map</h2>\n";
  out += "<p class=\"caption\">ResGCN trained on every labelled cell (α " + Fixed(Number(final_map, "alpha"), 2) +
         ", augmentation as above, " + std::to_string(final_map["epochs_run"].get<int>()) +
         " epochs) and applied to every valid cell. These are in-sample figures: the known deposits helped train "
         "the model, so they show where it points, not how well it predicts new ground (the cross-validation above "
         "does that).</p>\n<div class=\"grid\">";
  if (!map_svg.empty()) out += Figure(map_svg, "Probability of the deposit class, with the known deposits.");
  std::string summary;
  if (!cross.is_null()) {
    summary = " Here " + Fixed(cross["deposits_percent"].get<double>(), 0) + " % of the deposit cells lie in " +
              Fixed(cross["area_percent"].get<double>(), 0) + " % of the area (probability ≥ " +
              Fixed(cross["threshold"].get<double>(), 3) + ").";
  }
  out += Figure(area_svg,
                "Prediction-area plot: the share of deposit cells (red, left axis) and of the area (blue, right axis, "
                "reversed) at or above each probability threshold. Where the curves cross, x % of the deposits lie "
                "in (100 − x) % of the area; the higher x, the better the map separates deposits from "
                "background." +
                    summary);
  out += "</div></section>\n";
  return out;
}

std::string TimingSection(const json& results, const std::vector<std::string>& files) {
  const json& timing = results["timing"];
  const std::pair<const char*, const char*> parts[] = {
      {"load_seconds", "reading the rasters and labels"},
      {"cross_validation_seconds", "cross-validation, every run"},
      {"fold_data_seconds", "… of which fold features, samples and synthetic positives"},
      {"map_seconds", "final map"},
      {"report_seconds", "tables, plots and this page"},
      {"total_seconds", "total"}};
  std::string out = "<section id=\"timing\"><h2>Time taken</h2><div class=\"grid\"><table class=\"kv\">";
  for (const auto& [key, label] : parts) {
    if (timing.contains(key)) out += "<tr>" + Cell(label) + Cell(Duration(timing[key].get<double>()), "num") + "</tr>";
  }
  out += "</table><table class=\"kv\">";
  for (const auto& m : results["models"]) {
    out += "<tr>" + Cell(m["label"]) + Cell(Duration(Number(m, "seconds")), "num") + "</tr>";
  }
  out +=
      "</table></div><p class=\"caption\">Model times are training and scoring, summed over the folds. Files "
      "written next to this page: ";
  for (size_t i = 0; i < files.size(); ++i) out += (i ? ", " : "") + svg::Escape(files[i]);
  out += ", results.json (every figure above, and the curves).</p></section>\n";
  return out;
}

}  // namespace

json StudyFigures() {
  const auto row = [](double accuracy, double sensitivity, double specificity, double f1) {
    return json{{"accuracy", accuracy / 100},
                {"sensitivity", sensitivity / 100},
                {"specificity", specificity / 100},
                {"f1", f1 / 100}};
  };
  const auto confusion = [](int64_t tn, int64_t fp, int64_t fn, int64_t tp) {
    return json{{"tn", tn}, {"fp", fp}, {"fn", fn}, {"tp", tp}};
  };
  return {
      {"source",
       "Research on Prediction of Mineralized Prospective Areas Based on Residual Graph Neural Network (Hans "
       "Publishers, paper 91222): Pangxidong, Guangdong; 10-fold CV after augmentation (the paper protocol)"},
      {"table2",
       {{"SVM", row(73.2, 69.72, 75.33, 69.63)},
        {"logistic regression", row(72.26, 66.50, 76.91, 68.56)},
        {"k-means", row(77.03, 76.10, 77.81, 76.79)},
        {"KNN", row(76.32, 75.59, 77.04, 75.88)},
        {"autoencoder", row(80.65, 76.66, 84.35, 77.63)},
        {"GIN", row(90.89, 85.77, 95.26, 90.03)},
        {"DiffPool", row(90.08, 85.36, 94.99, 89.01)},
        {"GraphSAGE", row(89.37, 83.75, 94.73, 88.62)},
        {"ResGCN", row(95.34, 89.33, 99.9, 94.43)},
        {"ResGAT", row(95.92, 90.21, 99.9, 94.94)}}},
      {"figure6",
       {{"noise", confusion(5652, 1048, 1517, 4983)},
        {"smote", confusion(6347, 353, 1056, 5444)},
        {"vae", confusion(6364, 336, 951, 5549)},
        {"gan", confusion(6690, 10, 700, 5800)}}},
      {"figure6_note", "random noise FN reads 517 in the scan; 1517 makes 6,500 positives like the others"},
      {"best_alpha", 0.6},
  };
}

svg::MapThumbnail ProbabilityThumbnail(const std::vector<float>& probability_per_cell,
                                       const std::vector<uint8_t>& valid, const Grid& grid,
                                       const std::vector<DepositPoint>& deposits, int max_side) {
  const int step = std::max(1, (std::max(grid.width, grid.height) + max_side - 1) / max_side);
  const int columns = (grid.width + step - 1) / step, rows = (grid.height + step - 1) / step;
  std::vector<uint8_t> bands(size_t(4) * columns * rows, 0);  // band-sequential RGBA
  const size_t plane = size_t(columns) * rows;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      const size_t cell = size_t(r) * step * grid.width + size_t(c) * step, pixel = size_t(r) * columns + c;
      if (!valid[cell]) continue;
      const auto rgb = svg::Ramp(probability_per_cell[cell]);
      for (int b = 0; b < 3; ++b) bands[b * plane + pixel] = rgb[b];
      bands[3 * plane + pixel] = 255;
    }
  }
  GDALAllRegister();
  auto* mem = GetGDALDriverManager()->GetDriverByName("MEM")->Create("", columns, rows, 4, GDT_Byte, nullptr);
  if (!mem || mem->RasterIO(GF_Write, 0, 0, columns, rows, bands.data(), columns, rows, GDT_Byte, 4, nullptr, 0, 0, 0,
                            nullptr) != CE_None) {
    if (mem) GDALClose(mem);
    throw Error("map thumbnail", LastGdalError("cannot be rendered"));
  }
  const std::string path =
      "/vsimem/geoprosp_eval_thumbnail_" + std::to_string(reinterpret_cast<uintptr_t>(mem)) + ".png";
  GDALDataset* png =
      GetGDALDriverManager()->GetDriverByName("PNG")->CreateCopy(path.c_str(), mem, FALSE, nullptr, nullptr, nullptr);
  GDALClose(mem);
  if (!png) throw Error("map thumbnail", LastGdalError("the PNG driver failed"));
  GDALClose(png);
  vsi_l_offset length = 0;
  GByte* bytes = VSIGetMemFileBuffer(path.c_str(), &length, TRUE);
  char* base64 = CPLBase64Encode(static_cast<int>(length), bytes);
  svg::MapThumbnail map;
  map.png_base64 = base64;
  CPLFree(base64);
  CPLFree(bytes);
  VSIUnlink((path + ".aux.xml").c_str());
  map.columns = columns;
  map.rows = rows;
  map.aspect = (grid.width * std::abs(grid.geotransform[1])) / (grid.height * std::abs(grid.geotransform[5]));
  for (const auto& d : deposits) {
    const double col = (d.x - grid.geotransform[0]) / grid.geotransform[1];
    const double row = (d.y - grid.geotransform[3]) / grid.geotransform[5];
    map.points.push_back({col / step, row / step});
  }
  return map;
}

std::vector<std::string> WriteEvalReport(const json& results, const svg::MapThumbnail* map, const std::string& dir) {
  OutputFolder out(dir);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>geoprosp-eval report</title><style>" +
      std::string(kStyle) + "</style></head><body><main>\n";
  const json& data = results["data"];
  html += "<header><h1>Prospectivity models compared: " + std::to_string(data["elements"].size()) + " elements, " +
          std::to_string(data["positive_cells"].get<int64_t>()) + " deposit cells</h1><p class=\"sub\">" +
          svg::Escape(results["tool"].get<std::string>() + " " + results["version"].get<std::string>()) + " · " +
          svg::Escape(results["protocol"].get<std::string>()) + " protocol · " +
          Duration(Number(results["timing"], "total_seconds")) + "</p></header>\n";
  html += ProtocolBanner(results);
  html += DataSection(results);

  std::string body;
  if (Has(results, "models")) {
    out.Write("models.csv", ModelsCsv(results));
    const std::string comparison = ComparisonChart(results);
    const std::string roc = CurvesPlot(results, "roc_curve", "roc_auc", "ROC curves (pooled out-of-fold scores)",
                                       "false positive rate", "true positive rate");
    const std::string success =
        CurvesPlot(results, "success_curve", "success_auc", "Success-rate curves (pooled out-of-fold scores)",
                   "share of test cells, highest scores first", "share of deposit cells captured");
    out.Write("model_comparison.svg", comparison);
    out.Write("roc.svg", roc);
    out.Write("success_rate.svg", success);
    body += ModelsSection(results, comparison, roc, success);
  }
  if (Has(results, "augmentation")) {
    const json& augmentation = results["augmentation"];
    out.Write("augmentation.csv", AugmentationCsv(augmentation));
    std::vector<std::string> ours, study;
    for (const auto& method : augmentation["methods"]) {
      const std::string name = method["method"];
      const auto& c = method["confusion"];
      ours.push_back(svg::RenderConfusion("ours: " + name, c["tn"], c["fp"], c["fn"], c["tp"]));
      out.Write("confusion_" + name + ".svg", ours.back());
      if (!method["study_confusion"].is_null()) {
        const auto& s = method["study_confusion"];
        study.push_back(svg::RenderConfusion("study: " + name, s["tn"], s["fp"], s["fn"], s["tp"]));
        out.Write("study_confusion_" + name + ".svg", study.back());
      }
    }
    body += AugmentationSection(augmentation, ours, study);
  }
  if (Has(results, "alpha_sweep")) {
    out.Write("alpha_sweep.csv", AlphaSweepCsv(results["alpha_sweep"]));
    const std::string plot = AlphaSweepPlot(results["alpha_sweep"]);
    out.Write("alpha_sweep.svg", plot);
    body += AlphaSection(results["alpha_sweep"], plot);
  }
  if (Has(results, "final_map")) {
    const std::string area = PredictionAreaPlot(results["final_map"]["prediction_area"]);
    out.Write("prediction_area.svg", area);
    std::string map_svg;
    if (map) {
      map_svg = svg::RenderMap(*map);
      out.Write("map.svg", map_svg);
    }
    body += MapSection(results["final_map"], map_svg, area);
  }
  std::vector<std::string> files = out.files();
  files.push_back("report.html");
  html += body + TimingSection(results, files);
  html += "<footer>Made by " + svg::Escape(results["tool"].get<std::string>()) + ". The study's figures are from " +
          svg::Escape(results["study"]["source"].get<std::string>()) + ".</footer>\n</main></body></html>\n";
  out.Write("report.html", html);
  return out.files();
}

}  // namespace geoprosp
