#include "geoprosp/experiment/importance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace geoprosp {
namespace {

// Ranks from 1, ties given their average rank.
std::vector<double> AverageRanks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = (double(i) + double(j)) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 2) return 0;
  const double mean_a = std::accumulate(a.begin(), a.begin() + n, 0.0) / n;
  const double mean_b = std::accumulate(b.begin(), b.begin() + n, 0.0) / n;
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return aa > 0 && bb > 0 ? std::clamp(ab / std::sqrt(aa * bb), -1.0, 1.0) : 0;
}

// Indices of the (at most) three largest values, largest first.
std::vector<size_t> TopThree(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
  order.resize(std::min<size_t>(order.size(), 3));
  return order;
}

}  // namespace

std::vector<double> DepositCorrelations(const CellData& data, const CompositionParams& composition,
                                        const std::vector<LabelledCell>& labelled) {
  const int n = data.n_elements;
  std::vector<uint8_t> deposit(data.valid.size(), 0);
  for (const auto& cell : labelled) {
    if (cell.label == 1) deposit[cell.cell] = 1;
  }
  // Sums for r of each element with the indicator, over the valid cells.
  std::vector<double> sum(n, 0), sum_sq(n, 0), sum_with_deposit(n, 0);
  double cells = 0, deposits = 0;
  std::vector<float> value(n);
  for (size_t c = 0; c < data.valid.size(); ++c) {
    if (!data.valid[c]) continue;
    std::copy_n(data.raw.data() + c * n, n, value.data());
    TransformCells(composition, value.data(), 1, n, nullptr);
    cells += 1;
    deposits += deposit[c];
    for (int e = 0; e < n; ++e) {
      sum[e] += value[e];
      sum_sq[e] += double(value[e]) * value[e];
      if (deposit[c]) sum_with_deposit[e] += value[e];
    }
  }
  std::vector<double> r(n, 0.0);
  const double indicator_variance = deposits / std::max(cells, 1.0) * (1 - deposits / std::max(cells, 1.0));
  for (int e = 0; e < n && cells > 1 && indicator_variance > 0; ++e) {
    const double mean = sum[e] / cells;
    const double variance = sum_sq[e] / cells - mean * mean;
    const double covariance = sum_with_deposit[e] / cells - mean * deposits / cells;
    if (variance > 1e-24) r[e] = std::clamp(covariance / std::sqrt(variance * indicator_variance), -1.0, 1.0);
  }
  return r;
}

double RankCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
  return Pearson(AverageRanks(a), AverageRanks(b));
}

ImportanceSummary SummariseImportance(const std::vector<std::string>& elements, const std::vector<double>& sum,
                                      const std::vector<double>& abs_sum, int64_t cells,
                                      const std::vector<double>& deposit_correlation) {
  ImportanceSummary summary;
  summary.cells = cells;
  const size_t n = elements.size();
  std::vector<double> importance(n, 0.0), association(n, 0.0);
  for (size_t e = 0; e < n; ++e) {
    ElementImportance item;
    item.element = elements[e];
    if (cells > 0 && e < sum.size()) {
      item.mean_abs_contribution = abs_sum[e] / double(cells);
      item.mean_contribution = sum[e] / double(cells);
    }
    item.deposit_correlation = e < deposit_correlation.size() ? deposit_correlation[e] : 0.0;
    importance[e] = item.mean_abs_contribution;
    association[e] = std::abs(item.deposit_correlation);
    summary.elements.push_back(item);
  }
  summary.rank_agreement = RankCorrelation(importance, association);
  const auto top_importance = TopThree(importance), top_association = TopThree(association);
  for (size_t e : top_importance) {
    summary.top3_shared += std::count(top_association.begin(), top_association.end(), e) > 0;
  }
  std::stable_sort(summary.elements.begin(), summary.elements.end(),
                   [](const ElementImportance& a, const ElementImportance& b) {
                     return a.mean_abs_contribution > b.mean_abs_contribution;
                   });
  return summary;
}

}  // namespace geoprosp
