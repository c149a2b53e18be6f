#pragma once
// The training loop every LibTorch model of geoprosp shares: ResGCN/ResGAT and the baselines
// geoprosp-eval compares them with (private to the library: it includes torch).
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "geoprosp/training/trainer.hpp"

namespace geoprosp {

// Loss of one batch: features (B, E), Â as (E, E) or (B, E, E), labels (B).
using BatchLoss = std::function<torch::Tensor(const torch::Tensor& values, const torch::Tensor& adjacency,
                                              const torch::Tensor& labels)>;

struct TorchTrainee {
  std::shared_ptr<torch::nn::Module> module;
  BatchLoss loss;
};

// Adam over shuffled mini-batches; keeps the weights of the epoch with the best validation loss
// (the training loss when there is no validation set) and stops after `patience` epochs without
// one. `make` is called after seeding, so the initial weights follow settings.seed.
TrainedModel TrainTorchModel(const std::function<TorchTrainee()>& make, const SampleSet& train,
                             const SampleSet& validation, const TrainSettings& settings, const Progress& progress);

// Cross-entropy on logits (B, 2), each class weighted n / (2 n_class) over `labels`, so that an
// unbalanced training set still counts both classes equally. Throws when a class is missing.
BatchLoss WeightedCrossEntropy(std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> forward,
                               const std::vector<int>& labels);

// Views of a sample set (no copies): values (n, F x E), Â (E, E) or (n, E, E), labels (n).
torch::Tensor ValuesTensor(const SampleSet& samples);
torch::Tensor AdjacencyTensor(const SampleSet& samples);
torch::Tensor LabelsTensor(const SampleSet& samples);

}  // namespace geoprosp
