#pragma once
// The model's global element importance (its mean absolute contributions over a map) set beside
// the data's own association of each element with the deposits.
#include <cstdint>
#include <vector>

#include "geoprosp/experiment/experiment.hpp"
#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

// Per element, Pearson r of its value under `composition` with the indicator of the labelled
// deposit cells, over every valid cell of `data` (0 for an element or indicator without spread).
std::vector<double> DepositCorrelations(const CellData& data, const CompositionParams& composition,
                                        const std::vector<LabelledCell>& labelled);

// Spearman's rho (average ranks for ties); 0 when either side has no spread.
double RankCorrelation(const std::vector<double>& a, const std::vector<double>& b);

// The summary from the sums of each element's contributions (signed and absolute) over `cells`
// explained cells, and the deposit correlations.
ImportanceSummary SummariseImportance(const std::vector<std::string>& elements, const std::vector<double>& sum,
                                      const std::vector<double>& abs_sum, int64_t cells,
                                      const std::vector<double>& deposit_correlation);

}  // namespace geoprosp
