#include "geoprosp/training/torch_model.hpp"

#include "geoprosp/core/error.hpp"

namespace geoprosp {

ResGnnImpl::ResGnnImpl(const ModelSpec& spec, int n_elements) : spec_(spec), n_elements_(n_elements) {
  CheckModelSpec(spec);
  const int h = spec.hidden;
  identity_ = register_buffer("identity", torch::eye(n_elements));
  input_ = register_module("input", torch::nn::Linear(spec.node_features + n_elements, h));
  const bool gat = spec.arch == "resgat";
  for (int l = 0; l < spec.layers; ++l) {
    const std::string name = "layer" + std::to_string(l);
    layers_.push_back(register_module(name, torch::nn::Linear(torch::nn::LinearOptions(h, h).bias(!gat))));
    if (gat) {
      const int width = h / spec.heads;
      attention_source_.push_back(register_parameter(name + "_att_src", torch::randn({spec.heads, width}) * 0.1));
      attention_target_.push_back(register_parameter(name + "_att_dst", torch::randn({spec.heads, width}) * 0.1));
    }
  }
  head_hidden_ = register_module("head_hidden", torch::nn::Linear(2 * h, h));
  head_out_ = register_module("head_out", torch::nn::Linear(h, 2));
  dropout_ = register_module("dropout", torch::nn::Dropout(spec.dropout));
}

torch::Tensor ResGnnImpl::GcnLayer(int layer, const torch::Tensor& h, const torch::Tensor& adjacency) {
  return torch::relu(layers_[layer](torch::matmul(adjacency, h)));
}

torch::Tensor ResGnnImpl::GatLayer(int layer, const torch::Tensor& h, const torch::Tensor& adjacency) {
  const int64_t batch = h.size(0);
  const int heads = spec_.heads, width = spec_.hidden / heads;
  auto projected = layers_[layer](h).view({batch, n_elements_, heads, width});      // (B, E, K, d)
  auto source = (projected * attention_source_[layer]).sum(-1);                     // (B, E, K)
  auto target = (projected * attention_target_[layer]).sum(-1);                     // (B, E, K)
  auto scores = torch::leaky_relu(source.unsqueeze(2) + target.unsqueeze(1), 0.2);  // (B, Ei, Ej, K)
  auto edges = (adjacency > 0).unsqueeze(-1);                                       // Â's pattern
  if (edges.dim() == 3) edges = edges.unsqueeze(0);
  scores = scores.masked_fill(edges.logical_not(), -std::numeric_limits<float>::infinity());
  auto weights = torch::softmax(scores, 2);
  auto mixed = torch::einsum("bijk,bjkd->bikd", {weights, projected});
  return torch::elu(mixed.reshape({batch, n_elements_, spec_.hidden}));
}

torch::Tensor ResGnnImpl::forward(const torch::Tensor& values, const torch::Tensor& adjacency) {
  auto h = input_(NodeInputs(values, identity_, spec_.node_features));
  for (int l = 0; l < spec_.layers; ++l) {
    auto update = spec_.arch == "resgat" ? GatLayer(l, h, adjacency) : GcnLayer(l, h, adjacency);
    h = h + dropout_(update);  // H^{l+1} = F(H^l, W^l) + H^l
  }
  auto readout = torch::cat({h.mean(1), std::get<0>(h.max(1))}, 1);
  return head_out_(dropout_(torch::relu(head_hidden_(readout))));
}

torch::Tensor NodeInputs(const torch::Tensor& values, const torch::Tensor& identity, int node_features) {
  const int64_t batch = values.size(0), n = identity.size(0);
  const auto nodes = values.reshape({batch, node_features, n}).transpose(1, 2);  // (B, E, F)
  return torch::cat({nodes, identity.unsqueeze(0).expand({batch, n, n})}, -1);
}

std::vector<NamedTensor> ExportWeights(const torch::nn::Module& model) {
  std::vector<NamedTensor> out;
  for (const auto& item : model.named_parameters()) {
    auto tensor = item.value().detach().to(torch::kCPU).contiguous();
    NamedTensor named;
    named.name = item.key();
    named.shape = tensor.sizes().vec();
    named.values.assign(tensor.data_ptr<float>(), tensor.data_ptr<float>() + tensor.numel());
    out.push_back(std::move(named));
  }
  return out;
}

void ImportWeights(torch::nn::Module& model, const std::vector<NamedTensor>& weights) {
  torch::NoGradGuard no_grad;
  auto parameters = model.named_parameters();
  if (parameters.size() != weights.size()) {
    throw Error("model", "holds " + std::to_string(weights.size()) + " weight tensors, the architecture needs " +
                             std::to_string(parameters.size()));
  }
  for (const auto& w : weights) {
    auto* target = parameters.find(w.name);
    if (!target) throw Error("model", "weight " + w.name + " does not belong to this architecture");
    if (target->sizes().vec() != w.shape) throw Error("model", "weight " + w.name + " has the wrong shape");
    target->copy_(torch::from_blob(const_cast<float*>(w.values.data()), w.shape, torch::kFloat32));
  }
}

}  // namespace geoprosp
