#pragma once
// Classification and ranking metrics for prospectivity models.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace geoprosp {

struct Confusion {
  int64_t tn = 0, fp = 0, fn = 0, tp = 0;
};

struct Metrics {
  double accuracy = 0, sensitivity = 0, specificity = 0, precision = 0, f1 = 0;
  double roc_auc = 0, pr_auc = 0, success_auc = 0;
  Confusion confusion;
};

// The rule for folds (one place, for every tool): a fold is scored only when its test part holds
// both a deposit cell and a background cell. Otherwise its ROC AUC, sensitivity and the like do not
// exist: such a fold is left out of the means and standard deviations, counted, and said to be.
bool Scored(const Metrics& m);
// Why a fold is not scored ("no test deposit", "no test background cell"); "" when it is.
std::string NotScoredBecause(const Metrics& m);

Confusion ConfusionAt(const std::vector<float>& scores, const std::vector<int>& labels, double threshold);
// Mann-Whitney AUC (ties count one half); 0.5 when a class is missing.
double RocAuc(const std::vector<float>& scores, const std::vector<int>& labels);
// Average precision (area under the precision-recall step curve).
double PrAuc(const std::vector<float>& scores, const std::vector<int>& labels);
// Area under the success-rate curve: share of deposit cells captured against share of area, cells
// ranked by score. Every cell counts as equal area.
double SuccessRateAuc(const std::vector<float>& scores, const std::vector<int>& labels);
Metrics ComputeMetrics(const std::vector<float>& scores, const std::vector<int>& labels, double threshold = 0.5);

// A fold's metrics; those it cannot have (see Scored) are null, with "scored": false and the reason.
nlohmann::json ToJson(const Metrics& m);
// Mean and sample standard deviation of each metric over the scored folds (null when none is),
// with "folds_scored" and "folds_left_out".
nlohmann::json MeanJson(const std::vector<Metrics>& folds);
nlohmann::json SdJson(const std::vector<Metrics>& folds);
// "3 of 20 folds are left out of the means: no test deposit", or "" when every fold is scored.
std::string LeftOutNote(const std::vector<Metrics>& folds);

}  // namespace geoprosp
