#include "geoprosp/features/variogram.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>

#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

std::vector<VariogramBin> EmpiricalVariogram(const std::vector<float>& values, const std::vector<int64_t>& cells,
                                             const Grid& grid, double max_lag, int bins) {
  std::vector<double> lag_sum(bins, 0), gamma_sum(bins, 0);
  std::vector<int64_t> pairs(bins, 0);
  std::vector<double> x(cells.size()), y(cells.size());
  for (size_t i = 0; i < cells.size(); ++i)
    grid.CellCentre(static_cast<int>(cells[i] % grid.width), static_cast<int>(cells[i] / grid.width), x[i], y[i]);
  for (size_t i = 0; i < cells.size(); ++i) {
    for (size_t j = i + 1; j < cells.size(); ++j) {
      const double h = std::hypot(x[i] - x[j], y[i] - y[j]);
      if (h <= 0 || h >= max_lag) continue;
      const int bin = std::min(bins - 1, static_cast<int>(h / max_lag * bins));
      const double d = double(values[i]) - values[j];
      lag_sum[bin] += h;
      gamma_sum[bin] += 0.5 * d * d;
      ++pairs[bin];
    }
  }
  std::vector<VariogramBin> out;
  for (int b = 0; b < bins; ++b) {
    if (pairs[b] > 0) out.push_back({lag_sum[b] / pairs[b], gamma_sum[b] / pairs[b], pairs[b]});
  }
  return out;
}

namespace {

// Weighted least squares of `gamma` on the columns of `basis` that `use` selects (at most 3), with
// every coefficient >= 0; returns the weighted squared error, or infinity when the fit is infeasible.
double NonNegativeFit(const std::vector<std::array<double, 3>>& basis, const std::vector<double>& gamma,
                      const std::vector<double>& weight, const std::array<bool, 3>& use) {
  std::vector<int> columns;
  for (int c = 0; c < 3; ++c) {
    if (use[c]) columns.push_back(c);
  }
  const int n = static_cast<int>(columns.size());
  double ata[3][3] = {}, atb[3] = {};
  for (size_t i = 0; i < gamma.size(); ++i) {
    for (int a = 0; a < n; ++a) {
      atb[a] += weight[i] * basis[i][columns[a]] * gamma[i];
      for (int b = 0; b < n; ++b) ata[a][b] += weight[i] * basis[i][columns[a]] * basis[i][columns[b]];
    }
  }
  // Gaussian elimination with partial pivoting on the n x n normal equations.
  double coefficient[3] = {};
  for (int a = 0; a < n; ++a) {
    int pivot = a;
    for (int b = a + 1; b < n; ++b) {
      if (std::abs(ata[b][a]) > std::abs(ata[pivot][a])) pivot = b;
    }
    if (std::abs(ata[pivot][a]) < 1e-12) return std::numeric_limits<double>::infinity();
    std::swap(ata[a], ata[pivot]);
    std::swap(atb[a], atb[pivot]);
    for (int b = a + 1; b < n; ++b) {
      const double factor = ata[b][a] / ata[a][a];
      for (int c = a; c < n; ++c) ata[b][c] -= factor * ata[a][c];
      atb[b] -= factor * atb[a];
    }
  }
  for (int a = n - 1; a >= 0; --a) {
    double sum = atb[a];
    for (int c = a + 1; c < n; ++c) sum -= ata[a][c] * coefficient[c];
    coefficient[a] = sum / ata[a][a];
    if (coefficient[a] < 0) return std::numeric_limits<double>::infinity();
  }
  double error = 0;
  for (size_t i = 0; i < gamma.size(); ++i) {
    double model = 0;
    for (int a = 0; a < n; ++a) model += coefficient[a] * basis[i][columns[a]];
    error += weight[i] * (gamma[i] - model) * (gamma[i] - model);
  }
  return error;
}

}  // namespace

double FitVariogramRange(const std::vector<VariogramBin>& bins, double min_range, double max_range) {
  if (bins.size() < 4 || !(max_range > min_range)) return min_range;
  std::vector<double> gamma, weight;
  for (const auto& bin : bins) {
    gamma.push_back(bin.semivariance);
    weight.push_back(double(bin.pairs));
  }
  double best_range = max_range, best_error = std::numeric_limits<double>::infinity();
  const int steps = 200;
  for (int k = 0; k <= steps; ++k) {
    const double range = min_range * std::pow(max_range / min_range, double(k) / steps);
    std::vector<std::array<double, 3>> basis;
    for (const auto& bin : bins) basis.push_back({1.0, 1 - std::exp(-3 * bin.lag / range), bin.lag / max_range});
    // The exponential structure is always in; the nugget and the drift only where they help.
    for (const std::array<bool, 3> use :
         {std::array<bool, 3>{false, true, false}, {true, true, false}, {false, true, true}, {true, true, true}}) {
      const double error = NonNegativeFit(basis, gamma, weight, use);
      if (error < best_error) {
        best_error = error;
        best_range = range;
      }
    }
  }
  return best_range;
}

AutocorrelationRange EstimateAutocorrelationRange(const std::vector<float>& features, int n_elements,
                                                  const std::vector<uint8_t>& valid, const Grid& grid, uint64_t seed,
                                                  int64_t max_cells) {
  std::vector<int64_t> cells;
  for (size_t c = 0; c < valid.size(); ++c) {
    if (valid[c]) cells.push_back(static_cast<int64_t>(c));
  }
  std::mt19937_64 rng(seed);
  if (static_cast<int64_t>(cells.size()) > max_cells) {
    // Partial Fisher-Yates with raw draws (identical on every platform), then back to cell order.
    for (int64_t i = 0; i < max_cells; ++i) std::swap(cells[i], cells[i + rng() % (cells.size() - i)]);
    cells.resize(max_cells);
    std::sort(cells.begin(), cells.end());
  }
  AutocorrelationRange out;
  out.sample_cells = static_cast<int64_t>(cells.size());
  const double pixel = std::max(std::abs(grid.geotransform[1]), std::abs(grid.geotransform[5]));
  const double extent =
      std::max(grid.width * std::abs(grid.geotransform[1]), grid.height * std::abs(grid.geotransform[5]));
  const double max_lag = extent / 2;
  std::vector<float> values(cells.size());
  for (int e = 0; e < n_elements; ++e) {
    for (size_t i = 0; i < cells.size(); ++i) values[i] = features[size_t(cells[i]) * n_elements + e];
    const auto bins = EmpiricalVariogram(values, cells, grid, max_lag, 20);
    out.per_element.push_back(FitVariogramRange(bins, pixel, max_lag));
  }
  std::vector<double> sorted = out.per_element;
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty()) {
    const size_t mid = sorted.size() / 2;
    out.range = sorted.size() % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
  }
  return out;
}

}  // namespace geoprosp
