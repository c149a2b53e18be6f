#include "geoprosp/training/graph_baselines.hpp"

#include <torch/torch.h>

#include <cstring>

#include "geoprosp/core/error.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "geoprosp/training/torch_training.hpp"

namespace geoprosp {
namespace {

// Every baseline maps a batch of samples, node features (B, F x E) and Â ((E, E) or (B, E, E)), to its output.
class BaselineNet : public torch::nn::Module {
 public:
  // Logits (B, 2) for the classifiers, the reconstruction (B, E) for the autoencoder.
  virtual torch::Tensor forward(const torch::Tensor& values, const torch::Tensor& adjacency) = 0;
  // A term added to the loss after each forward (DiffPool's), or an undefined tensor.
  virtual torch::Tensor AuxiliaryLoss() const { return {}; }
};

torch::nn::Sequential ClassifierHead(int in, int hidden, double dropout) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::ReLU(), torch::nn::Dropout(dropout),
                               torch::nn::Linear(hidden, 2));
}

// The edges of Â without self-loops, as 0/1: the neighbourhoods GIN and GraphSAGE aggregate over.
torch::Tensor Neighbours(const torch::Tensor& adjacency) {
  const int64_t n = adjacency.size(-1);
  return (adjacency > 0).to(torch::kFloat32) * (1 - torch::eye(n));
}

torch::Tensor MeanMaxReadout(const torch::Tensor& h) { return torch::cat({h.mean(1), std::get<0>(h.max(1))}, 1); }

// Graph Isomorphism Network (Xu et al. 2019): h' = MLP((1 + eps) h + sum of neighbours' h); the
// readout sums the nodes of every layer and concatenates the layers.
class Gin : public BaselineNet {
 public:
  Gin(const NeuralBaselineSpec& spec, int n_elements, int node_features) : node_features_(node_features) {
    identity_ = register_buffer("identity", torch::eye(n_elements));
    input_ = register_module("input", torch::nn::Linear(node_features + n_elements, spec.hidden));
    for (int l = 0; l < spec.layers; ++l) {
      const std::string name = "layer" + std::to_string(l);
      mlps_.push_back(
          register_module(name, torch::nn::Sequential(torch::nn::Linear(spec.hidden, spec.hidden), torch::nn::ReLU(),
                                                      torch::nn::Linear(spec.hidden, spec.hidden), torch::nn::ReLU())));
      eps_.push_back(register_parameter(name + "_eps", torch::zeros({1})));
    }
    head_ = register_module("head", ClassifierHead(spec.hidden * std::max(1, spec.layers), spec.hidden, spec.dropout));
  }
  torch::Tensor forward(const torch::Tensor& values, const torch::Tensor& adjacency) override {
    auto h = input_(NodeInputs(values, identity_, node_features_));
    const auto neighbours = Neighbours(adjacency);
    std::vector<torch::Tensor> readouts;
    for (size_t l = 0; l < mlps_.size(); ++l) {
      h = mlps_[l]->forward((1 + eps_[l]) * h + torch::matmul(neighbours, h));
      readouts.push_back(h.sum(1));
    }
    if (readouts.empty()) readouts.push_back(h.sum(1));
    return head_->forward(torch::cat(readouts, 1));
  }

 private:
  int node_features_;
  torch::Tensor identity_;
  torch::nn::Linear input_{nullptr};
  std::vector<torch::nn::Sequential> mlps_;
  std::vector<torch::Tensor> eps_;
  torch::nn::Sequential head_{nullptr};
};

// GraphSAGE with the mean aggregator (Hamilton et al. 2017): h' = relu(W_self h + W_neigh mean of
// neighbours' h), rows scaled to unit length; mean and max readout.
class GraphSage : public BaselineNet {
 public:
  GraphSage(const NeuralBaselineSpec& spec, int n_elements, int node_features) : node_features_(node_features) {
    identity_ = register_buffer("identity", torch::eye(n_elements));
    input_ = register_module("input", torch::nn::Linear(node_features + n_elements, spec.hidden));
    for (int l = 0; l < spec.layers; ++l) {
      const std::string name = "layer" + std::to_string(l);
      self_.push_back(register_module(name + "_self", torch::nn::Linear(spec.hidden, spec.hidden)));
      neighbour_.push_back(register_module(
          name + "_neighbour", torch::nn::Linear(torch::nn::LinearOptions(spec.hidden, spec.hidden).bias(false))));
    }
    dropout_ = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head_ = register_module("head", ClassifierHead(2 * spec.hidden, spec.hidden, spec.dropout));
  }
  torch::Tensor forward(const torch::Tensor& values, const torch::Tensor& adjacency) override {
    auto h = input_(NodeInputs(values, identity_, node_features_));
    const auto neighbours = Neighbours(adjacency);
    const auto mean = neighbours / neighbours.sum(-1, true).clamp_min(1);
    for (size_t l = 0; l < self_.size(); ++l) {
      h = torch::relu(self_[l](h) + neighbour_[l](torch::matmul(mean, h)));
      h = dropout_(torch::nn::functional::normalize(h, torch::nn::functional::NormalizeFuncOptions().dim(-1)));
    }
    return head_->forward(MeanMaxReadout(h));
  }

 private:
  int node_features_;
  torch::Tensor identity_;
  torch::nn::Linear input_{nullptr};
  std::vector<torch::nn::Linear> self_, neighbour_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Sequential head_{nullptr};
};

// Dense DiffPool (Ying et al. 2018), one pooling step: GCN layers embed the nodes (Z) and, in
// parallel, assign them softly to `clusters` nodes (S = softmax); the pooled graph X' = S^T Z,
// A' = S^T Â S passes one more GCN layer, then mean and max readout. The link-prediction term
// |Â - S S^T|_F and the assignment entropy join the loss, as in the paper.
class DiffPool : public BaselineNet {
 public:
  DiffPool(const NeuralBaselineSpec& spec, int n_elements, int node_features) : node_features_(node_features) {
    identity_ = register_buffer("identity", torch::eye(n_elements));
    embed_input_ = register_module("embed_input", torch::nn::Linear(node_features + n_elements, spec.hidden));
    assign_input_ = register_module("assign_input", torch::nn::Linear(node_features + n_elements, spec.hidden));
    for (int l = 0; l < spec.layers; ++l) {
      const std::string name = "layer" + std::to_string(l);
      embed_.push_back(register_module(name + "_embed", torch::nn::Linear(spec.hidden, spec.hidden)));
      assign_.push_back(register_module(name + "_assign", torch::nn::Linear(spec.hidden, spec.hidden)));
    }
    assign_out_ = register_module("assign_out", torch::nn::Linear(spec.hidden, spec.clusters));
    pooled_ = register_module("pooled", torch::nn::Linear(spec.hidden, spec.hidden));
    dropout_ = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head_ = register_module("head", ClassifierHead(2 * spec.hidden, spec.hidden, spec.dropout));
  }
  torch::Tensor forward(const torch::Tensor& values, const torch::Tensor& adjacency) override {
    const auto nodes = NodeInputs(values, identity_, node_features_);
    auto z = torch::relu(embed_input_(nodes)), s = torch::relu(assign_input_(nodes));
    for (size_t l = 0; l < embed_.size(); ++l) {
      z = dropout_(torch::relu(embed_[l](torch::matmul(adjacency, z))));
      s = torch::relu(assign_[l](torch::matmul(adjacency, s)));
    }
    const auto assignment = torch::softmax(assign_out_(s), -1);  // (B, E, C)
    const auto assignment_t = assignment.transpose(1, 2);
    const auto pooled_nodes = torch::matmul(assignment_t, z);                                   // (B, C, h)
    auto pooled_adjacency = torch::matmul(torch::matmul(assignment_t, adjacency), assignment);  // (B, C, C)
    pooled_adjacency = pooled_adjacency / pooled_adjacency.sum(-1, true).clamp_min(1e-6);
    const auto h = torch::relu(pooled_(torch::matmul(pooled_adjacency, pooled_nodes)));
    const auto link = (adjacency - torch::matmul(assignment, assignment_t)).pow(2).sum({-2, -1}).sqrt().mean();
    const auto entropy = -(assignment * (assignment + 1e-8).log()).sum(-1).mean();
    auxiliary_ = (link + entropy) / adjacency.size(-1);
    return head_->forward(MeanMaxReadout(h));
  }
  torch::Tensor AuxiliaryLoss() const override { return auxiliary_; }

 private:
  int node_features_;
  torch::Tensor identity_, auxiliary_;
  torch::nn::Linear embed_input_{nullptr}, assign_input_{nullptr}, assign_out_{nullptr}, pooled_{nullptr};
  std::vector<torch::nn::Linear> embed_, assign_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Sequential head_{nullptr};
};

// Two hidden ReLU layers on the clr vector (with its spatial context, when given); the graph is ignored.
class Mlp : public BaselineNet {
 public:
  Mlp(const NeuralBaselineSpec& spec, int width) {
    net_ = register_module(
        "net",
        torch::nn::Sequential(torch::nn::Linear(width, spec.hidden), torch::nn::ReLU(),
                              torch::nn::Dropout(spec.dropout), torch::nn::Linear(spec.hidden, spec.hidden),
                              torch::nn::ReLU(), torch::nn::Dropout(spec.dropout), torch::nn::Linear(spec.hidden, 2)));
  }
  torch::Tensor forward(const torch::Tensor& values, const torch::Tensor&) override { return net_->forward(values); }

 private:
  torch::nn::Sequential net_{nullptr};
};

// F E -> hidden -> code -> hidden -> F E, ReLU between; the code layer is linear.
class Autoencoder : public BaselineNet {
 public:
  Autoencoder(const NeuralBaselineSpec& spec, int width) {
    encoder_ = register_module(
        "encoder", torch::nn::Sequential(torch::nn::Linear(width, spec.autoencoder_hidden), torch::nn::ReLU(),
                                         torch::nn::Linear(spec.autoencoder_hidden, spec.code)));
    decoder_ = register_module(
        "decoder", torch::nn::Sequential(torch::nn::Linear(spec.code, spec.autoencoder_hidden), torch::nn::ReLU(),
                                         torch::nn::Linear(spec.autoencoder_hidden, width)));
  }
  torch::Tensor Encode(const torch::Tensor& values) { return encoder_->forward(values); }
  torch::Tensor forward(const torch::Tensor& values, const torch::Tensor&) override {
    return decoder_->forward(Encode(values));
  }

 private:
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
};

// The net for samples shaped as `samples` (E elements, F node features each).
std::shared_ptr<BaselineNet> MakeNet(const NeuralBaselineSpec& spec, const SampleSet& samples) {
  const int n = samples.n_elements, f = samples.node_features, width = static_cast<int>(samples.width());
  if (spec.arch == "gin") return std::make_shared<Gin>(spec, n, f);
  if (spec.arch == "graphsage") return std::make_shared<GraphSage>(spec, n, f);
  if (spec.arch == "diffpool") return std::make_shared<DiffPool>(spec, n, f);
  if (spec.arch == "mlp") return std::make_shared<Mlp>(spec, width);
  if (spec.arch == "autoencoder") return std::make_shared<Autoencoder>(spec, width);
  throw Error("model", "unknown baseline architecture '" + spec.arch + "'");
}

// Runs `net` in inference mode over the samples in chunks; `output` maps a chunk to (count, width).
std::vector<float> RunInChunks(const SampleSet& samples, int width,
                               const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& output) {
  torch::InferenceMode guard;
  const int64_t n = static_cast<int64_t>(samples.size()), chunk = 256;
  const auto values = ValuesTensor(samples), adjacency = AdjacencyTensor(samples);
  std::vector<float> out(size_t(n) * width);
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t count = std::min(chunk, n - first);
    const auto a = samples.per_sample_adjacency ? adjacency.narrow(0, first, count) : adjacency;
    const auto result = output(values.narrow(0, first, count), a).contiguous();
    std::memcpy(out.data() + first * width, result.data_ptr<float>(), sizeof(float) * count * width);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& NeuralBaselineArchs() {
  static const std::vector<std::string> archs = {"gin", "graphsage", "diffpool", "mlp", "autoencoder"};
  return archs;
}

TrainedModel TrainNeuralBaseline(const NeuralBaselineSpec& spec, const SampleSet& train, const SampleSet& validation,
                                 const TrainSettings& settings, const Progress& progress) {
  const auto make = [&] {
    auto net = MakeNet(spec, train);
    BatchLoss loss;
    if (spec.arch == "autoencoder") {
      loss = [net](const torch::Tensor& values, const torch::Tensor& adjacency, const torch::Tensor&) {
        return torch::mse_loss(net->forward(values, adjacency), values);
      };
    } else {
      auto cross_entropy =
          WeightedCrossEntropy([net](const torch::Tensor& values,
                                     const torch::Tensor& adjacency) { return net->forward(values, adjacency); },
                               train.labels);
      loss = [net, cross_entropy](const torch::Tensor& values, const torch::Tensor& adjacency,
                                  const torch::Tensor& labels) {
        auto total = cross_entropy(values, adjacency, labels);
        const auto auxiliary = net->AuxiliaryLoss();
        return auxiliary.defined() ? total + auxiliary : total;
      };
    }
    return TorchTrainee{net, loss};
  };
  return TrainTorchModel(make, train, validation, settings, progress);
}

std::vector<float> PredictNeuralBaseline(const NeuralBaselineSpec& spec, const std::vector<NamedTensor>& weights,
                                         const SampleSet& samples) {
  auto net = MakeNet(spec, samples);
  ImportWeights(*net, weights);
  net->eval();
  if (spec.arch == "autoencoder") {
    return RunInChunks(samples, 1, [&](const torch::Tensor& values, const torch::Tensor& adjacency) {
      return (net->forward(values, adjacency) - values).pow(2).mean(1);
    });
  }
  return RunInChunks(samples, 1, [&](const torch::Tensor& values, const torch::Tensor& adjacency) {
    return torch::softmax(net->forward(values, adjacency), 1).select(1, 1);
  });
}

std::vector<float> EncodeAutoencoder(const NeuralBaselineSpec& spec, const std::vector<NamedTensor>& weights,
                                     const SampleSet& samples) {
  if (spec.arch != "autoencoder") throw Error("model", spec.arch + " has no code to encode");
  auto net = std::make_shared<Autoencoder>(spec, static_cast<int>(samples.width()));
  ImportWeights(*net, weights);
  net->eval();
  return RunInChunks(samples, spec.code,
                     [&](const torch::Tensor& values, const torch::Tensor&) { return net->Encode(values); });
}

}  // namespace geoprosp
