#include "geoprosp/report/eval_report.hpp"

#include <filesystem>

#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/report/csv_tables.hpp"
#include "geoprosp/report/eval_plots.hpp"
#include "geoprosp/report/html_report.hpp"

namespace geoprosp {
namespace {

class OutputFolder {
 public:
  OutputFolder(const std::string& dir, const std::string& shown_dir) : dir_(dir), shown_dir_(shown_dir) {}
  // Writes `text` as `name` and returns it.
  const std::string& Write(const std::string& name, const std::string& text) {
    WriteTextFile((std::filesystem::path(dir_) / name).string(), text,
                  (std::filesystem::path(shown_dir_) / name).string());
    files_.push_back(name);
    return text;
  }
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string dir_, shown_dir_;
  std::vector<std::string> files_;
};

}  // namespace

std::vector<std::string> WriteEvalReport(const EvalResults& results, const StudyFigures& study,
                                         const svg::MapThumbnail* map, const std::string& dir,
                                         const std::string& shown_dir) {
  OutputFolder out(dir, shown_dir.empty() ? dir : shown_dir);
  ReportCharts charts;
  if (!results.comparison.empty()) {
    out.Write("models.csv", ModelsCsv(results.comparison));
    out.Write("study_table2.csv", StudyTable2Csv(study));
    charts.model_comparison = out.Write("model_comparison.svg", ModelComparisonChart(results.comparison));
    charts.roc = out.Write("roc.svg", RocCurvesPlot(results.comparison));
    charts.success_rate = out.Write("success_rate.svg", SuccessRateCurvesPlot(results.comparison));
    if (const std::string reliability = ReliabilityPlot(results.comparison); !reliability.empty())
      charts.reliability = out.Write("reliability.svg", reliability);
  }
  if (results.augmentation) {
    out.Write("augmentation.csv", AugmentationCsv(*results.augmentation));
    for (const auto& run : results.augmentation->methods) {
      const std::string method = ToString(run.run.augment);
      charts.confusions.push_back(
          out.Write("confusion_" + method + ".svg", ConfusionPlot(method, run.summary.confusion)));
    }
    out.Write("study_figure6.csv", StudyFigure6Csv(study));
    for (const auto& [augment, confusion] : study.figure6) {
      const std::string method = ToString(augment);
      charts.study_confusions.push_back(
          out.Write("study_confusion_" + method + ".svg", ConfusionPlot("the study's " + method, confusion)));
    }
  }
  if (!results.alpha_sweep.empty()) {
    out.Write("alpha_sweep.csv", AlphaSweepCsv(results.alpha_sweep));
    charts.alpha_sweep = out.Write("alpha_sweep.svg", AlphaSweepPlot(results.alpha_sweep));
  }
  if (results.final_map) {
    charts.prediction_area = out.Write("prediction_area.svg", PredictionAreaPlot(results.final_map->prediction_area));
    if (map) charts.map = out.Write("map.svg", svg::RenderMap(*map));
    out.Write("element_importance.csv", ElementImportanceCsv(results.final_map->importance));
    charts.element_importance =
        out.Write("element_importance.svg", ElementImportanceChart(results.final_map->importance));
  }
  std::vector<std::string> files = out.files();
  files.push_back("report.html");
  out.Write("report.html", EvalReportPage(results, study, charts, files));
  return out.files();
}

}  // namespace geoprosp
