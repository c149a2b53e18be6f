#pragma once
// The spatial autocorrelation range of the features: how far apart two cells must be before their
// values stop resembling each other. Spatial cross-validation uses it as its block size, as blockCV's
// spatialAutoRange does (Valavi et al. 2019): blocks narrower than the range let test cells be
// predicted from their own near-copies in the training folds.
#include <cstdint>
#include <vector>

namespace geoprosp {

struct Grid;

struct VariogramBin {
  double lag = 0;  // mean distance of the pairs in the bin (CRS units)
  double semivariance = 0;
  int64_t pairs = 0;
};

// Empirical semivariogram of one variable over `cells` (indices into the grid, row * width + col),
// `bins` equal lags up to `max_lag`.
std::vector<VariogramBin> EmpiricalVariogram(const std::vector<float>& values, const std::vector<int64_t>& cells,
                                             const Grid& grid, double max_lag, int bins);

// Practical range of nugget + sill (1 - exp(-3 h / range)) + drift h / max_range, fitted by
// pair-weighted least squares with every coefficient >= 0, the range searched over [min, max]. The
// drift takes up a regional trend, which would otherwise stretch the range of the local structure
// (geochemical surveys often rise slowly across the whole area after a short-range sill).
double FitVariogramRange(const std::vector<VariogramBin>& bins, double min_range, double max_range);

struct AutocorrelationRange {
  double range = 0;                 // the median of the elements' ranges (CRS units)
  std::vector<double> per_element;  // each element's fitted range
  int64_t sample_cells = 0;
};

// Ranges of every element of cell-major `features` (cells x E, valid cells only used) from a seeded
// sample of at most `max_cells` valid cells, lags up to half the grid's longer side.
AutocorrelationRange EstimateAutocorrelationRange(const std::vector<float>& features, int n_elements,
                                                  const std::vector<uint8_t>& valid, const Grid& grid, uint64_t seed,
                                                  int64_t max_cells = 2000);

}  // namespace geoprosp
