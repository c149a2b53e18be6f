#include "geoprosp/pipeline/explain.hpp"

#include <algorithm>
#include <cmath>

#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/pipeline/score_region.hpp"

namespace geoprosp {

void ExplainCells(const std::vector<std::unique_ptr<Scorer>>& members, const float* features, const float* adjacency,
                  bool per_cell, int64_t n, int n_elements, const float* output, const Calibration& calibration,
                  const std::string& model, ExplainScratch& scratch, float* contributions) {
  const size_t values = size_t(n) * n_elements;
  scratch.occluded.assign(features, features + values);
  scratch.output.resize(n);
  scratch.spread.resize(n);
  for (int e = 0; e < n_elements; ++e) {
    for (int64_t i = 0; i < n; ++i) {
      float* cell = scratch.occluded.data() + size_t(i) * n_elements;
      if (e > 0) cell[e - 1] = features[size_t(i) * n_elements + e - 1];  // the previous element back
      cell[e] = kOccludedFeature;
    }
    ScoreMembers(members, scratch.occluded.data(), adjacency, per_cell, n, scratch.member_scores, scratch.output.data(),
                 scratch.spread.data(), calibration);
    RequireFiniteProbabilities(scratch.output.data(), n, model);
    for (int64_t i = 0; i < n; ++i) contributions[size_t(i) * n_elements + e] = output[i] - scratch.output[i];
  }
}

void ContributionTotals::Add(const float* bands, size_t cells_per_band, int n_elements) {
  sum.resize(n_elements, 0.0);
  abs_sum.resize(n_elements, 0.0);
  for (size_t c = 0; c < cells_per_band; ++c) {
    if (bands[c] == kProbabilityNodata) continue;  // every band has the same nodata cells
    for (int e = 0; e < n_elements; ++e) {
      const double value = bands[size_t(e) * cells_per_band + c];
      sum[e] += value;
      abs_sum[e] += std::abs(value);
    }
    ++cells;
  }
}

}  // namespace geoprosp
