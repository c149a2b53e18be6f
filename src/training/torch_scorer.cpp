#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <type_traits>

#include "geoprosp/core/error.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/models/torch_plugin.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "geoprosp/training/trainer.hpp"

namespace geoprosp {
namespace {

class TorchScorer : public Scorer {
 public:
  TorchScorer(const Bundle& bundle, torch::Device device)
      : model_(bundle.model, static_cast<int>(bundle.elements.size())),
        device_(device),
        n_elements_(static_cast<int64_t>(bundle.elements.size())),
        width_(n_elements_ * bundle.model.node_features) {
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
      auto values =
          torch::from_blob(const_cast<float*>(features + first * width_), {count, width_}, torch::kFloat32).to(device_);
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
  int64_t width_;  // floats per cell: F x E
};

}  // namespace

}  // namespace geoprosp

// The plugin's entry point (see geoprosp/models/torch_plugin.hpp); the only symbol it exports.
extern "C" __attribute__((visibility("default"))) geoprosp::Scorer* geoprosp_make_torch_scorer(
    const char* version, size_t bundle_size, const geoprosp::Bundle* bundle, bool cuda, int threads, char* error,
    size_t error_size) {
  using namespace geoprosp;
  const auto fail = [&](const std::string& problem) -> Scorer* {
    std::snprintf(error, error_size, "%s", problem.c_str());
    return nullptr;
  };
  if (std::strcmp(version, GEOPROSP_VERSION) != 0 || bundle_size != sizeof(Bundle)) {
    return fail(std::string("the LibTorch plugin was built for geoprosp ") + GEOPROSP_VERSION + ", not " + version +
                " (or from other sources): install the plugin that came with this geoprosp-map");
  }
  try {
    if (cuda && !torch::cuda::is_available())
      return fail("this LibTorch build has no CUDA, or no GPU is visible (see docs/cuda.md)");
    at::set_num_threads(threads);  // libcpuinfo sees one core on some VMs
    ClaimBlasBuffer();             // out of memory here is an error, not a hang in OpenBLAS
    return new TorchScorer(*bundle, cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
static_assert(std::is_same_v<decltype(&geoprosp_make_torch_scorer), geoprosp::MakeTorchScorerFunction>,
              "the entry point and the type MakeScorer calls it through must agree");
