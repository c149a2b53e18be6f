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

// `study` holds the study's own figures (report/study_figures), shown beside ours under its own label.
nlohmann::json EvalResultsJson(const EvalResults& results, const nlohmann::json& study);

// Writes `value` as indented JSON through a temporary name.
void WriteJsonFile(const std::string& path, const nlohmann::json& value);

}  // namespace geoprosp
