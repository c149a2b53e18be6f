#pragma once
// One inference interface: features of a chunk of cells in, probabilities of the prospective class
// out. The LibTorch path and the fused CPU path sit behind it and are tested against each other.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace geoprosp {

struct Bundle;

class Scorer {
 public:
  virtual ~Scorer() = default;
  // features: n x F x E, cell-major, standardised: per cell, F blocks of E values (the values, then
  // the spatial context of model.node_features; see SampleSet). adjacency: one shared E x E Â, or n x E x E when
  // per_cell. probability: n outputs in [0, 1].
  virtual void Score(const float* features, const float* adjacency, bool per_cell, int64_t n, float* probability) = 0;
  virtual std::string name() const = 0;
};

struct ScorerSettings {
  std::string engine = "auto";  // auto | fused | torch
  std::string device = "cpu";   // cpu | cuda
  int threads = 0;              // 0: all cores
};

// Validates engine/device before any heavy work; throws UsageError naming the option.
std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, const ScorerSettings& settings);

// The fused engine's kernels, one per instruction set. All give the same bytes (one fixed sequence of
// fused multiply-adds per cell), so tiles mapped on different CPUs mosaic exactly.
enum class FusedKernel { Scalar, Avx2, Avx512 };
std::string ToString(FusedKernel kernel);  // scalar | avx2 | avx512
// The kernels this build has and this CPU runs, slowest first (scalar always).
std::vector<FusedKernel> SupportedFusedKernels();
// The kernel that GEOPROSP_KERNEL names (scalar|avx2|avx512), or the fastest supported one when it is
// unset, empty or "auto". Throws Error naming GEOPROSP_KERNEL for another name or an unsupported kernel.
FusedKernel ChosenFusedKernel();

// The plain C++ path (no LibTorch) with ChosenFusedKernel(); `threads` splits each call's cells.
std::unique_ptr<Scorer> MakeFusedScorer(const Bundle& bundle, int threads);
// With a given kernel (tests, benchmarks); throws Error when this CPU cannot run it.
std::unique_ptr<Scorer> MakeFusedScorer(const Bundle& bundle, int threads, FusedKernel kernel);

// An error naming `model` when any of probability[0..n) is NaN or infinite: a broken model's cell
// must never become a quiet 0 or 0.5.
void RequireFiniteProbabilities(const float* probability, int64_t n, const std::string& model);

// Cores to use when --threads is 0.
int DefaultThreadCount();

}  // namespace geoprosp
