#include "geoprosp/learning/samples.hpp"

namespace geoprosp {

const float* SampleSet::adjacency_of(size_t i) const {
  const size_t block = size_t(n_elements) * n_elements;
  return adjacency.data() + (per_sample_adjacency ? i * block : 0);
}

void SampleSet::Append(const SampleSet& other, size_t i) {
  AppendSynthetic(other.features_of(i), other.adjacency_of(i), other.labels[i]);
}

void SampleSet::AppendSynthetic(const float* values, const float* adjacency_source, int label) {
  features.insert(features.end(), values, values + width());
  if (per_sample_adjacency)
    adjacency.insert(adjacency.end(), adjacency_source, adjacency_source + size_t(n_elements) * n_elements);
  labels.push_back(label);
}

SampleSet SampleSet::Empty() const {
  SampleSet empty;
  empty.n_elements = n_elements;
  empty.node_features = node_features;
  empty.per_sample_adjacency = per_sample_adjacency;
  if (!per_sample_adjacency) empty.adjacency = adjacency;
  return empty;
}

SampleSet SampleSet::Subset(const std::vector<size_t>& indices) const {
  SampleSet subset = Empty();
  for (size_t i : indices) subset.Append(*this, i);
  return subset;
}

}  // namespace geoprosp
