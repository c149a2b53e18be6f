#include "geoprosp/report/eval_plots.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "geoprosp/report/report_text.hpp"
#include "geoprosp/report/svg_plot.hpp"

namespace geoprosp {
namespace {

std::string ModelColour(size_t index) { return svg::Palette()[index % svg::Palette().size()]; }

// The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `value` (> 0).
double NiceCeiling(double value) {
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

// Residual GNNs drawn thick, classical models dashed.
svg::Series CurveSeries(const ModelComparison& model, size_t index, const Curve& curve, double auc) {
  svg::Series series;
  series.name = model.label + " (" + FixedText(auc, 2) + ")";
  for (const auto& point : curve) {
    series.x.push_back(point[0]);
    series.y.push_back(point[1]);
  }
  series.colour = ModelColour(index);
  series.width = model.family == "residual GNN" ? 2.8 : 1.6;
  series.dashed = model.family.rfind("classical", 0) == 0;
  return series;
}

// A curve of a run's pooled out-of-fold scores, and the area under it.
using PooledCurve = std::function<std::pair<Curve, double>(const RunResult&)>;

// Every model's pooled curve on one plot, against the diagonal of a random ranking.
std::string CurvesPlot(const std::vector<ModelComparison>& models, const std::string& title, const std::string& x_label,
                       const std::string& y_label, const PooledCurve& curve_of) {
  svg::LinePlot plot;
  plot.title = title;
  plot.x_label = x_label;
  plot.y_label = y_label;
  plot.diagonal = true;
  plot.height = std::max(420, 60 + 17 * static_cast<int>(models.size()) + 40);
  for (size_t i = 0; i < models.size(); ++i) {
    const auto [curve, auc] = curve_of(models[i].run);
    plot.series.push_back(CurveSeries(models[i], i, curve, auc));
  }
  return svg::RenderLinePlot(plot);
}

}  // namespace

std::string ModelComparisonChart(const std::vector<ModelComparison>& models) {
  svg::BarChart chart;
  chart.title = "Model comparison: mean over folds (whiskers: ± sd)";
  chart.x_label = "ROC AUC, accuracy";
  svg::BarSeries auc{"ROC AUC", {}, {}, "#1f77b4"}, accuracy{"accuracy", {}, {}, "#ff7f0e"};
  for (const auto& model : models) {
    const MetricSummary& s = model.run.summary;
    chart.categories.push_back(model.label);
    auc.values.push_back(s.mean.roc_auc);
    auc.errors.push_back(s.sd.roc_auc);
    accuracy.values.push_back(s.mean.accuracy);
    accuracy.errors.push_back(s.sd.accuracy);
  }
  chart.series = {auc, accuracy};
  return svg::RenderBarChart(chart);
}

std::string RocCurvesPlot(const std::vector<ModelComparison>& models) {
  return CurvesPlot(
      models, "ROC curves (pooled out-of-fold scores)", "false positive rate", "true positive rate",
      [](const RunResult& run) {
        return std::pair{RocCurve(run.pooled_scores, run.pooled_labels), RocAuc(run.pooled_scores, run.pooled_labels)};
      });
}

std::string SuccessRateCurvesPlot(const std::vector<ModelComparison>& models) {
  return CurvesPlot(models, "Success-rate curves (pooled out-of-fold scores)",
                    "share of test cells, highest scores first", "share of deposit cells captured",
                    [](const RunResult& run) {
                      return std::pair{SuccessCurve(run.pooled_scores, run.pooled_labels),
                                       SuccessRateAuc(run.pooled_scores, run.pooled_labels)};
                    });
}

std::string ReliabilityPlot(const std::vector<ModelComparison>& models) {
  svg::LinePlot plot;
  plot.title = "Reliability of the calibrated probability (cross-fitted)";
  plot.x_label = "mean calibrated probability in the bin";
  plot.y_label = "share of deposit cells in the bin";
  plot.diagonal = true;
  plot.height = std::max(420, 60 + 17 * static_cast<int>(models.size()) + 40);
  double top = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    if (!models[i].calibration) continue;
    svg::Series series;
    series.name = models[i].label;
    series.colour = ModelColour(i);
    series.dots = true;
    for (const ReliabilityBin& bin : models[i].calibration->reliability) {
      series.x.push_back(bin.mean_predicted);
      series.y.push_back(bin.observed);
      top = std::max({top, bin.mean_predicted, bin.observed});
    }
    plot.series.push_back(series);
  }
  if (plot.series.empty()) return "";
  // Deposits are rare, so the bins sit near 0: both axes end just above the largest value.
  plot.x_max = plot.y_max = top > 0 ? std::min(1.0, NiceCeiling(top * 1.05)) : 1.0;
  return svg::RenderLinePlot(plot);
}

std::string AlphaSweepPlot(const std::vector<AlphaSweepModel>& sweep) {
  svg::LinePlot plot;
  plot.title = "Alpha sweep: mean over folds";
  plot.x_label = "correlation threshold alpha";
  plot.y_label = "ROC AUC (solid), accuracy (dashed)";
  plot.x_min = 0.15;
  plot.x_max = 0.85;
  double low = 1, high = 0;
  for (size_t index = 0; index < sweep.size(); ++index) {
    const AlphaSweepModel& model = sweep[index];
    svg::Series auc, accuracy;
    auc.name = model.label + " ROC AUC";
    accuracy.name = model.label + " accuracy";
    auc.colour = accuracy.colour = ModelColour(index);
    auc.dots = accuracy.dots = true;
    auc.width = accuracy.width = 2.2;
    accuracy.dashed = true;
    for (const auto& point : model.points) {
      for (auto [series, value] :
           {std::pair{&auc, point.summary.mean.roc_auc}, std::pair{&accuracy, point.summary.mean.accuracy}}) {
        series->x.push_back(point.run.alpha);
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
  return svg::RenderLinePlot(plot);
}

std::string PredictionAreaPlot(const PredictionArea& area) {
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
  for (const auto& point : area.curve) {
    deposits.x.push_back(point.threshold);
    deposits.y.push_back(point.deposits_percent);
    land.x.push_back(point.threshold);
    land.y.push_back(100 - point.area_percent);
  }
  plot.series = {deposits, land};
  if (area.intersection) {
    const PredictionAreaPoint& cross = *area.intersection;
    plot.annotations.push_back({cross.threshold, cross.deposits_percent,
                                FixedText(cross.deposits_percent, 0) + " % of deposits in " +
                                    FixedText(cross.area_percent, 0) + " % of the area"});
  }
  return svg::RenderLinePlot(plot);
}

std::string ConfusionPlot(const std::string& title, const Confusion& c) {
  return svg::RenderConfusion(title, c.tn, c.fp, c.fn, c.tp);
}

std::string ElementImportanceChart(const ImportanceSummary& importance) {
  svg::BarChart chart;
  chart.title = "Element importance and association with the deposits";
  chart.x_label = "share of the largest value";
  svg::BarSeries model{"model: mean |contribution|", {}, {}, "#1f77b4"};
  svg::BarSeries data{"data: |r| with deposit cells", {}, {}, "#ff7f0e"};
  double largest_importance = 0, largest_r = 0;
  for (const auto& e : importance.elements) {
    largest_importance = std::max(largest_importance, e.mean_abs_contribution);
    largest_r = std::max(largest_r, std::abs(e.deposit_correlation));
  }
  for (const auto& e : importance.elements) {
    chart.categories.push_back(e.element);
    model.values.push_back(largest_importance > 0 ? e.mean_abs_contribution / largest_importance : 0.0);
    data.values.push_back(largest_r > 0 ? std::abs(e.deposit_correlation) / largest_r : 0.0);
  }
  chart.series = {model, data};
  return svg::RenderBarChart(chart);
}

}  // namespace geoprosp
