#include "geoprosp/pipeline/explain.hpp"

#include <algorithm>
#include <cmath>

#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/pipeline/score_region.hpp"

namespace geoprosp {

void ExplainCells(const std::vector<std::unique_ptr<Scorer>>& members, const float* features, const float* adjacency,
                  bool per_cell, int64_t n, int n_elements, int node_features, const float* output,
                  const Calibration& calibration, const std::string& model, ExplainScratch& scratch,
                  float* contributions) {
  const size_t row = size_t(n_elements) * node_features;
  scratch.occluded.assign(features, features + size_t(n) * row);
  scratch.output.resize(n);
  scratch.spread.resize(n);
  // Element e's value (block 0) and its window means (blocks 1, 3, ...).
  const auto each_position = [&](int e, auto&& visit) {
    for (int block = 0; block < node_features; block += block == 0 ? 1 : 2) visit(size_t(block) * n_elements + e);
  };
  for (int e = 0; e < n_elements; ++e) {
    for (int64_t i = 0; i < n; ++i) {
      float* cell = scratch.occluded.data() + size_t(i) * row;
      const float* original = features + size_t(i) * row;
      if (e > 0) each_position(e - 1, [&](size_t k) { cell[k] = original[k]; });  // the previous element back
      each_position(e, [&](size_t k) { cell[k] = kOccludedFeature; });
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
