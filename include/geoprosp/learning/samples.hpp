#pragma once
// Labelled graphs, the input of every trainer: standardised node features and Â per sample.
#include <cstddef>
#include <vector>

namespace geoprosp {

// Labelled graphs: node features (n x F x E: per sample, F blocks of E values; block 0 holds the
// elements' standardised values, the others their spatial context, features/context.hpp) and Â,
// shared (E x E) or per sample (n x E x E).
struct SampleSet {
  int n_elements = 0;
  int node_features = 1;  // F
  bool per_sample_adjacency = false;
  std::vector<float> features;
  std::vector<float> adjacency;
  std::vector<int> labels;

  size_t size() const { return labels.size(); }
  size_t width() const { return size_t(node_features) * n_elements; }  // floats per sample
  const float* features_of(size_t i) const { return features.data() + i * width(); }
  const float* adjacency_of(size_t i) const;
  void Append(const SampleSet& other, size_t i);                                          // copies sample i of `other`
  void AppendSynthetic(const float* features, const float* adjacency_source, int label);  // width() features
  SampleSet Subset(const std::vector<size_t>& indices) const;
  SampleSet Empty() const;  // same shape, no samples (shares the global Â)
};

}  // namespace geoprosp
