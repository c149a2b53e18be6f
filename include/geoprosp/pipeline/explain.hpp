#pragma once
// Occlusion explanations: how much each element moves a cell's output. For element e the cell is
// scored again with e's feature (its standardised clr value) set to the training mean, 0 in
// standardised space, and e's contribution is output(cell) - output(cell with e occluded). The
// cell's graph stays the one built from its real values. The output is what geoprosp-map writes:
// the ensemble's mean calibrated probability (raw scores without calibration). E + 1 scorings per
// cell, on whatever Scorer the run uses, one fixed sequence per cell: tiles still mosaic exactly.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "geoprosp/models/calibration.hpp"

namespace geoprosp {

class Scorer;

// The value an occluded element's feature takes: the training cells' mean, which the bundle's
// standardisation maps to 0.
constexpr float kOccludedFeature = 0.0f;

// Buffers ExplainCells reuses from call to call.
struct ExplainScratch {
  std::vector<float> occluded, output, spread, member_scores;
};

// contributions[i * E + e] = output[i] - the output with element e occluded, for the n cells of
// `features` (n x F E, cell-major, standardised; F node features per element, see features/context:
// the value, then a window mean and spread per scale) whose output is `output` (ScoreMembers' mean).
// Occluding an element sets its value and its window means to the training mean; its spreads stay,
// since a spread has no neutral value. `adjacency` is what they were scored with. A non-finite
// occluded output is an error naming `model`.
void ExplainCells(const std::vector<std::unique_ptr<Scorer>>& members, const float* features, const float* adjacency,
                  bool per_cell, int64_t n, int n_elements, int node_features, const float* output,
                  const Calibration& calibration, const std::string& model, ExplainScratch& scratch,
                  float* contributions);

// Sums of the contributions over the explained cells, per element.
struct ContributionTotals {
  std::vector<double> sum, abs_sum;
  int64_t cells = 0;
  // `bands`: E bands of `cells` values each, as a ScoredStrip holds them; nodata cells are skipped.
  void Add(const float* bands, size_t cells, int n_elements);
};

}  // namespace geoprosp
