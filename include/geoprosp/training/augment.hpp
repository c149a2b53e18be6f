#pragma once
// Synthetic positives for the rare deposit class. Only ever called on training folds.
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

enum class AugmentMethod { None, Noise, Smote, Vae, Gan };
std::string ToString(AugmentMethod method);
AugmentMethod ParseAugmentMethod(const std::string& text);

struct Synthetic {
  std::vector<float> features;  // count x E, in the standardised clr space of the real ones
  std::vector<size_t> parents;  // a real positive each sample borrows its window graph from
};

// `count` synthetic positives from `real` (n x E standardised features). Deterministic per seed.
Synthetic SynthesisePositives(AugmentMethod method, const std::vector<float>& real, int n_elements, size_t count,
                              uint64_t seed);

// How generated samples compare with the real ones: means, standard deviations, correlations.
struct SyntheticComparison {
  std::vector<double> real_mean, generated_mean, real_sd, generated_sd;  // per element
  double correlation_max_abs_difference = 0, correlation_mean_abs_difference = 0;
  double seconds = 0;  // spent making the synthetic samples
  bool empty() const { return generated_mean.empty(); }
};
SyntheticComparison CompareWithReal(const std::vector<float>& real, const std::vector<float>& generated,
                                    int n_elements);

}  // namespace geoprosp
