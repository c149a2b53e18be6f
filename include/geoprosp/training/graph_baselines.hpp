#pragma once
// The neural baselines geoprosp-eval compares ResGCN/ResGAT with, on the same samples: GIN,
// GraphSAGE and DiffPool on the same element graphs and node inputs (each element's value next to
// its one-hot code), and an MLP and an autoencoder on the clr vector alone. All of them train with
// the loop ResGCN/ResGAT use (Adam, mini-batches, early stopping on the validation loss). The
// header stays torch-free.
#include <string>
#include <vector>

#include "geoprosp/models/model_spec.hpp"
#include "geoprosp/training/trainer.hpp"

namespace geoprosp {

struct NeuralBaselineSpec {
  std::string arch;  // gin | graphsage | diffpool | mlp | autoencoder
  int hidden = 64;
  int layers = 3;  // message-passing layers (gin, graphsage; diffpool: before pooling)
  double dropout = 0.5;
  int clusters = 4;  // diffpool: nodes of the pooled graph
  int code = 4;      // autoencoder: size of the code
  int autoencoder_hidden = 32;
};

// The architectures above, in the order geoprosp-eval reports them.
const std::vector<std::string>& NeuralBaselineArchs();

// Classifiers minimise class-weighted cross-entropy (DiffPool adds its link-prediction and
// assignment-entropy terms); the autoencoder minimises the mean squared reconstruction error and
// ignores labels (geoprosp-eval trains it on background cells only).
TrainedModel TrainNeuralBaseline(const NeuralBaselineSpec& spec, const SampleSet& train, const SampleSet& validation,
                                 const TrainSettings& settings, const Progress& progress);

// Classifiers: P(deposit) per sample. Autoencoder: each sample's mean squared reconstruction error.
std::vector<float> PredictNeuralBaseline(const NeuralBaselineSpec& spec, const std::vector<NamedTensor>& weights,
                                         const SampleSet& samples);

// Autoencoder only: each sample's code, n x spec.code, row-major.
std::vector<float> EncodeAutoencoder(const NeuralBaselineSpec& spec, const std::vector<NamedTensor>& weights,
                                     const SampleSet& samples);

}  // namespace geoprosp
