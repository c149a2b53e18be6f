#pragma once
// The residual GNN of training/torch_model.cpp (ResGCN or ResGAT) in plain C++, for training: its
// parameters, under the names, shapes and order LibTorch gives them, and its forward and backward
// passes over batches of samples, one cell per SIMD lane: 8 cells per chunk, in a kernel built for the
// CPU's instruction set (scalar, AVX2 or AVX-512, chosen at run time as for the fused scorer), each
// giving the same bytes.
//
// Deterministic: a batch is cut into chunks of one register of cells and the chunks into groups that
// depend on the batch size only; each group sums its chunks' gradients in order, and the groups are
// summed in order, whatever thread ran them. Dropout draws from a counter-based hash of (key, the
// sample's slot in the batch, the unit), so it does not depend on threads or chunks either.
#include <cstdint>
#include <memory>
#include <vector>

#include "geoprosp/learning/samples.hpp"
#include "geoprosp/models/model_spec.hpp"
#include "geoprosp/models/scorer.hpp"

namespace geoprosp {

// What a batch contributes to the loss: the sample in slot s adds negative[s] ℓ(z, 0) + positive[s]
// ℓ(z, 1), where z are its two logits and ℓ(z, y) = -log softmax(z)_y (cross-entropy).
struct LossWeights {
  std::vector<float> negative, positive;
};

// The two sums of a batch: Σ negative[s] ℓ(z_s, 0) and Σ positive[s] ℓ(z_s, 1).
struct LossParts {
  double negative = 0, positive = 0;
  double total() const { return negative + positive; }
};

// Classify: the network of training/torch_model.cpp. MaskedValues: its backbone (input and residual
// layers, the same tensors) with a learned mask token and a per-node regression head instead of the
// classifier (tensors named kPretrainPrefix...), for self-supervised pre-training: hidden nodes read
// zeros and the token, and the head predicts their standardised values.
enum class GnnObjective { Classify, MaskedValues };

// One step of Adam, in float: for each parameter p with gradient g and moments m, v,
//   g += decay p;  m = m beta1 + g rest1;  v = v beta2 + rest2 g g;
//   p -= step_size m / (sqrt(v) inverse_root2 + eps).
// A moment below the smallest normal float counts as 0 (its share of the step is far below p's last
// bit, and subnormal arithmetic is slow on some CPUs).
struct AdamCoefficients {
  float beta1 = 0, beta2 = 0, rest1 = 0, rest2 = 0, inverse_root2 = 0, step_size = 0, eps = 0, decay = 0;
};
constexpr const char* kPretrainPrefix = "pretrain.";

class FusedResGnn {
 public:
  // `threads` split each batch's chunks (0: all cores). The kernel: ChosenFusedKernel() (GEOPROSP_KERNEL
  // or the fastest this CPU runs), or the one given (tests, benchmarks; Error when this CPU lacks it).
  FusedResGnn(const ModelSpec& spec, int n_elements, int threads, GnnObjective objective = GnnObjective::Classify);
  FusedResGnn(const ModelSpec& spec, int n_elements, int threads, GnnObjective objective, FusedKernel kernel);
  ~FusedResGnn();
  FusedResGnn(const FusedResGnn&) = delete;
  FusedResGnn& operator=(const FusedResGnn&) = delete;

  // LibTorch's default distributions (Linear: U(±1/sqrt(fan_in)); attention vectors: N(0, 0.1²)),
  // drawn from our own generator: the same seed gives the same bytes on every run. The backbone's
  // tensors come first, so a seed draws the same backbone in either objective.
  void Initialise(uint64_t seed);
  // Weights as ExportWeights(ResGnn) gives them (names, shapes, order); throws Error on a mismatch.
  void SetWeights(const std::vector<NamedTensor>& weights);
  std::vector<NamedTensor> Weights() const;

  // Every parameter, flat, in the order of Weights(); gradients use the same layout.
  std::vector<float>& parameters();
  const std::vector<float>& parameters() const;

  // Adam's step on parameters() with `gradient` (layout of parameters()) and the moments m and v (the
  // same size), on the model's threads. Every kernel gives the same bytes.
  void AdamStep(const AdamCoefficients& coefficients, const float* gradient, float* m, float* v);

  // The loss of samples[batch[s]] weighted by `weights` (slot s), and its gradient with respect to
  // parameters() in `gradient` (overwritten). Dropout is on when dropout_key != 0 and the spec has
  // dropout. `positive_gradient`, when not null, receives the gradient of the positive part alone
  // (Σ positive[s] ℓ(z_s, 1)), for losses that recombine the two parts (nnPU).
  LossParts Backward(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                     uint64_t dropout_key, float* gradient, float* positive_gradient = nullptr);
  // The same loss in evaluation mode (no dropout), forward only.
  LossParts Loss(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights);

  // MaskedValues: the mean squared error of the predicted standardised values (block 0 of the node
  // features) over the hidden nodes of the batch, and its gradient. `hidden_nodes` holds batch.size()
  // x E flags (1: hidden; its F node features read as 0 and its flag as 1). Dropout as in Backward.
  double MaskedBackward(const SampleSet& samples, const std::vector<size_t>& batch,
                        const std::vector<uint8_t>& hidden_nodes, uint64_t dropout_key, float* gradient);
  double MaskedLoss(const SampleSet& samples, const std::vector<size_t>& batch,
                    const std::vector<uint8_t>& hidden_nodes);  // evaluation mode, forward only

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace geoprosp
