#include <torch/torch.h>

#include <cstring>

#include "geoprosp/core/error.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/training/torch_model.hpp"

namespace geoprosp {
namespace {

class TorchScorer : public Scorer {
 public:
  TorchScorer(const Bundle& bundle, torch::Device device)
      : model_(bundle.model, static_cast<int>(bundle.elements.size())),
        device_(device),
        n_elements_(static_cast<int64_t>(bundle.elements.size())) {
    ImportWeights(model_, bundle.weights);
    model_->eval();
    model_->to(device_);
  }

  void Score(const float* features, const float* adjacency, bool per_cell, int64_t n, float* probability) override {
    if (n == 0) return;
    torch::InferenceMode guard;
    const int64_t e = n_elements_;
    // Modest chunks: large temporaries are slow to first-touch on this kind of VM.
    const int64_t chunk = device_.is_cuda() ? 65536 : 2048;
    for (int64_t first = 0; first < n; first += chunk) {
      const int64_t count = std::min(chunk, n - first);
      auto values = torch::from_blob(const_cast<float*>(features + first * e), {count, e}, torch::kFloat32).to(device_);
      auto a = per_cell
                   ? torch::from_blob(const_cast<float*>(adjacency + first * e * e), {count, e, e}, torch::kFloat32)
                   : torch::from_blob(const_cast<float*>(adjacency), {e, e}, torch::kFloat32);
      auto p = torch::softmax(model_->forward(values, a.to(device_)), 1).select(1, 1).contiguous().to(torch::kCPU);
      std::memcpy(probability + first, p.data_ptr<float>(), sizeof(float) * count);
    }
  }

  std::string name() const override { return device_.is_cuda() ? "libtorch-cuda" : "libtorch-cpu"; }

 private:
  ResGnn model_;
  torch::Device device_;
  int64_t n_elements_;
};

}  // namespace

std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, const ScorerSettings& settings) {
  if (settings.device != "cpu" && settings.device != "cuda") {
    throw UsageError("--device", "expects cpu|cuda, got '" + settings.device + "'");
  }
  if (settings.engine != "auto" && settings.engine != "fused" && settings.engine != "torch") {
    throw UsageError("--engine", "expects auto|fused|torch, got '" + settings.engine + "'");
  }
  // CUDA only when asked for: its results agree with the CPU's to ~1e-7, but depend on the chunking,
  // so only the CPU's fused engine gives tiles that mosaic byte for byte.
  const bool use_cuda = settings.device == "cuda";
  if (settings.engine == "fused" && use_cuda)
    throw UsageError("--engine fused", "runs on the CPU only; use --device cpu");
  if (use_cuda && !torch::cuda::is_available()) {
    throw Error("--device cuda", "this LibTorch build has no CUDA, or no GPU is visible (see docs/cuda.md)");
  }
  const int threads = settings.threads > 0 ? settings.threads : DefaultThreadCount();
  if (!use_cuda && settings.engine != "torch") return MakeFusedScorer(bundle, threads);
  at::set_num_threads(threads);  // libcpuinfo sees one core on some VMs
  return std::make_unique<TorchScorer>(bundle, use_cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
}

}  // namespace geoprosp
