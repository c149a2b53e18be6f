#pragma once
// Residual GCN / GAT in LibTorch (private to the library: only model, trainer and augment code
// include torch).
#include <torch/torch.h>

#include <vector>

#include "geoprosp/models/model_spec.hpp"

namespace geoprosp {

class ResGnnImpl : public torch::nn::Module {
 public:
  ResGnnImpl(const ModelSpec& spec, int n_elements);
  // values: (B, F x E) standardised node features (SampleSet's layout); adjacency: Â as (E, E) shared or (B, E, E).
  // Returns logits (B, 2).
  torch::Tensor forward(const torch::Tensor& values, const torch::Tensor& adjacency);

  const ModelSpec& spec() const { return spec_; }

 private:
  torch::Tensor GcnLayer(int layer, const torch::Tensor& h, const torch::Tensor& adjacency);
  torch::Tensor GatLayer(int layer, const torch::Tensor& h, const torch::Tensor& adjacency);

  ModelSpec spec_;
  int n_elements_;
  torch::Tensor identity_;  // element one-hot codes (E, E), a buffer
  torch::nn::Linear input_{nullptr};
  std::vector<torch::nn::Linear> layers_;
  std::vector<torch::Tensor> attention_source_, attention_target_;  // GAT: (heads, hidden/heads)
  torch::nn::Linear head_hidden_{nullptr}, head_out_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(ResGnn);

// Node inputs of every graph model: each element's F node features (values (B, F x E), F blocks of E)
// next to its one-hot code, (B, E, F + E).
torch::Tensor NodeInputs(const torch::Tensor& values, const torch::Tensor& identity, int node_features = 1);

std::vector<NamedTensor> ExportWeights(const torch::nn::Module& model);
void ImportWeights(torch::nn::Module& model, const std::vector<NamedTensor>& weights);
inline std::vector<NamedTensor> ExportWeights(ResGnn& model) { return ExportWeights(*model); }
inline void ImportWeights(ResGnn& model, const std::vector<NamedTensor>& weights) { ImportWeights(*model, weights); }

}  // namespace geoprosp
