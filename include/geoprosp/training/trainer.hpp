#pragma once
// Training a residual GNN with the fused CPU trainer or LibTorch (the header stays torch-free).
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/learning/fused_trainer.hpp"
#include "geoprosp/learning/samples.hpp"
#include "geoprosp/models/model_spec.hpp"

namespace geoprosp {

// Adam on class-weighted cross-entropy (or the nnPU risk, fused engine only); keeps the weights of the
// epoch with the best validation loss. settings.engine picks the fused CPU trainer (TrainFusedResGnn)
// or LibTorch (the reference). Starts from `initial_weights` when given. Deterministic for a given seed.
TrainedModel TrainResGnn(const ModelSpec& spec, const SampleSet& train, const SampleSet& validation,
                         const TrainSettings& settings, const Progress& progress,
                         const std::vector<NamedTensor>& initial_weights = {});

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
