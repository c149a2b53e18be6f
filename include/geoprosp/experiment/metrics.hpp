#pragma once
// Classification and ranking metrics for prospectivity models.
#include <cstdint>
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

Confusion ConfusionAt(const std::vector<float>& scores, const std::vector<int>& labels, double threshold);
// Mann-Whitney AUC (ties count one half); 0.5 when a class is missing.
double RocAuc(const std::vector<float>& scores, const std::vector<int>& labels);
// Average precision (area under the precision-recall step curve).
double PrAuc(const std::vector<float>& scores, const std::vector<int>& labels);
// Area under the success-rate curve: share of deposit cells captured against share of area, cells
// ranked by score. Every cell counts as equal area.
double SuccessRateAuc(const std::vector<float>& scores, const std::vector<int>& labels);
Metrics ComputeMetrics(const std::vector<float>& scores, const std::vector<int>& labels, double threshold = 0.5);

nlohmann::json ToJson(const Metrics& m);
// Mean and sample standard deviation of each metric over folds.
nlohmann::json MeanJson(const std::vector<Metrics>& folds);
nlohmann::json SdJson(const std::vector<Metrics>& folds);

}  // namespace geoprosp
