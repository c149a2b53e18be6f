#pragma once
// Training a residual GNN with LibTorch (the header stays torch-free).
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/models/model_spec.hpp"

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

struct TrainSettings {
  int epochs = 200;
  double lr = 1e-3;
  int batch_size = 64;
  int patience = 30;  // epochs without a better validation loss before stopping
  uint64_t seed = 42;
  int threads = 0;
};

struct TrainedModel {
  std::vector<NamedTensor> weights;
  int epochs_run = 0;
  int best_epoch = 0;
  double best_validation_loss = 0;
};

// Adam on class-weighted cross-entropy; keeps the weights of the epoch with the best validation
// loss. Deterministic for a given seed.
TrainedModel TrainResGnn(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                         const TrainSettings& settings, const Progress& progress);

// Probabilities of the prospective class, through the fused CPU scorer.
std::vector<float> PredictResGnn(const ModelSpec& spec, const std::vector<NamedTensor>& weights,
                                 const SampleSet& samples, int threads);

// Sets LibTorch's intra-op threads (0: all cores); torch sees one core on some VMs otherwise. Then
// claims OpenBLAS's buffer (ClaimBlasBuffer).
void SetTorchThreads(int threads);

// OpenBLAS gives each thread that calls it a working buffer and, when it cannot have one, retries
// for ever: a run out of memory would hang, deaf to SIGTERM, at its first product. This claims the
// calling thread's buffer now, after checking that there is room for it (OutOfMemory otherwise);
// OpenBLAS keeps it for the thread's later calls. Once per process.
void ClaimBlasBuffer();

}  // namespace geoprosp
