#pragma once
// Labelled graphs, the input of every trainer: standardised features and Â per sample.
#include <cstddef>
#include <vector>

namespace geoprosp {

// Labelled graphs: standardised features (n x E) and Â, shared (E x E) or per sample (n x E x E).
struct SampleSet {
  int n_elements = 0;
  bool per_sample_adjacency = false;
  std::vector<float> features;
  std::vector<float> adjacency;
  std::vector<int> labels;

  size_t size() const { return labels.size(); }
  const float* adjacency_of(size_t i) const;
  void Append(const SampleSet& other, size_t i);  // copies sample i of `other`
  void AppendSynthetic(const float* features, const float* adjacency_source, int label);
  SampleSet Subset(const std::vector<size_t>& indices) const;
  SampleSet Empty() const;  // same shape, no samples (shares the global Â)
};

}  // namespace geoprosp
