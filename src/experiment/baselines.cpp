#include "geoprosp/experiment/baselines.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {

double SquaredDistance(const float* a, const float* b, int dims) {
  double sum = 0;
  for (int k = 0; k < dims; ++k) sum += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
  return sum;
}

double Sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double Uniform(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

void Shuffle(std::vector<size_t>& items, std::mt19937_64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng() % i]);
}

void CheckTrainingSet(const Points& x, const std::vector<int>& labels, const char* model, bool both_classes) {
  if (x.n == 0 || labels.size() != x.n) throw Error(model, "needs labelled training samples");
  const auto positives = std::count(labels.begin(), labels.end(), 1);
  if (both_classes && (positives == 0 || positives == static_cast<int64_t>(x.n)))
    throw Error(model, "needs deposits and background cells in its training samples");
}

}  // namespace

std::vector<double> BalancedWeights(const std::vector<int>& labels) {
  const double n = static_cast<double>(labels.size());
  const double positives = std::count(labels.begin(), labels.end(), 1);
  const double negatives = n - positives;
  std::vector<double> weights;
  for (int label : labels) {
    const double count = label ? positives : negatives;
    weights.push_back(count > 0 ? n / (2.0 * count) : 0.0);
  }
  return weights;
}

void LogisticRegression::Fit(const Points& x, const std::vector<int>& labels) {
  CheckTrainingSet(x, labels, "logistic regression", true);
  const int d = x.dims + 1;
  Eigen::MatrixXd design(x.n, d);
  Eigen::VectorXd y(x.n), weight(x.n);
  const auto balanced = BalancedWeights(labels);
  const double total = std::accumulate(balanced.begin(), balanced.end(), 0.0);
  for (size_t i = 0; i < x.n; ++i) {
    for (int k = 0; k < x.dims; ++k) design(i, k) = x.row(i)[k];
    design(i, x.dims) = 1.0;
    y(i) = labels[i];
    weight(i) = balanced[i] / total;
  }
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(d, l2_);
  penalty(x.dims) = 0;  // the intercept is free
  const auto loss = [&](const Eigen::VectorXd& beta) {
    const Eigen::VectorXd z = design * beta;
    double sum = 0.5 * beta.cwiseProduct(penalty).dot(beta);
    for (size_t i = 0; i < x.n; ++i) sum += weight(i) * (Softplus(z(i)) - y(i) * z(i));
    return sum;
  };
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(d);
  for (int iteration = 0; iteration < 100; ++iteration) {
    const Eigen::VectorXd z = design * beta;
    Eigen::VectorXd residual(x.n), curvature(x.n);
    for (size_t i = 0; i < x.n; ++i) {
      const double p = Sigmoid(z(i));
      residual(i) = weight(i) * (p - y(i));
      curvature(i) = weight(i) * p * (1 - p);
    }
    const Eigen::VectorXd gradient = design.transpose() * residual + penalty.cwiseProduct(beta);
    if (gradient.norm() < 1e-10) break;
    Eigen::MatrixXd hessian = design.transpose() * curvature.asDiagonal() * design;
    hessian.diagonal() += penalty + Eigen::VectorXd::Constant(d, 1e-10);
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    const double current = loss(beta), slope = gradient.dot(step);
    double t = 1.0;
    while (t > 1e-10 && loss(beta - t * step) > current - 1e-4 * t * slope) t *= 0.5;
    beta -= t * step;
    if ((t * step).norm() < 1e-10) break;
  }
  beta_.assign(beta.data(), beta.data() + d);
}

double LogisticRegression::LogOdds(const float* row) const {
  const int dims = static_cast<int>(beta_.size()) - 1;
  double z = beta_[dims];
  for (int k = 0; k < dims; ++k) z += beta_[k] * row[k];
  return z;
}

std::vector<float> LogisticRegression::Score(const Points& x) const {
  std::vector<float> out(x.n);
  for (size_t i = 0; i < x.n; ++i) out[i] = static_cast<float>(Sigmoid(LogOdds(x.row(i))));
  return out;
}

void PlattScaling::Fit(const std::vector<float>& scores, const std::vector<int>& labels) {
  const double n = static_cast<double>(scores.size());
  mean_ = std::accumulate(scores.begin(), scores.end(), 0.0) / std::max(1.0, n);
  double variance = 0;
  for (float s : scores) variance += (s - mean_) * (s - mean_) / std::max(1.0, n);
  sd_ = variance > 0 ? std::sqrt(variance) : 1.0;
  std::vector<float> standardised;
  for (float s : scores) standardised.push_back(static_cast<float>((s - mean_) / sd_));
  fit_.Fit({standardised.data(), standardised.size(), 1}, labels);
}

std::vector<float> PlattScaling::Apply(const std::vector<float>& scores) const {
  std::vector<float> out;
  for (float s : scores) {
    const float z = static_cast<float>((s - mean_) / sd_);
    out.push_back(static_cast<float>(Sigmoid(fit_.LogOdds(&z))));
  }
  return out;
}

double Svm::Kernel(const float* a, const float* b) const {
  if (settings_.kernel == SvmKernel::Rbf) return std::exp(-gamma_ * SquaredDistance(a, b, dims_)) + 1.0;
  double dot = 0;
  for (int k = 0; k < dims_; ++k) dot += double(a[k]) * b[k];
  return dot + 1.0;
}

void Svm::Fit(const Points& x, const std::vector<int>& labels) {
  CheckTrainingSet(x, labels, "SVM", true);
  dims_ = x.dims;
  gamma_ = settings_.gamma > 0 ? settings_.gamma : 1.0 / x.dims;
  const bool rbf = settings_.kernel == SvmKernel::Rbf;
  std::mt19937_64 rng(settings_.seed);

  // The RBF kernel matrix is n x n: beyond max_samples, a seeded subsample that keeps up to half
  // of it for deposits.
  std::vector<size_t> used(x.n);
  std::iota(used.begin(), used.end(), 0);
  if (rbf && x.n > settings_.max_samples) {
    std::vector<size_t> by_class[2];
    for (size_t i = 0; i < x.n; ++i) by_class[labels[i] ? 1 : 0].push_back(i);
    for (auto& members : by_class) Shuffle(members, rng);
    const size_t positives = std::min(by_class[1].size(), settings_.max_samples / 2);
    const size_t negatives = std::min(by_class[0].size(), settings_.max_samples - positives);
    used.assign(by_class[1].begin(), by_class[1].begin() + positives);
    used.insert(used.end(), by_class[0].begin(), by_class[0].begin() + negatives);
    std::sort(used.begin(), used.end());
  }
  const size_t m = used.size();
  std::vector<int> used_labels;
  for (size_t i : used) used_labels.push_back(labels[i]);
  const auto class_weight = BalancedWeights(used_labels);
  std::vector<double> sign(m), upper(m), diagonal(m), alpha(m, 0.0);
  for (size_t i = 0; i < m; ++i) {
    sign[i] = used_labels[i] ? 1.0 : -1.0;
    upper[i] = settings_.c * class_weight[i];
    diagonal[i] = Kernel(x.row(used[i]), x.row(used[i]));
  }

  // f(x_i) = sum_j alpha_j y_j K(x_j, x_i): kept as w (linear) or as a vector over the samples (RBF).
  std::function<double(size_t)> decision;
  std::function<void(size_t, double)> add;  // alpha_i y_i grew by delta
  std::vector<double> w(dims_ + 1, 0.0), f;
  std::vector<float> gram;
  if (rbf) {
    gram.resize(m * m);
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j <= i; ++j) {
        gram[i * m + j] = gram[j * m + i] = static_cast<float>(Kernel(x.row(used[i]), x.row(used[j])));
      }
    }
    f.assign(m, 0.0);
    decision = [&](size_t i) { return f[i]; };
    add = [&](size_t i, double delta) {
      for (size_t j = 0; j < m; ++j) f[j] += delta * gram[i * m + j];
    };
  } else {
    decision = [&](size_t i) {
      const float* row = x.row(used[i]);
      double z = w[dims_];
      for (int k = 0; k < dims_; ++k) z += w[k] * row[k];
      return z;
    };
    add = [&](size_t i, double delta) {
      const float* row = x.row(used[i]);
      for (int k = 0; k < dims_; ++k) w[k] += delta * row[k];
      w[dims_] += delta;
    };
  }

  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  for (int pass = 0; pass < settings_.max_passes; ++pass) {
    Shuffle(order, rng);
    double worst = 0;
    for (size_t i : order) {
      const double gradient = sign[i] * decision(i) - 1.0;
      double projected = gradient;
      if (alpha[i] <= 0) projected = std::min(gradient, 0.0);
      if (alpha[i] >= upper[i]) projected = std::max(gradient, 0.0);
      worst = std::max(worst, std::abs(projected));
      if (projected == 0) continue;
      const double updated = std::clamp(alpha[i] - gradient / diagonal[i], 0.0, upper[i]);
      add(i, (updated - alpha[i]) * sign[i]);
      alpha[i] = updated;
    }
    if (worst < settings_.tolerance) break;
  }

  w_.clear();
  support_.clear();
  support_coefficient_.clear();
  if (rbf) {
    for (size_t i = 0; i < m; ++i) {
      if (alpha[i] <= 0) continue;
      support_.insert(support_.end(), x.row(used[i]), x.row(used[i]) + dims_);
      support_coefficient_.push_back(alpha[i] * sign[i]);
    }
  } else {
    w_ = w;
  }
  platt_.Fit(Decision(x), labels);
}

std::vector<float> Svm::Decision(const Points& x) const {
  std::vector<float> out(x.n);
  for (size_t i = 0; i < x.n; ++i) {
    double z = 0;
    if (settings_.kernel == SvmKernel::Linear) {
      z = w_[dims_];
      for (int k = 0; k < dims_; ++k) z += w_[k] * x.row(i)[k];
    } else {
      for (size_t s = 0; s < support_coefficient_.size(); ++s)
        z += support_coefficient_[s] * Kernel(support_.data() + s * dims_, x.row(i));
    }
    out[i] = static_cast<float>(z);
  }
  return out;
}

std::vector<float> Svm::Score(const Points& x) const { return platt_.Apply(Decision(x)); }

void NearestNeighbours::Fit(const Points& x, const std::vector<int>& labels) {
  CheckTrainingSet(x, labels, "KNN", true);
  dims_ = x.dims;
  train_.assign(x.values, x.values + x.n * x.dims);
  labels_ = labels;
  weights_ = BalancedWeights(labels);
}

std::vector<float> NearestNeighbours::Score(const Points& x) const {
  const size_t n = labels_.size(), k = std::min<size_t>(std::max(1, k_), n);
  std::vector<float> out(x.n);
  std::vector<std::pair<double, size_t>> distances(n);
  for (size_t q = 0; q < x.n; ++q) {
    for (size_t i = 0; i < n; ++i) distances[i] = {SquaredDistance(x.row(q), train_.data() + i * dims_, dims_), i};
    std::partial_sort(distances.begin(), distances.begin() + k, distances.end());
    double deposit = 0, total = 0;
    for (size_t j = 0; j < k; ++j) {
      const size_t i = distances[j].second;
      total += weights_[i];
      if (labels_[i]) deposit += weights_[i];
    }
    out[q] = static_cast<float>(total > 0 ? deposit / total : 0.0);
  }
  return out;
}

std::vector<float> KMeansCentroids(const Points& x, int k, uint64_t seed, int max_iterations) {
  if (x.n == 0) throw Error("k-means", "needs at least one sample");
  const int dims = x.dims;
  std::mt19937_64 rng(seed);
  const size_t first = rng() % x.n;
  std::vector<float> centroids(x.row(first), x.row(first) + dims);
  // k-means++: each further centroid is drawn with probability proportional to d^2.
  std::vector<double> nearest(x.n);
  for (size_t i = 0; i < x.n; ++i) nearest[i] = SquaredDistance(x.row(i), centroids.data(), dims);
  while (static_cast<int>(centroids.size() / dims) < std::min<int>(k, static_cast<int>(x.n))) {
    const double total = std::accumulate(nearest.begin(), nearest.end(), 0.0);
    if (total <= 0) break;  // every point sits on a centroid already
    const double target = Uniform(rng) * total;
    size_t pick = 0;
    for (double cumulative = nearest[0]; cumulative <= target && pick + 1 < x.n;) cumulative += nearest[++pick];
    const size_t base = centroids.size();
    centroids.insert(centroids.end(), x.row(pick), x.row(pick) + dims);
    for (size_t i = 0; i < x.n; ++i)
      nearest[i] = std::min(nearest[i], SquaredDistance(x.row(i), centroids.data() + base, dims));
  }
  const size_t clusters = centroids.size() / dims;
  std::vector<size_t> assignment(x.n, clusters);
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    bool changed = false;
    for (size_t i = 0; i < x.n; ++i) {
      size_t best = 0;
      double best_distance = std::numeric_limits<double>::infinity();
      for (size_t c = 0; c < clusters; ++c) {
        const double d = SquaredDistance(x.row(i), centroids.data() + c * dims, dims);
        if (d < best_distance) {
          best_distance = d;
          best = c;
        }
      }
      changed |= assignment[i] != best;
      assignment[i] = best;
    }
    if (!changed) break;
    std::vector<double> sums(clusters * dims, 0.0);
    std::vector<size_t> counts(clusters, 0);
    for (size_t i = 0; i < x.n; ++i) {
      ++counts[assignment[i]];
      for (int d = 0; d < dims; ++d) sums[assignment[i] * dims + d] += x.row(i)[d];
    }
    for (size_t c = 0; c < clusters; ++c) {
      if (counts[c] == 0) continue;  // an empty cluster keeps its centroid
      for (int d = 0; d < dims; ++d) centroids[c * dims + d] = static_cast<float>(sums[c * dims + d] / counts[c]);
    }
  }
  return centroids;
}

void KMeansScorer::Fit(const Points& x, const std::vector<int>& labels) {
  CheckTrainingSet(x, labels, "k-means", true);
  dims_ = x.dims;
  std::vector<float> by_class[2];
  for (size_t i = 0; i < x.n; ++i) {
    auto& members = by_class[labels[i] ? 1 : 0];
    members.insert(members.end(), x.row(i), x.row(i) + x.dims);
  }
  const auto centroids = [&](const std::vector<float>& members, int k, uint64_t seed) {
    return KMeansCentroids({members.data(), members.size() / dims_, dims_}, k, seed);
  };
  background_ = centroids(by_class[0], background_clusters_, seed_);
  deposits_ = centroids(by_class[1], deposit_clusters_, seed_ + 1);
}

std::vector<float> KMeansScorer::Score(const Points& x) const {
  const auto nearest = [&](const std::vector<float>& centroids, const float* row) {
    double best = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < centroids.size() / dims_; ++c)
      best = std::min(best, SquaredDistance(row, centroids.data() + c * dims_, dims_));
    return std::sqrt(best);
  };
  std::vector<float> out(x.n);
  for (size_t i = 0; i < x.n; ++i) {
    const double background = nearest(background_, x.row(i)), deposit = nearest(deposits_, x.row(i));
    out[i] = static_cast<float>(background + deposit > 0 ? background / (background + deposit) : 0.5);
  }
  return out;
}

}  // namespace geoprosp
