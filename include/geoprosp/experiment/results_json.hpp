#pragma once
// The one place where experiment results become JSON: geoprosp-train's report, the training summary
// in a bundle's manifest, and geoprosp-eval's results.json. docs/schema/*.schema.json state the
// shapes; tests/cli/test_report_schema.sh checks real reports against them.
#include <nlohmann/json.hpp>

#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

nlohmann::json ToJson(const Metrics& metrics);
nlohmann::json ToJson(const ExperimentSettings& settings);

nlohmann::json TrainReportJson(const TrainReport& report);
// The part of the report a bundle's manifest keeps as its training summary.
nlohmann::json TrainingSummaryJson(const TrainReport& report);

// results.json. `study` (report/study_figures) goes under "study", apart from ours, as fractions; each
// model's "study" is its Table 2 row, where the study has one.
nlohmann::json EvalResultsJson(const EvalResults& results, const StudyFigures& study);

// Writes `value` as indented JSON to `path` (where an OutputSet staged it; messages name `shown_as`,
// by default `path`).
void WriteJsonFile(const std::string& path, const nlohmann::json& value, const std::string& shown_as = "");

}  // namespace geoprosp
