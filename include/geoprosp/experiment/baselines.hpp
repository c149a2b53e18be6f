#pragma once
// Classical baselines on each cell's standardised clr vector (no LibTorch): logistic regression,
// linear and RBF SVMs, k nearest neighbours and k-means. Each fits on labelled samples and scores
// new ones, higher meaning more prospective. Deposits are rare, so every supervised fit weights
// the classes n / (2 n_class), as the neural models do. All are deterministic for a given seed.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace geoprosp {

// A view of n samples of `dims` values each, row-major.
struct Points {
  const float* values = nullptr;
  size_t n = 0;
  int dims = 0;
  const float* row(size_t i) const { return values + i * dims; }
};

// n / (2 n_class) for each sample's class (0 for a class with no sample).
std::vector<double> BalancedWeights(const std::vector<int>& labels);

// L2-penalised (not the intercept), class-balanced logistic regression fitted by Newton's method
// with a backtracking line search.
class LogisticRegression {
 public:
  explicit LogisticRegression(double l2 = 1e-2) : l2_(l2) {}
  void Fit(const Points& x, const std::vector<int>& labels);
  double LogOdds(const float* row) const;
  std::vector<float> Score(const Points& x) const;                   // P(deposit)
  const std::vector<double>& coefficients() const { return beta_; }  // dims weights, then the intercept

 private:
  double l2_;
  std::vector<double> beta_;
};

// Raw scores to probabilities: a class-balanced logistic fit on standardised scores (Platt scaling).
class PlattScaling {
 public:
  void Fit(const std::vector<float>& scores, const std::vector<int>& labels);
  std::vector<float> Apply(const std::vector<float>& scores) const;

 private:
  double mean_ = 0, sd_ = 1;
  LogisticRegression fit_{1e-3};
};

enum class SvmKernel { Linear, Rbf };

struct SvmSettings {
  SvmKernel kernel = SvmKernel::Linear;
  double c = 1.0;
  double gamma = 0;  // RBF exp(-gamma |x - z|^2); 0: 1 / dims (features are standardised)
  int max_passes = 300;
  double tolerance = 1e-3;    // stop when no dual variable violates optimality by more
  size_t max_samples = 4000;  // RBF: a seeded subsample beyond this (the kernel matrix is n x n)
  uint64_t seed = 42;
};

// Soft-margin SVM (hinge loss, per-sample C = c x class weight) solved in the dual by coordinate
// descent (Hsieh et al. 2008); the bias is a constant feature. Scores are Platt-scaled decision
// values fitted on the training samples.
class Svm {
 public:
  explicit Svm(SvmSettings settings = {}) : settings_(settings) {}
  void Fit(const Points& x, const std::vector<int>& labels);
  std::vector<float> Decision(const Points& x) const;
  std::vector<float> Score(const Points& x) const;

 private:
  double Kernel(const float* a, const float* b) const;  // including the bias feature's 1
  SvmSettings settings_;
  int dims_ = 0;
  double gamma_ = 0;
  std::vector<double> w_;                    // linear: dims weights, then the bias
  std::vector<float> support_;               // RBF: support vectors, row-major
  std::vector<double> support_coefficient_;  // RBF: alpha_i y_i, with y in {-1, 1}
  PlattScaling platt_;
};

// Class-balanced vote of the k nearest training samples (Euclidean): the weighted share of
// deposits among them.
class NearestNeighbours {
 public:
  explicit NearestNeighbours(int k = 10) : k_(k) {}
  void Fit(const Points& x, const std::vector<int>& labels);
  std::vector<float> Score(const Points& x) const;

 private:
  int k_;
  int dims_ = 0;
  std::vector<float> train_;
  std::vector<int> labels_;
  std::vector<double> weights_;
};

// k-means++ seeding, then Lloyd's iterations; k centroids (fewer when there are fewer points).
std::vector<float> KMeansCentroids(const Points& x, int k, uint64_t seed, int max_iterations = 100);

// An anomaly-style score: k-means centroids of the background and of the deposits; a sample
// scores d_bg / (d_bg + d_dep), its distances to the nearest centroid of each, so it passes 0.5
// when it lies nearer the deposits than any background cluster.
class KMeansScorer {
 public:
  KMeansScorer(int background_clusters = 8, int deposit_clusters = 3, uint64_t seed = 42)
      : background_clusters_(background_clusters), deposit_clusters_(deposit_clusters), seed_(seed) {}
  void Fit(const Points& x, const std::vector<int>& labels);
  std::vector<float> Score(const Points& x) const;

 private:
  int background_clusters_, deposit_clusters_;
  uint64_t seed_;
  int dims_ = 0;
  std::vector<float> background_, deposits_;
};

}  // namespace geoprosp
