#pragma once
// Where a model is extrapolating: the Mahalanobis distance of a cell's standardised features from
// those of the training cells, and a threshold on it (a percentile of the training cells' own
// distances). Stored in the model bundle; geoprosp-map writes it with --applicability.
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

struct Applicability {
  std::vector<double> mean;       // E: the training cells' mean feature vector
  std::vector<double> precision;  // E x E, row-major: inverse of the covariance + ridge * I
  double ridge = 0;               // added to the covariance's diagonal (the clr covariance is singular)
  double percentile = 99;         // of the training cells' distances, giving the threshold
  double threshold = 0;           // cells farther than this are outside the model's experience
  int64_t cells = 0;              // training cells the statistics come from
  std::string cells_from;         // which cells: kApplicabilityFromTrainingCells or ...FromEveryCell

  bool present() const { return !mean.empty(); }
  // Distance of one cell's E standardised features (double arithmetic in a fixed order, so a cell
  // gets the same value in any strip or tile).
  float Distance(const float* features) const;
};

extern const double kApplicabilityPercentile;   // 99
extern const char* const kApplicabilityMethod;  // how the manifest and the outputs name it
// The statistics come from the cells a model was fitted on (its deposit and background cells) when
// there are at least this many per element, else from every valid cell of its training rasters.
constexpr int kApplicabilityCellsPerElement = 5;
extern const char* const kApplicabilityFromTrainingCells;
extern const char* const kApplicabilityFromEveryCell;

// Fits the statistics on the cells of `features` (cell-major, E per cell) where `use` is set: mean,
// covariance, ridge (1e-3 of the mean variance), its inverse, and the `percentile` of the same
// cells' distances. An error when fewer than E + 1 cells are given.
Applicability FitApplicability(const float* features, const std::vector<uint8_t>& use, int n_elements,
                               double percentile = kApplicabilityPercentile);

// What is wrong with stored statistics for `n_elements` elements ("" when nothing): the shapes, a
// non-finite number, a precision matrix that is not symmetric positive definite, a threshold that
// is not positive.
std::string ApplicabilityProblem(const Applicability& applicability, size_t n_elements);

}  // namespace geoprosp
