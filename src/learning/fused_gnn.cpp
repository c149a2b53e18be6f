// FusedResGnn: the parameters' layout and initialisation, and the choice of the kernel
// (fused_gnn_{scalar,avx2,avx512}.cpp) that runs the passes: the one ChosenFusedKernel() names, as for
// the fused scorer. The passes themselves are in fused_gnn_body.hpp.
#include "geoprosp/learning/fused_gnn.hpp"

#include "fused_gnn_kernels.hpp"

namespace geoprosp {
namespace learning {
namespace {

// Node rows are padded so that they do not share L1 sets (as in the fused scorer).
int RowStride(int width) { return width % 32 == 0 ? width + 16 : width; }

}  // namespace

GnnLayout::GnnLayout(const ModelSpec& s, int n_elements, GnnObjective objective)
    : spec(s),
      n(n_elements),
      hidden(s.hidden),
      heads(s.heads),
      layers(s.layers),
      head_width(s.hidden / s.heads),
      gat(s.arch == "resgat"),
      masked(objective == GnnObjective::MaskedValues),
      features(s.node_features),
      inputs(s.node_features + (objective == GnnObjective::MaskedValues ? 1 : 0)),
      width(gat ? s.hidden + 2 * s.heads : s.hidden),
      stride(RowStride(width)) {
  CheckModelSpec(spec);
  if (n < 1) throw Error("training data", "has no element");
  const int h = hidden;
  w.resize(layers);
  b.resize(layers);
  src.resize(layers);
  dst.resize(layers);
  if (gat) {  // LibTorch lists the root module's own parameters first
    for (int l = 0; l < layers; ++l) {
      src[l] = Add("layer" + std::to_string(l) + "_att_src", {heads, head_width}, 0);
      dst[l] = Add("layer" + std::to_string(l) + "_att_dst", {heads, head_width}, 0);
    }
  }
  const double input_bound = 1 / std::sqrt(double(features + n));
  in_w = Add("input.weight", {h, features + n}, input_bound);
  in_b = Add("input.bias", {h}, input_bound);
  for (int l = 0; l < layers; ++l) {
    w[l] = Add("layer" + std::to_string(l) + ".weight", {h, h}, 1 / std::sqrt(double(h)));
    if (!gat) b[l] = Add("layer" + std::to_string(l) + ".bias", {h}, 1 / std::sqrt(double(h)));
  }
  if (masked) {  // after the backbone, so that a seed draws the same backbone in either objective
    mask_token = Add(kPretrainPrefix + std::string("mask_token"), {h}, input_bound);
    p_hw = Add(kPretrainPrefix + std::string("hidden.weight"), {h, h}, 1 / std::sqrt(double(h)));
    p_hb = Add(kPretrainPrefix + std::string("hidden.bias"), {h}, 1 / std::sqrt(double(h)));
    p_ow = Add(kPretrainPrefix + std::string("out.weight"), {1, h}, 1 / std::sqrt(double(h)));
    p_ob = Add(kPretrainPrefix + std::string("out.bias"), {1}, 1 / std::sqrt(double(h)));
  } else {
    hh_w = Add("head_hidden.weight", {h, 2 * h}, 1 / std::sqrt(2.0 * h));
    hh_b = Add("head_hidden.bias", {h}, 1 / std::sqrt(2.0 * h));
    out_w = Add("head_out.weight", {2, h}, 1 / std::sqrt(double(h)));
    out_b = Add("head_out.bias", {2}, 1 / std::sqrt(double(h)));
  }

  size_t at = params.size();
  auto aux = [&](size_t count) {
    const size_t offset = at;
    at += count;
    return offset;
  };
  aux_r1 = aux(size_t(inputs) * h);
  aux_r2 = aux(size_t(n) * h);
  aux_z1 = aux(size_t(inputs) * width);
  aux_z2 = aux(size_t(n) * width);
  if (!gat) aux_z3 = aux(size_t(inputs) * h);
  if (gat) {
    for (int l = 0; l < layers; ++l) aux_ext.push_back(aux(size_t(h) * width));
  }
  buffer_size = at;

  const double p = spec.dropout;
  drop_threshold = static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
  keep_scale = static_cast<float>(1.0 / (1.0 - p));
}

size_t GnnLayout::Add(const std::string& name, std::vector<int64_t> shape, double bound) {
  Slot slot;
  slot.name = name;
  slot.shape = std::move(shape);
  slot.offset = params.size();
  slot.size = 1;
  for (int64_t d : slot.shape) slot.size *= static_cast<size_t>(d);
  slot.bound = bound;
  params.resize(params.size() + slot.size, 0.0f);
  slots.push_back(slot);
  return slot.offset;
}

}  // namespace learning

using namespace learning;

struct FusedResGnn::Impl {
  std::unique_ptr<GnnKernel> kernel;
  GnnLayout& layout() { return kernel->layout(); }
};

FusedResGnn::FusedResGnn(const ModelSpec& spec, int n_elements, int threads, GnnObjective objective)
    : FusedResGnn(spec, n_elements, threads, objective, ChosenFusedKernel()) {}

FusedResGnn::FusedResGnn(const ModelSpec& spec, int n_elements, int threads, GnnObjective objective, FusedKernel kernel)
    : impl_(std::make_unique<Impl>()) {
  const GnnLayout layout(spec, n_elements, objective);
  switch (kernel) {
    case FusedKernel::Scalar:
      impl_->kernel = scalar::MakeGnnKernel(layout, threads);
      break;
#ifdef GEOPROSP_FUSED_X86
    case FusedKernel::Avx2:
      impl_->kernel = avx2::MakeGnnKernel(layout, threads);
      break;
    case FusedKernel::Avx512:
      impl_->kernel = avx512::MakeGnnKernel(layout, threads);
      break;
#endif
    default:
      throw Error("fused trainer", "has no " + ToString(kernel) + " kernel in this build");
  }
}

FusedResGnn::~FusedResGnn() = default;

void FusedResGnn::Initialise(uint64_t seed) {
  uint64_t state = seed;
  auto next = [&] { return SplitMix64(state++); };
  for (const Slot& slot : impl_->layout().slots) {
    float* out = impl_->layout().params.data() + slot.offset;
    for (size_t i = 0; i < slot.size; ++i) {
      if (slot.bound > 0) {
        const double u = double(next() >> 40) * 0x1.0p-24;  // [0, 1)
        out[i] = static_cast<float>((2 * u - 1) * slot.bound);
      } else {  // Box-Muller
        const double u1 = (double(next() >> 11) + 0.5) * 0x1.0p-53, u2 = double(next() >> 11) * 0x1.0p-53;
        out[i] = static_cast<float>(0.1 * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2));
      }
    }
  }
}

void FusedResGnn::SetWeights(const std::vector<NamedTensor>& weights) {
  const auto& slots = impl_->layout().slots;
  if (weights.size() != slots.size())
    throw Error("model", "holds " + std::to_string(weights.size()) + " weight tensors, the architecture needs " +
                             std::to_string(slots.size()));
  for (const NamedTensor& t : weights) {
    auto slot = std::find_if(slots.begin(), slots.end(), [&](const Slot& s) { return s.name == t.name; });
    if (slot == slots.end()) throw Error("model", "weight " + t.name + " does not belong to this architecture");
    if (slot->shape != t.shape || slot->size != t.values.size())
      throw Error("model", "weight " + t.name + " has the wrong shape");
    std::copy(t.values.begin(), t.values.end(), impl_->layout().params.begin() + slot->offset);
  }
}

std::vector<NamedTensor> FusedResGnn::Weights() const {
  std::vector<NamedTensor> out;
  for (const Slot& slot : impl_->layout().slots) {
    NamedTensor t;
    t.name = slot.name;
    t.shape = slot.shape;
    t.values.assign(impl_->layout().params.begin() + slot.offset,
                    impl_->layout().params.begin() + slot.offset + slot.size);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<float>& FusedResGnn::parameters() { return impl_->layout().params; }
const std::vector<float>& FusedResGnn::parameters() const { return impl_->layout().params; }

LossParts FusedResGnn::Backward(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                                uint64_t dropout_key, float* gradient, float* positive_gradient) {
  if (!gradient) throw Error("training", "Backward needs a gradient buffer");
  return impl_->kernel->Run(samples, batch, weights, dropout_key, gradient, positive_gradient);
}

void FusedResGnn::AdamStep(const AdamCoefficients& coefficients, const float* gradient, float* m, float* v) {
  impl_->kernel->AdamStep(coefficients, gradient, m, v);
}

LossParts FusedResGnn::Loss(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights) {
  return impl_->kernel->Run(samples, batch, weights, 0, nullptr, nullptr);
}

double FusedResGnn::MaskedBackward(const SampleSet& samples, const std::vector<size_t>& batch,
                                   const std::vector<uint8_t>& hidden_nodes, uint64_t dropout_key, float* gradient) {
  if (!gradient) throw Error("training", "MaskedBackward needs a gradient buffer");
  return impl_->kernel->RunMasked(samples, batch, hidden_nodes, dropout_key, gradient);
}

double FusedResGnn::MaskedLoss(const SampleSet& samples, const std::vector<size_t>& batch,
                               const std::vector<uint8_t>& hidden_nodes) {
  return impl_->kernel->RunMasked(samples, batch, hidden_nodes, 0, nullptr);
}

}  // namespace geoprosp