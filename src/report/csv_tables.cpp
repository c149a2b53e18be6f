#include "geoprosp/report/csv_tables.hpp"

#include <cmath>

#include "geoprosp/report/report_text.hpp"

namespace geoprosp {
namespace {

class Csv {
 public:
  explicit Csv(const std::vector<std::string>& header) { Row(header); }
  void Row(const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string cell = cells[i];
      if (cell.find_first_of(",\"\n") != std::string::npos) {
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

std::string CsvNumber(double value) { return FixedText(value, 6); }

// The metrics the tables carry, in their column order.
const std::vector<std::pair<std::string, double Metrics::*>> kMetricColumns = {{"accuracy", &Metrics::accuracy},
                                                                               {"sensitivity", &Metrics::sensitivity},
                                                                               {"specificity", &Metrics::specificity},
                                                                               {"precision", &Metrics::precision},
                                                                               {"f1", &Metrics::f1},
                                                                               {"roc_auc", &Metrics::roc_auc},
                                                                               {"pr_auc", &Metrics::pr_auc},
                                                                               {"success_auc", &Metrics::success_auc}};

std::vector<std::string> ConfusionCells(const Confusion& c) {
  return {std::to_string(c.tn), std::to_string(c.fp), std::to_string(c.fn), std::to_string(c.tp)};
}

void Append(std::vector<std::string>& cells, const std::vector<std::string>& more) {
  cells.insert(cells.end(), more.begin(), more.end());
}

}  // namespace

std::string ModelsCsv(const std::vector<ModelComparison>& models) {
  std::vector<std::string> header = {"model", "label", "fold"};
  for (const auto& [name, field] : kMetricColumns) header.push_back(name);
  Append(header, {"tn", "fp", "fn", "tp", "seconds"});
  Csv csv(header);
  // The mean and sd rows leave the confusion empty: a confusion is a fold's (or a sum), not a mean.
  const auto row = [&](const ModelComparison& model, const std::string& fold, const Metrics& metrics,
                       const Confusion* confusion, double seconds) {
    std::vector<std::string> cells = {model.name, model.label, fold};
    for (const auto& [name, field] : kMetricColumns) cells.push_back(CsvNumber(metrics.*field));
    Append(cells, confusion ? ConfusionCells(*confusion) : std::vector<std::string>(4));
    cells.push_back(CsvNumber(seconds));
    csv.Row(cells);
  };
  const double no_time = std::nan("");
  for (const auto& model : models) {
    for (const auto& fold : model.run.folds)
      row(model, std::to_string(fold.fold), fold.metrics, &fold.metrics.confusion, fold.seconds);
    row(model, "mean", model.run.summary.mean, nullptr, model.run.seconds);
    row(model, "sd", model.run.summary.sd, nullptr, no_time);
  }
  return csv.text();
}

std::string AugmentationCsv(const AugmentationComparison& augmentation) {
  std::vector<std::string> header = {"method", "model"};
  for (const auto& [name, field] : kMetricColumns) Append(header, {name + "_mean", name + "_sd"});
  Append(header, {"tn", "fp", "fn", "tp"});
  Csv csv(header);
  for (const auto& run : augmentation.methods) {
    std::vector<std::string> cells = {ToString(run.run.augment), augmentation.model};
    for (const auto& [name, field] : kMetricColumns)
      Append(cells, {CsvNumber(run.summary.mean.*field), CsvNumber(run.summary.sd.*field)});
    Append(cells, ConfusionCells(run.summary.confusion));
    csv.Row(cells);
  }
  return csv.text();
}

std::string AlphaSweepCsv(const std::vector<AlphaSweepModel>& sweep) {
  Csv csv({"model", "alpha", "roc_auc_mean", "roc_auc_sd", "accuracy_mean", "accuracy_sd", "f1_mean", "f1_sd"});
  for (const auto& model : sweep) {
    for (const auto& point : model.points) {
      const MetricSummary& s = point.summary;
      csv.Row({model.name, FixedText(point.run.alpha, 2), CsvNumber(s.mean.roc_auc), CsvNumber(s.sd.roc_auc),
               CsvNumber(s.mean.accuracy), CsvNumber(s.sd.accuracy), CsvNumber(s.mean.f1), CsvNumber(s.sd.f1)});
    }
  }
  return csv.text();
}

std::string StudyTable2Csv(const StudyFigures& study) {
  Csv csv({"study_model", "accuracy_percent", "sensitivity_percent", "specificity_percent", "f1_percent"});
  for (const auto& [model, r] : study.table2) {
    csv.Row({model, FixedText(r.accuracy, 2), FixedText(r.sensitivity, 2), FixedText(r.specificity, 2),
             FixedText(r.f1, 2)});
  }
  return csv.text();
}

std::string StudyFigure6Csv(const StudyFigures& study) {
  Csv csv({"method", "tn", "fp", "fn", "tp"});
  for (const auto& [method, confusion] : study.figure6) {
    std::vector<std::string> cells = {ToString(method)};
    Append(cells, ConfusionCells(confusion));
    csv.Row(cells);
  }
  return csv.text();
}

std::string ElementImportanceCsv(const ImportanceSummary& importance) {
  Csv csv({"element", "mean_abs_contribution", "mean_contribution", "deposit_correlation"});
  for (const auto& e : importance.elements) {
    csv.Row({e.element, CsvNumber(e.mean_abs_contribution), CsvNumber(e.mean_contribution),
             CsvNumber(e.deposit_correlation)});
  }
  return csv.text();
}

}  // namespace geoprosp
