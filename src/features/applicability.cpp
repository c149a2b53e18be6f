#include "geoprosp/features/applicability.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"

namespace geoprosp {

const double kApplicabilityPercentile = 99;
const char* const kApplicabilityMethod = "mahalanobis";
const char* const kApplicabilityFromTrainingCells = "the model's training cells (deposit and background cells)";
const char* const kApplicabilityFromEveryCell =
    "every valid cell of the training rasters (too few training cells for a covariance)";

float Applicability::Distance(const float* features) const {
  const size_t n = mean.size();
  double centred[256];
  for (size_t i = 0; i < n; ++i) centred[i] = double(features[i]) - mean[i];
  double squared = 0;
  for (size_t i = 0; i < n; ++i) {
    const double* row = precision.data() + i * n;
    double dot = 0;
    for (size_t j = 0; j < n; ++j) dot += row[j] * centred[j];
    squared += centred[i] * dot;
  }
  return static_cast<float>(std::sqrt(std::max(0.0, squared)));
}

Applicability FitApplicability(const float* features, const std::vector<uint8_t>& use, int n_elements,
                               double percentile) {
  const int n = n_elements;
  if (n < 1 || n > 256) throw Error("applicability", "needs 1 to 256 features, got " + std::to_string(n));
  std::vector<size_t> cells;
  for (size_t c = 0; c < use.size(); ++c) {
    if (use[c]) cells.push_back(c);
  }
  if (cells.size() < size_t(n) + 1)
    throw Error("training cells", std::to_string(cells.size()) + " cells are too few to estimate the spread of " +
                                      std::to_string(n) + " features (the model's applicability)");
  Applicability a;
  a.percentile = percentile;
  a.cells = static_cast<int64_t>(cells.size());
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(n);
  for (size_t c : cells) mean += Eigen::Map<const Eigen::VectorXf>(features + c * n, n).cast<double>();
  mean /= double(cells.size());
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Zero(n, n);
  for (size_t c : cells) {
    const Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXf>(features + c * n, n).cast<double>() - mean;
    covariance.selfadjointView<Eigen::Lower>().rankUpdate(d);
  }
  covariance = covariance.selfadjointView<Eigen::Lower>();
  covariance /= double(cells.size());
  // The clr features sum to zero, so their covariance is singular; a small ridge makes it invertible
  // and leaves the distances of cells that keep the constraint unchanged to ~1e-3.
  a.ridge = std::max(1e-3 * covariance.trace() / n, 1e-12);
  covariance.diagonal().array() += a.ridge;
  const Eigen::LLT<Eigen::MatrixXd> cholesky(covariance);
  if (cholesky.info() != Eigen::Success)
    throw Error("training cells", "their feature covariance cannot be inverted (the model's applicability)");
  Eigen::MatrixXd precision = cholesky.solve(Eigen::MatrixXd::Identity(n, n));
  precision = (0.5 * (precision + precision.transpose())).eval();  // exactly symmetric
  a.mean.assign(mean.data(), mean.data() + n);
  a.precision.resize(size_t(n) * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) a.precision[size_t(i) * n + j] = precision(i, j);
  }
  std::vector<float> distances;
  distances.reserve(cells.size());
  for (size_t c : cells) distances.push_back(a.Distance(features + c * n));
  // Nearest rank: the smallest distance that at least `percentile` % of the cells do not exceed.
  const size_t rank = std::clamp<size_t>(size_t(std::ceil(percentile / 100.0 * distances.size())), 1, distances.size());
  std::nth_element(distances.begin(), distances.begin() + (rank - 1), distances.end());
  a.threshold = distances[rank - 1];
  return a;
}

std::string ApplicabilityProblem(const Applicability& a, size_t n_elements) {
  const size_t n = n_elements;
  if (a.mean.size() != n || a.precision.size() != n * n)
    return "its applicability statistics do not match the " + std::to_string(n) + " elements (mean " +
           std::to_string(a.mean.size()) + " values, precision " + std::to_string(a.precision.size()) + ")";
  const auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  if (!finite(a.mean) || !finite(a.precision) || !std::isfinite(a.ridge) || !std::isfinite(a.threshold))
    return "its applicability statistics hold values that are not finite";
  if (!(a.threshold > 0)) return "its applicability threshold " + FormatNumber(a.threshold) + " is not positive";
  if (!(a.percentile > 0 && a.percentile <= 100))
    return "its applicability percentile " + FormatNumber(a.percentile) + " lies outside (0, 100]";
  if (a.cells < int64_t(n) + 1)
    return "its applicability statistics come from " + std::to_string(a.cells) + " cells, too few for " +
           std::to_string(n) + " elements";
  Eigen::MatrixXd precision(n, n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) precision(i, j) = a.precision[i * n + j];
  }
  if (!precision.isApprox(precision.transpose(), 1e-9)) return "its applicability precision matrix is not symmetric";
  if (Eigen::LLT<Eigen::MatrixXd>(precision).info() != Eigen::Success)
    return "its applicability precision matrix is not positive definite";
  return "";
}

}  // namespace geoprosp
